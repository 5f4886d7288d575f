package telemetry

import (
	"context"
	"flag"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/grpc"

	telemetryv1 "github.com/tollgate/tollgate/gen/go/tollgate/telemetry/v1"
	"github.com/tollgate/tollgate/services/kit/serve"
)

// Default listen addresses of the telemetry service.
const (
	DefaultGRPCAddr  = "127.0.0.1:7104"
	DefaultAdminAddr = "127.0.0.1:9104"
)

// DefaultDataDir is where the spool lives unless --data-dir says otherwise.
func DefaultDataDir() string { return filepath.Join(os.TempDir(), "tollgate", "telemetry") }

// Run runs the telemetry service until ctx ends.
func Run(ctx context.Context, args []string, stderr io.Writer) error {
	fs := flag.NewFlagSet("tollgate-telemetry", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var common serve.CommonFlags
	common.Register(fs, DefaultGRPCAddr, DefaultAdminAddr)
	dataDir := fs.String("data-dir", DefaultDataDir(), "directory of the event spool (must be on durable storage in production)")
	deltaDir := fs.String("delta-dir", "", "root of the Delta tables (default: delta/ beside the spool directory; \"off\" disables the lake export)")
	chAddr := fs.String("clickhouse", "", "ClickHouse hot store: host:port (native protocol) or clickhouse://user:password@host:port/database; empty = off")
	loaderName := fs.String("loader-name", DefaultLoaderName(), "this replica's name for its ClickHouse load progress (unique per spool)")
	if err := serve.Parse(fs, args); err != nil {
		return err
	}
	env, err := serve.Start(ctx, "telemetry", common, stderr)
	if err != nil {
		return err
	}
	// Registered before the gRPC server, so the pipeline stops after
	// in-flight ingests have drained (stop steps run in reverse).
	srv, err := StartPipeline(env.Life, PipelineOptions{
		DataDir: *dataDir, DeltaDir: ResolveDeltaDir(*deltaDir, *dataDir),
		ClickHouse: *chAddr, LoaderName: *loaderName, Config: env.Config}, env.Log, env.Registry)
	if err != nil {
		env.Life.Stop(common.Grace)
		return err
	}
	if err := env.ServeGRPC(func(s *grpc.Server) { telemetryv1.RegisterTelemetryServiceServer(s, srv) }); err != nil {
		env.Life.Stop(common.Grace)
		return err
	}
	return env.Wait(ctx)
}

// DefaultLoaderName is the host name, made safe for a loader name.
func DefaultLoaderName() string {
	h, err := os.Hostname()
	if err != nil || h == "" {
		return "telemetry"
	}
	return strings.Map(func(r rune) rune {
		if r == '-' || r == '_' || r == '.' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' {
			return r
		}
		return '_'
	}, h)
}

// ResolveDeltaDir applies the --delta-dir default ("" = beside the spool) and "off".
func ResolveDeltaDir(flagValue, dataDir string) string {
	switch flagValue {
	case "":
		return DefaultDeltaDir(dataDir)
	case "off":
		return ""
	default:
		return flagValue
	}
}

// NewServerForEmbedding opens the spool in dataDir and builds a Server on it,
// for the all-in-one binary. Call close after the server has stopped taking
// ingests.
func NewServerForEmbedding(dataDir string, log *slog.Logger, reg prometheus.Registerer) (srv *Server, closeSpool func() error, err error) {
	sp, err := OpenSpool(dataDir)
	if err != nil {
		return nil, nil, err
	}
	if n := sp.TornBytes(); n > 0 {
		log.Warn("spool: cut a torn record left by a crash (it was never acknowledged)", "dir", dataDir, "bytes", n)
	}
	log.Info("spool opened", "dir", dataDir, "bytes", sp.Bytes(), "end", sp.Committed().String())
	return NewServer(sp, log, reg), sp.Close, nil
}
