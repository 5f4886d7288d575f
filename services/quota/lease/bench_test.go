package lease_test

import (
	"context"
	"testing"

	"google.golang.org/grpc"

	quotav1 "github.com/tollgate/tollgate/gen/go/tollgate/quota/v1"
	"github.com/tollgate/tollgate/services/quota/lease"
)

// generousClient grants huge leases so the benchmark measures the cached path.
type generousClient struct{}

func (generousClient) Reserve(context.Context, *quotav1.ReserveRequest, ...grpc.CallOption) (*quotav1.ReserveResponse, error) {
	return &quotav1.ReserveResponse{Granted: true, Calls: 1 << 40, LeaseId: "bench", ExpireTimeUnixMs: windowStart.Add(10 * 365 * 24 * 3600e9).UnixMilli()}, nil
}

func (generousClient) Reconcile(context.Context, *quotav1.ReconcileRequest, ...grpc.CallOption) (*quotav1.ReconcileResponse, error) {
	return &quotav1.ReconcileResponse{}, nil
}

func BenchmarkAdmitCached(b *testing.B) {
	l := lease.NewLimiter(generousClient{}, "bench", nil, nil)
	ctx := context.Background()
	groups := []string{"eng", "staff"}
	if err := l.Admit(ctx, "chat", "alice", groups); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if err := l.Admit(ctx, "chat", "alice", groups); err != nil {
				b.Fatal(err)
			}
		}
	})
}
