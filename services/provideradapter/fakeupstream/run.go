package fakeupstream

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"
)

// Run is the tollgate-fake-upstream binary: it listens on --addr, prints
// exactly one line "listening on http://HOST:PORT" to stdout once ready, and
// serves until ctx ends.
func Run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("tollgate-fake-upstream", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", "127.0.0.1:0", "listen address")
	history := fs.Int("history", DefaultHistory, "how many requests to record for GET /_fake/requests")
	slow := fs.Duration("slow-delay", DefaultSlowDelay, `how long the "slow" model waits`)
	if err := fs.Parse(args); err != nil {
		return err
	}
	lis, err := net.Listen("tcp", *addr)
	if err != nil {
		return fmt.Errorf("fake upstream: %w", err)
	}
	srv := &http.Server{
		Handler:           New(WithHistory(*history), WithSlowDelay(*slow)),
		ReadHeaderTimeout: 10 * time.Second,
	}
	if _, err := fmt.Fprintf(stdout, "listening on http://%s\n", lis.Addr()); err != nil {
		_ = lis.Close()
		return err
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(lis) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		_ = srv.Close() // slow requests may outlive the grace period
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
