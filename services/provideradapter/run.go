package provideradapter

import (
	"context"
	"flag"
	"io"

	"google.golang.org/grpc"

	provideradapterv1 "github.com/tollgate/tollgate/gen/go/tollgate/provideradapter/v1"
	"github.com/tollgate/tollgate/services/kit/serve"
)

// Default listen addresses of tollgate-provider-adapter.
const (
	DefaultGRPCAddr  = "127.0.0.1:7103"
	DefaultAdminAddr = "127.0.0.1:9103"
)

// Run is the tollgate-provider-adapter binary: flags, config, gRPC and admin
// servers, until ctx ends.
func Run(ctx context.Context, args []string, stderr io.Writer) error {
	fs := flag.NewFlagSet("tollgate-provider-adapter", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var common serve.CommonFlags
	common.Register(fs, DefaultGRPCAddr, DefaultAdminAddr)
	if err := serve.Parse(fs, args); err != nil {
		return err
	}
	env, err := serve.Start(ctx, "provider-adapter", common, stderr)
	if err != nil {
		return err
	}
	srv := NewServer(env.Config, env.Log, env.Registry)
	if err := env.ServeGRPC(func(s *grpc.Server) { provideradapterv1.RegisterProviderAdapterServiceServer(s, srv) }); err != nil {
		return err
	}
	// Runs after the gRPC server has drained (stops run in reverse order).
	env.Life.OnStop("upstream-connections", func(context.Context) error { srv.Close(); return nil })
	return env.Wait(ctx)
}
