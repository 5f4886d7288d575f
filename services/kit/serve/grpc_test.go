package serve

import (
	"context"
	"errors"
	"log/slog"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/tollgate/tollgate/services/kit/errs"
)

// The interceptor counts every call by method and code (successes through
// its cached series, failures by their mapped code) and turns typed errors
// and panics into statuses.
func TestInterceptorsCountAndMapErrors(t *testing.T) {
	reg := prometheus.NewRegistry()
	ic := NewInterceptors("test", slog.New(slog.DiscardHandler), reg)
	call := func(method string, h grpc.UnaryHandler) error {
		_, err := ic.Unary(context.Background(), nil, &grpc.UnaryServerInfo{FullMethod: method}, h)
		return err
	}
	ok := func(context.Context, any) (any, error) { return "ok", nil }
	for range 3 {
		if err := call("/svc/A", ok); err != nil {
			t.Fatal(err)
		}
	}
	if err := call("/svc/B", ok); err != nil {
		t.Fatal(err)
	}
	err := call("/svc/A", func(context.Context, any) (any, error) {
		return nil, errs.RateLimited(0, "slow down")
	})
	if status.Code(err) != codes.ResourceExhausted {
		t.Fatalf("rate limited error mapped to %v", err)
	}
	err = call("/svc/A", func(context.Context, any) (any, error) { panic(errors.New("boom")) })
	if status.Code(err) != codes.Internal {
		t.Fatalf("panic mapped to %v", err)
	}
	for _, tc := range []struct {
		method, code string
		want         float64
	}{{"/svc/A", "OK", 3}, {"/svc/B", "OK", 1}, {"/svc/A", "ResourceExhausted", 1}, {"/svc/A", "Internal", 1}} {
		if got := testutil.ToFloat64(ic.handled.WithLabelValues(tc.method, tc.code)); got != tc.want {
			t.Errorf("%s %s: counted %v, want %v", tc.method, tc.code, got, tc.want)
		}
	}
	if n := testutil.CollectAndCount(ic.latency); n != 2 {
		t.Errorf("latency series %d, want one per method", n)
	}
}
