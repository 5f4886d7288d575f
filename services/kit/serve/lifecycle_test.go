package serve

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"
)

func TestStopRunsInReverseRegistrationOrder(t *testing.T) {
	l := NewLifecycle(slog.New(slog.DiscardHandler))
	var order []string
	for _, name := range []string{"spool", "exporter", "grpc", "http"} {
		l.OnStop(name, func(context.Context) error { order = append(order, name); return nil })
	}
	l.Stop(time.Second)
	if got := strings.Join(order, ","); got != "http,grpc,exporter,spool" {
		t.Fatalf("stop order %s", got)
	}
}

func TestAFailingComponentStopsTheService(t *testing.T) {
	l := NewLifecycle(slog.New(slog.DiscardHandler))
	boom := errors.New("boom")
	stopped := false
	l.OnStop("other", func(context.Context) error { stopped = true; return nil })
	l.Go("failing", func() error { return boom })
	if err := l.Wait(context.Background(), time.Second); !errors.Is(err, boom) {
		t.Fatalf("Wait returned %v, want the component's error", err)
	}
	if !stopped {
		t.Fatal("the other components were not stopped")
	}
}

func TestWaitStopsOnContextEnd(t *testing.T) {
	l := NewLifecycle(slog.New(slog.DiscardHandler))
	done := make(chan struct{})
	l.Go("worker", func() error { <-done; return nil })
	l.OnStop("worker", func(context.Context) error { close(done); return nil })
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := l.Wait(ctx, time.Second); err != nil {
		t.Fatalf("Wait: %v", err)
	}
}
