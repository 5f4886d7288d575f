package quota

import (
	"context"
	"flag"
	"io"
	"time"

	"google.golang.org/grpc"

	quotav1 "github.com/tollgate/tollgate/gen/go/tollgate/quota/v1"
	"github.com/tollgate/tollgate/services/kit/serve"
)

// Default listen addresses of tollgate-quota.
const (
	DefaultGRPCAddr  = "127.0.0.1:7102"
	DefaultAdminAddr = "127.0.0.1:9102"
)

// Run is the tollgate-quota binary: flags, config, gRPC and admin servers,
// until ctx ends.
func Run(ctx context.Context, args []string, stderr io.Writer) error {
	fs := flag.NewFlagSet("tollgate-quota", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var common serve.CommonFlags
	common.Register(fs, DefaultGRPCAddr, DefaultAdminAddr)
	if err := serve.Parse(fs, args); err != nil {
		return err
	}
	env, err := serve.Start(ctx, "quota", common, stderr)
	if err != nil {
		return err
	}
	srv := NewServer(env.Config, env.Log, env.Registry, time.Now)
	if err := env.ServeGRPC(func(s *grpc.Server) { quotav1.RegisterQuotaServiceServer(s, srv) }); err != nil {
		return err
	}
	return env.Wait(ctx)
}
