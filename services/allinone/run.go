// Package allinone runs the five Tollgate services in one process, wired
// through the same generated gRPC client interfaces as the split mesh but
// over in-process connections: no sockets, no serialization between them.
// It is the embedded default behind `make run`.
package allinone

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"

	"google.golang.org/grpc"

	authzv1 "github.com/tollgate/tollgate/gen/go/tollgate/authz/v1"
	provideradapterv1 "github.com/tollgate/tollgate/gen/go/tollgate/provideradapter/v1"
	quotav1 "github.com/tollgate/tollgate/gen/go/tollgate/quota/v1"
	routerv1 "github.com/tollgate/tollgate/gen/go/tollgate/router/v1"
	telemetryv1 "github.com/tollgate/tollgate/gen/go/tollgate/telemetry/v1"
	"github.com/tollgate/tollgate/services/authz"
	"github.com/tollgate/tollgate/services/kit/inproc"
	"github.com/tollgate/tollgate/services/kit/serve"
	"github.com/tollgate/tollgate/services/provideradapter"
	"github.com/tollgate/tollgate/services/quota"
	"github.com/tollgate/tollgate/services/router"
	"github.com/tollgate/tollgate/services/telemetry"
)

// Run is the tollgate binary.
func Run(ctx context.Context, args []string, stderr io.Writer) error {
	fs := flag.NewFlagSet("tollgate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var common serve.CommonFlags
	common.Register(fs, "127.0.0.1:7100", "127.0.0.1:9100")
	var facadeFlags router.FacadeFlags
	facadeFlags.Register(fs)
	dataDir := fs.String("data-dir", telemetry.DefaultDataDir(), "telemetry spool directory")
	deltaDir := fs.String("delta-dir", "", "root of the Delta tables (default: delta/ beside the spool directory; \"off\" disables the lake export)")
	chAddr := fs.String("clickhouse", "", "ClickHouse hot store: host:port (native protocol) or clickhouse://user:password@host:port/database; empty = off")
	if err := serve.Parse(fs, args); err != nil {
		return err
	}
	env, err := serve.Start(ctx, "tollgate", common, stderr)
	if err != nil {
		return err
	}
	ic := inproc.WithInterceptors(env.Intercept.Unary, env.Intercept.Stream)

	// Started first, stopped last: the telemetry spool outlives the sink that flushes into it.
	telemetrySrv, err := telemetry.StartPipeline(env.Life, telemetry.PipelineOptions{
		DataDir: *dataDir, DeltaDir: telemetry.ResolveDeltaDir(*deltaDir, *dataDir),
		ClickHouse: *chAddr, LoaderName: telemetry.DefaultLoaderName(), Config: env.Config}, env.Log, env.Registry)
	if err != nil {
		env.Life.Stop(common.Grace)
		return fmt.Errorf("tollgate: telemetry: %w", err)
	}

	authzSrv := authz.NewServer(env.Config, env.Log, env.Registry)
	quotaSrv := quota.NewServer(env.Config, env.Log, env.Registry, nil)
	adapterSrv := provideradapter.NewServer(env.Config, env.Log, env.Registry)

	deps, err := router.Wire(ctx, env, router.Clients{
		Authz:     authzv1.NewAuthzServiceClient(inproc.New(&authzv1.AuthzService_ServiceDesc, authzSrv, ic)),
		Quota:     quotav1.NewQuotaServiceClient(inproc.New(&quotav1.QuotaService_ServiceDesc, quotaSrv, ic)),
		Adapter:   provideradapterv1.NewProviderAdapterServiceClient(inproc.New(&provideradapterv1.ProviderAdapterService_ServiceDesc, adapterSrv, ic)),
		Telemetry: telemetryv1.NewTelemetryServiceClient(inproc.New(&telemetryv1.TelemetryService_ServiceDesc, telemetrySrv, ic)),
	}, fmt.Sprintf("tollgate@%d", os.Getpid()))
	if err != nil {
		return err
	}
	routerSvc, err := router.Mount(ctx, env, deps, facadeFlags)
	if err != nil {
		env.Life.Stop(common.Grace)
		return err
	}
	// All five services are also reachable over gRPC, as in the split mesh.
	if err := env.ServeGRPC(func(s *grpc.Server) {
		authzv1.RegisterAuthzServiceServer(s, authzSrv)
		quotav1.RegisterQuotaServiceServer(s, quotaSrv)
		provideradapterv1.RegisterProviderAdapterServiceServer(s, adapterSrv)
		telemetryv1.RegisterTelemetryServiceServer(s, telemetrySrv)
		routerv1.RegisterRouterServiceServer(s, routerSvc)
	}); err != nil {
		env.Life.Stop(common.Grace)
		return err
	}
	// Open WatchPolicy streams would hold the gRPC graceful stop for the whole
	// grace period; this step runs before it.
	env.Life.OnStop("policy-streams", func(context.Context) error { authzSrv.Close(); return nil })
	return env.Wait(ctx)
}
