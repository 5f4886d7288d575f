package telemetry

import (
	"context"
	"log/slog"
	"path/filepath"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/tollgate/tollgate/services/kit/serve"
	"github.com/tollgate/tollgate/services/telemetry/export"
)

// PipelineOptions say where telemetry keeps its data.
type PipelineOptions struct {
	// DataDir holds the spool.
	DataDir string
	// DeltaDir holds the Delta tables; empty turns the lake export off.
	DeltaDir string
}

// DefaultDeltaDir is the Delta root beside a spool directory.
func DefaultDeltaDir(dataDir string) string { return filepath.Join(filepath.Dir(dataDir), "delta") }

// StartPipeline opens the spool, starts the exporters on life, and returns
// the ingest server. Stop steps are registered so that, in reverse order,
// ingest stops first, then the exporters finish their batch, then the spool
// closes.
func StartPipeline(life *serve.Lifecycle, opts PipelineOptions, log *slog.Logger, reg prometheus.Registerer) (*Server, error) {
	srv, closeSpool, err := NewServerForEmbedding(opts.DataDir, log, reg)
	if err != nil {
		return nil, err
	}
	life.OnStop("spool", func(context.Context) error { return closeSpool() })
	if opts.DeltaDir == "" {
		return srv, nil
	}
	ctx, cancel := context.WithCancel(context.Background())
	exp, err := export.NewDeltaExporter(ctx, srv.Spool(), opts.DeltaDir, log, reg, export.Options{})
	if err != nil {
		cancel()
		return nil, err
	}
	life.Go("delta-export", func() error { return exp.Run(ctx) })
	life.OnStop("delta-export", func(stopCtx context.Context) error {
		cancel()
		select {
		case <-exp.Done():
		case <-stopCtx.Done():
		}
		return nil
	})
	log.Info("delta export on", "dir", opts.DeltaDir)
	return srv, nil
}
