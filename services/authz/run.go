package authz

import (
	"context"
	"flag"
	"io"

	"google.golang.org/grpc"

	authzv1 "github.com/tollgate/tollgate/gen/go/tollgate/authz/v1"
	"github.com/tollgate/tollgate/services/kit/serve"
)

// Default listen addresses of tollgate-authz.
const (
	DefaultGRPCAddr  = "127.0.0.1:7101"
	DefaultAdminAddr = "127.0.0.1:9101"
)

// Run is the tollgate-authz binary: flags, config, gRPC and admin servers,
// until ctx ends.
func Run(ctx context.Context, args []string, stderr io.Writer) error {
	fs := flag.NewFlagSet("tollgate-authz", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var common serve.CommonFlags
	common.Register(fs, DefaultGRPCAddr, DefaultAdminAddr)
	if err := serve.Parse(fs, args); err != nil {
		return err
	}
	env, err := serve.Start(ctx, "authz", common, stderr)
	if err != nil {
		return err
	}
	srv := NewServer(env.Config, env.Log, env.Registry)
	if err := env.ServeGRPC(func(s *grpc.Server) { authzv1.RegisterAuthzServiceServer(s, srv) }); err != nil {
		srv.Close()
		return err
	}
	// Registered after the gRPC server, so it runs before the graceful stop:
	// policy streams never end on their own and would hold the stop for the
	// whole grace period.
	env.Life.OnStop("policy-streams", func(context.Context) error { srv.Close(); return nil })
	return env.Wait(ctx)
}
