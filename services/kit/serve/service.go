package serve

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/grpc"
	"google.golang.org/grpc/health"

	"github.com/tollgate/tollgate/services/kit/config"
	"github.com/tollgate/tollgate/services/kit/flagenv"
	"github.com/tollgate/tollgate/services/kit/tracing"
)

// EnvPrefix prefixes every flag's environment variable (TOLLGATE_GRPC_ADDR…).
const EnvPrefix = "TOLLGATE"

// CommonFlags are the flags every service binary takes.
type CommonFlags struct {
	GRPCAddr     string
	AdminAddr    string
	ConfigPath   string
	LogLevel     string
	ReloadPeriod time.Duration
	Grace        time.Duration
	OTLPEndpoint string
}

// Register adds the common flags with the service's default ports.
func (c *CommonFlags) Register(fs *flag.FlagSet, grpcAddr, adminAddr string) {
	fs.StringVar(&c.GRPCAddr, "grpc-addr", grpcAddr, "gRPC listen address")
	fs.StringVar(&c.AdminAddr, "admin-addr", adminAddr, "admin HTTP address (/metrics, /healthz, /debug/pprof); empty disables")
	fs.StringVar(&c.ConfigPath, "config", "", "declarative config file (YAML); empty uses the embedded development config")
	fs.StringVar(&c.LogLevel, "log-level", "info", "debug, info, warn or error")
	fs.DurationVar(&c.ReloadPeriod, "config-reload-period", 250*time.Millisecond, "how often the config file is checked for changes")
	fs.DurationVar(&c.Grace, "shutdown-grace", 15*time.Second, "how long in-flight work may take to drain on shutdown")
	fs.StringVar(&c.OTLPEndpoint, "otlp-endpoint", "", "export OpenTelemetry traces to this OTLP/gRPC collector (host:port); empty = tracing off")
}

// Parse parses args with env fallbacks.
func Parse(fs *flag.FlagSet, args []string) error { return flagenv.Parse(fs, args, EnvPrefix) }

// Env is what a running service gets: logger, config, metrics, health and lifecycle.
type Env struct {
	Name      string
	Log       *slog.Logger
	Config    *config.Store
	Registry  *prometheus.Registry
	Intercept *Interceptors
	Health    *health.Server
	Life      *Lifecycle
	Flags     CommonFlags
}

// Start loads the config (failing on any problem, all reported) and starts the
// reload watcher.
func Start(ctx context.Context, name string, flags CommonFlags, stderr io.Writer) (*Env, error) {
	log := NewLogger(stderr, name, flags.LogLevel)
	store, err := config.NewStore(flags.ConfigPath, log)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	reg := NewRegistry()
	e := &Env{
		Name: name, Log: log, Config: store, Registry: reg,
		Intercept: NewInterceptors(name, log, reg),
		Health:    NewHealth(),
		Life:      NewLifecycle(log),
		Flags:     flags,
	}
	stopTracing, err := tracing.Setup(ctx, name, flags.OTLPEndpoint)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	// Registered first, so it runs last: spans of the drain are exported too.
	e.Life.OnStop("tracing", stopTracing)
	watchCtx, cancel := context.WithCancel(context.Background())
	e.Life.Go("config-watch", func() error { store.Watch(watchCtx, flags.ReloadPeriod); return nil })
	e.Life.OnStop("config-watch", func(context.Context) error { cancel(); return nil })
	return e, nil
}

// ServeGRPC listens on the gRPC and admin addresses and serves; register
// adds the service implementations.
func (e *Env) ServeGRPC(register func(*grpc.Server), extraGatherers ...prometheus.Gatherer) error {
	s := NewGRPCServer(e.Intercept, e.Health)
	register(s)
	lis, err := net.Listen("tcp", e.Flags.GRPCAddr)
	if err != nil {
		return fmt.Errorf("%s: listen gRPC: %w", e.Name, err)
	}
	if err := e.ServeAdmin(extraGatherers...); err != nil {
		_ = lis.Close()
		return err
	}
	e.Life.ServeGRPC("grpc", s, lis, e.Health)
	e.Log.Info("serving", "grpc", lis.Addr().String(), "admin", e.Flags.AdminAddr)
	return nil
}

// ServeAdmin serves the admin mux if an address is set.
func (e *Env) ServeAdmin(extraGatherers ...prometheus.Gatherer) error {
	if e.Flags.AdminAddr == "" {
		return nil
	}
	lis, err := net.Listen("tcp", e.Flags.AdminAddr)
	if err != nil {
		return fmt.Errorf("%s: listen admin: %w", e.Name, err)
	}
	g := append([]prometheus.Gatherer{e.Registry}, extraGatherers...)
	srv := &http.Server{Handler: AdminMux(nil, g...), ReadHeaderTimeout: 10 * time.Second}
	e.Life.ServeHTTP("admin", srv, lis)
	return nil
}

// Wait runs until ctx ends, then shuts down in order.
func (e *Env) Wait(ctx context.Context) error {
	err := e.Life.Wait(ctx, e.Flags.Grace)
	e.Log.Info("stopped")
	return err
}

// DialInternal connects to another Tollgate service.
func DialInternal(addr string) (*grpc.ClientConn, error) {
	return grpc.NewClient(addr, append(append(ClientOptions(), tracing.DialOptions()...), grpc.WithTransportCredentials(insecureCreds()))...)
}
