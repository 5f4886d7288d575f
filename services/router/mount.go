package router

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/tollgate/tollgate/services/kit/inproc"
	"github.com/tollgate/tollgate/services/kit/serve"
	"github.com/tollgate/tollgate/services/kit/tracing"
	"github.com/tollgate/tollgate/services/router/facade"
)

// Mount builds the router service and serves its HTTP facade on httpAddr;
// the caller registers the service on its gRPC server. Both the router
// binary and the all-in-one binary use it.
func Mount(ctx context.Context, env *serve.Env, deps Deps, httpAddr string) (*Service, error) {
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
	lis, err := net.Listen("tcp", httpAddr)
	if err != nil {
		return nil, fmt.Errorf("router: listen HTTP: %w", err)
	}
	srv := &http.Server{Handler: tracing.HTTPHandler(h, "tollgate.facade"), ReadHeaderTimeout: 30 * time.Second, IdleTimeout: 120 * time.Second}
	env.Life.ServeHTTP("http-facade", srv, lis)
	env.Log.Info("HTTP facade listening", "addr", lis.Addr().String())
	return svc, nil
}
