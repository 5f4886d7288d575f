package router

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
	"github.com/tollgate/tollgate/services/authz/policy"
	"github.com/tollgate/tollgate/services/kit/serve"
	"github.com/tollgate/tollgate/services/quota/lease"
	"github.com/tollgate/tollgate/services/telemetry/sink"
)

// Run is the tollgate-router binary: the router in the split mesh, talking to
// the other four services over gRPC.
func Run(ctx context.Context, args []string, stderr io.Writer) error {
	fs := flag.NewFlagSet("tollgate-router", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var common serve.CommonFlags
	common.Register(fs, "127.0.0.1:7100", "127.0.0.1:9100")
	var facadeFlags FacadeFlags
	facadeFlags.Register(fs)
	authzAddr := fs.String("authz-addr", "127.0.0.1:7101", "authz service address")
	quotaAddr := fs.String("quota-addr", "127.0.0.1:7102", "quota service address")
	adapterAddr := fs.String("provider-adapter-addr", "127.0.0.1:7103", "provider-adapter service address")
	telemetryAddr := fs.String("telemetry-addr", "127.0.0.1:7104", "telemetry service address")
	if err := serve.Parse(fs, args); err != nil {
		return err
	}
	env, err := serve.Start(ctx, "router", common, stderr)
	if err != nil {
		return err
	}
	conns := map[string]*grpc.ClientConn{}
	for name, addr := range map[string]string{"authz": *authzAddr, "quota": *quotaAddr, "provider-adapter": *adapterAddr, "telemetry": *telemetryAddr} {
		cc, err := serve.DialInternal(addr)
		if err != nil {
			return fmt.Errorf("router: dial %s at %s: %w", name, addr, err)
		}
		conns[name] = cc
	}
	env.Life.OnStop("clients", func(context.Context) error {
		for _, cc := range conns {
			_ = cc.Close()
		}
		return nil
	})
	hostname, _ := os.Hostname()
	holder := fmt.Sprintf("router@%s:%d", hostname, os.Getpid())

	deps, err := Wire(ctx, env, Clients{
		Authz:     authzv1.NewAuthzServiceClient(conns["authz"]),
		Quota:     quotav1.NewQuotaServiceClient(conns["quota"]),
		Adapter:   provideradapterv1.NewProviderAdapterServiceClient(conns["provider-adapter"]),
		Telemetry: telemetryv1.NewTelemetryServiceClient(conns["telemetry"]),
	}, holder)
	if err != nil {
		return err
	}
	svc, err := Mount(ctx, env, deps, facadeFlags)
	if err != nil {
		return err
	}
	if err := env.ServeGRPC(func(s *grpc.Server) { routerv1.RegisterRouterServiceServer(s, svc) }); err != nil {
		return err
	}
	return env.Wait(ctx)
}

// Clients are the router's four collaborators, over the network or in-process.
type Clients struct {
	Authz     authzv1.AuthzServiceClient
	Quota     quotav1.QuotaServiceClient
	Adapter   provideradapterv1.ProviderAdapterServiceClient
	Telemetry telemetryv1.TelemetryServiceClient
}

// Wire starts the router's background parts (policy watch, usage sink) on
// env's lifecycle and returns the dependencies for Mount.
func Wire(ctx context.Context, env *serve.Env, c Clients, holder string) (Deps, error) {
	decider := policy.NewDecider()
	watcher := policy.NewWatcher(c.Authz, decider, holder, env.Log)
	watchCtx, stopWatch := context.WithCancel(context.Background())
	env.Life.Go("policy-watch", func() error { watcher.Run(watchCtx); return nil })
	env.Life.OnStop("policy-watch", func(context.Context) error { stopWatch(); return nil })

	limiter := lease.NewLimiter(c.Quota, holder, env.Log, env.Registry)
	env.Life.OnStop("quota-leases", limiter.Close)

	usage := sink.New(c.Telemetry, holder, env.Log, env.Registry, sink.Options{})
	sinkCtx, stopSink := context.WithCancel(context.Background())
	env.Life.Go("usage-sink", func() error { usage.Run(sinkCtx); return nil })
	env.Life.OnStop("usage-sink", func(ctx context.Context) error {
		err := usage.Close(ctx)
		stopSink()
		return err
	})
	return Deps{
		Config: env.Config, Policy: decider, Limiter: limiter, Adapter: c.Adapter,
		Usage: usage, Log: env.Log, Registry: env.Registry, Gatherer: env.Registry, Telemetry: c.Telemetry,
	}, nil
}
