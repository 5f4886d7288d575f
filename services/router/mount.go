package router

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	nethttp "net/http"
	"time"

	"github.com/tollgate/tollgate/services/kit/http1"
	"github.com/tollgate/tollgate/services/kit/inproc"
	"github.com/tollgate/tollgate/services/kit/serve"
	"github.com/tollgate/tollgate/services/kit/tracing"
	"github.com/tollgate/tollgate/services/router/facade"
)

// Mount builds the router service and serves its HTTP facade as front says;
// the caller registers the service on its gRPC server. Both the router
// binary and the all-in-one binary use it.
func Mount(ctx context.Context, env *serve.Env, deps Deps, front FacadeFlags) (*Service, error) {
	if err := front.Validate(); err != nil {
		return nil, fmt.Errorf("router: %w", err)
	}
	svc := NewService(deps)
	h, err := facade.New(ctx, svc, facade.Options{
		MaxBodyBytes: func() int64 { return deps.Config.Current().Config.Gateway.MaxRequestBytes },
		Ready:        svc.Ready,
		Log:          deps.Log,
		Conn:         []inproc.Option{inproc.WithInterceptors(env.Intercept.Unary, env.Intercept.Stream)},
		Telemetry:    deps.Telemetry,
	})
	if err != nil {
		return nil, fmt.Errorf("router: build facade: %w", err)
	}
	lis, err := net.Listen("tcp", front.Addr)
	if err != nil {
		return nil, fmt.Errorf("router: listen HTTP: %w", err)
	}
	env.Life.ServeHTTP("http-facade", facadeServer(front.Server, tracing.HTTPHandler(h, "tollgate.facade"), env.Log), lis)
	env.Log.Info("HTTP facade listening", "addr", lis.Addr().String(), "server", front.Server)
	return svc, nil
}

// facadeServer returns the HTTP server the facade runs on.
func facadeServer(kind string, h nethttp.Handler, log *slog.Logger) serve.HTTPServer {
	const readHeader, idle = 30 * time.Second, 120 * time.Second
	if kind == ServerNetHTTP {
		return &nethttp.Server{Handler: h, ReadHeaderTimeout: readHeader, IdleTimeout: idle}
	}
	return &http1.Server{Handler: h, ReadHeaderTimeout: readHeader, IdleTimeout: idle, Log: log}
}
