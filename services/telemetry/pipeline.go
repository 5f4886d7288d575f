package telemetry

import (
	"context"
	"fmt"
	"log/slog"
	"net/url"
	"path/filepath"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/tollgate/tollgate/services/kit/config"
	"github.com/tollgate/tollgate/services/kit/serve"
	"github.com/tollgate/tollgate/services/telemetry/clickhouse"
	"github.com/tollgate/tollgate/services/telemetry/export"
)

// PipelineOptions say where telemetry keeps its data.
type PipelineOptions struct {
	// DataDir holds the spool.
	DataDir string
	// DeltaDir holds the Delta tables; empty turns the lake export off.
	DeltaDir string
	// ClickHouse is the hot store's address (host:port of the native
	// protocol) or a clickhouse://user:password@host:port/database DSN;
	// empty turns the hot store off.
	ClickHouse string
	// LoaderName identifies this replica's progress in ClickHouse (one per spool).
	LoaderName string
	// Config is the gateway config, for the served-entities table.
	Config *config.Store
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
	if opts.ClickHouse != "" {
		if err := startClickHouse(life, srv, opts, log, reg); err != nil {
			return nil, err
		}
	}
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
	if opts.Config != nil {
		se, err := export.NewServedEntities(ctx, opts.DeltaDir, log, reg)
		if err != nil {
			cancel()
			return nil, err
		}
		done := make(chan struct{})
		life.Go("delta-served-entities", func() error { defer close(done); se.Run(ctx, opts.Config); return nil })
		life.OnStop("delta-served-entities", func(stopCtx context.Context) error {
			cancel()
			select {
			case <-done:
			case <-stopCtx.Done():
			}
			return nil
		})
	}
	log.Info("delta export on", "dir", opts.DeltaDir)
	return srv, nil
}

// startClickHouse runs the loader (spool → ClickHouse) and keeps the
// served-entities table in step with the config.
func startClickHouse(life *serve.Lifecycle, srv *Server, opts PipelineOptions, log *slog.Logger, reg prometheus.Registerer) error {
	chOpts, err := clickHouseOptions(opts.ClickHouse)
	if err != nil {
		return err
	}
	store, err := clickhouse.Open(chOpts)
	if err != nil {
		return fmt.Errorf("telemetry: clickhouse: %w", err)
	}
	loader, err := clickhouse.NewLoader(srv.Spool(), store, clickhouse.LoaderOptions{Name: opts.LoaderName, Log: log, Registerer: reg})
	if err != nil {
		_ = store.Close()
		return fmt.Errorf("telemetry: clickhouse loader: %w", err)
	}
	if opts.Config != nil {
		srv.EnableUsageQueries(store, opts.Config)
	}
	ctx, cancel := context.WithCancel(context.Background())
	life.OnStop("clickhouse-store", func(context.Context) error { return store.Close() })
	life.Go("clickhouse-loader", func() error { return loader.Run(ctx) })
	life.OnStop("clickhouse-loader", func(context.Context) error { cancel(); return loader.Close() })
	if opts.Config != nil {
		changed := opts.Config.Subscribe()
		life.Go("served-entities", func() error {
			for {
				rows := clickhouse.ServedEntitiesFromConfig(opts.Config.Current().Config, config.ServedEntityID)
				if err := store.SyncServedEntities(ctx, rows, time.Now()); err != nil && ctx.Err() == nil {
					log.Warn("served entities not synced to ClickHouse yet; retrying", "err", err)
					select {
					case <-ctx.Done():
						return nil
					case <-time.After(5 * time.Second):
					}
					continue
				}
				select {
				case <-ctx.Done():
					return nil
				case <-changed:
				}
			}
		})
	}
	log.Info("clickhouse hot store on", "addr", chOpts.Addr, "database", chOpts.Database, "loader", opts.LoaderName)
	return nil
}

// clickHouseOptions reads host:port or a clickhouse:// DSN.
func clickHouseOptions(v string) (clickhouse.Options, error) {
	if !strings.Contains(v, "://") {
		return clickhouse.Options{Addr: v}, nil
	}
	u, err := url.Parse(v)
	if err != nil || u.Scheme != "clickhouse" || u.Host == "" {
		return clickhouse.Options{}, fmt.Errorf("telemetry: --clickhouse must be host:port or clickhouse://user:password@host:port/database")
	}
	o := clickhouse.Options{Addr: u.Host, Database: strings.TrimPrefix(u.Path, "/")}
	if u.User != nil {
		o.Username = u.User.Username()
		o.Password, _ = u.User.Password()
	}
	return o, nil
}
