package serve

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
)

// Lifecycle starts components and stops them in reverse order: what started
// last (the listeners facing clients) stops first, so in-flight requests
// drain before the dependencies they use go away.
type Lifecycle struct {
	log     *slog.Logger
	mu      sync.Mutex
	stops   []namedStop
	errc    chan error
	running sync.WaitGroup
}

type namedStop struct {
	name string
	stop func(context.Context) error
}

// NewLifecycle makes an empty lifecycle.
func NewLifecycle(log *slog.Logger) *Lifecycle {
	return &Lifecycle{log: log, errc: make(chan error, 16)}
}

// Go runs fn in the background; an error from it stops the whole service.
func (l *Lifecycle) Go(name string, fn func() error) {
	l.running.Add(1)
	go func() {
		defer l.running.Done()
		if err := fn(); err != nil {
			l.log.Error("component failed", "component", name, "err", err)
			select {
			case l.errc <- err:
			default:
			}
		}
	}()
}

// OnStop registers a stop step; steps run in reverse registration order.
func (l *Lifecycle) OnStop(name string, stop func(context.Context) error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.stops = append(l.stops, namedStop{name, stop})
}

// ServeGRPC serves s on lis and registers its graceful stop; health turns
// NOT_SERVING first so load balancers stop sending.
func (l *Lifecycle) ServeGRPC(name string, s *grpc.Server, lis net.Listener, hs *health.Server) {
	l.Go(name, func() error { return s.Serve(lis) })
	l.OnStop(name, func(ctx context.Context) error {
		if hs != nil {
			hs.Shutdown()
		}
		done := make(chan struct{})
		go func() { s.GracefulStop(); close(done) }()
		select {
		case <-done:
		case <-ctx.Done():
			s.Stop()
		}
		return nil
	})
}

// HTTPServer is what ServeHTTP runs: net/http's server or the facade's
// (kit/http1); Serve returns http.ErrServerClosed after Shutdown.
type HTTPServer interface {
	Serve(net.Listener) error
	Shutdown(context.Context) error
}

// ServeHTTP serves srv on lis and registers its graceful shutdown.
func (l *Lifecycle) ServeHTTP(name string, srv HTTPServer, lis net.Listener) {
	l.Go(name, func() error {
		if err := srv.Serve(lis); err != nil && !errors.Is(err, http.ErrServerClosed) {
			return err
		}
		return nil
	})
	l.OnStop(name, srv.Shutdown)
}

// Wait blocks until ctx ends or a component fails, then stops everything
// in reverse order within grace.
func (l *Lifecycle) Wait(ctx context.Context, grace time.Duration) error {
	var cause error
	select {
	case <-ctx.Done():
	case cause = <-l.errc:
	}
	l.Stop(grace)
	return cause
}

// Stop runs the stop steps in reverse order.
func (l *Lifecycle) Stop(grace time.Duration) {
	ctx, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	l.mu.Lock()
	stops := l.stops
	l.stops = nil
	l.mu.Unlock()
	for i := len(stops) - 1; i >= 0; i-- {
		if err := stops[i].stop(ctx); err != nil {
			l.log.Warn("stop step failed", "component", stops[i].name, "err", err)
		}
	}
	l.running.Wait()
}

// NewHealth is a health server with the overall status SERVING.
func NewHealth(services ...string) *health.Server {
	hs := health.NewServer()
	hs.SetServingStatus("", healthpb.HealthCheckResponse_SERVING)
	for _, s := range services {
		hs.SetServingStatus(s, healthpb.HealthCheckResponse_SERVING)
	}
	return hs
}
