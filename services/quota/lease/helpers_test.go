package lease_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/grpc"

	quotav1 "github.com/tollgate/tollgate/gen/go/tollgate/quota/v1"
	"github.com/tollgate/tollgate/services/kit/config"
	"github.com/tollgate/tollgate/services/kit/inproc"
	"github.com/tollgate/tollgate/services/quota"
)

const limitsYAML = `
endpoints:
  - name: capped
    task: chat
    served_entities: [{name: f, provider: fake, model: m}]
    rate_limits:
      - {scope: endpoint, calls_per_minute: 40}
  - name: per-user
    task: chat
    served_entities: [{name: f, provider: fake, model: m}]
    rate_limits:
      - {scope: user, calls_per_minute: 3}
  - name: only-alice
    task: chat
    served_entities: [{name: f, provider: fake, model: m}]
    rate_limits:
      - {scope: user, subject: alice, calls_per_minute: 2}
  - name: team
    task: chat
    served_entities: [{name: f, provider: fake, model: m}]
    rate_limits:
      - {scope: group, subject: eng, calls_per_minute: 2}
  - name: big
    task: chat
    served_entities: [{name: f, provider: fake, model: m}]
    rate_limits:
      - {scope: endpoint, calls_per_minute: 100000}
  - name: free
    task: chat
    served_entities: [{name: f, provider: fake, model: m}]
principals:
  - {name: alice, groups: [eng]}
  - {name: bob}
groups:
  - {name: eng}
`

// windowStart is a minute boundary; tests run 15s into that window, so a
// denial's Retry-After is 45s.
var windowStart = time.Unix(28_333_334*60, 0)

type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newFakeClock() *fakeClock { return &fakeClock{t: windowStart.Add(15 * time.Second)} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func newQuotaServer(t testing.TB, clock *fakeClock) *quota.Server {
	t.Helper()
	cfg, err := config.Parse([]byte(limitsYAML))
	if err != nil {
		t.Fatal(err)
	}
	return quota.NewServer(config.NewStaticStore(cfg), nil, prometheus.NewRegistry(), clock.Now)
}

func inprocClient(srv *quota.Server) quotav1.QuotaServiceClient {
	return quotav1.NewQuotaServiceClient(inproc.New(&quotav1.QuotaService_ServiceDesc, srv))
}

// recordingClient counts calls, records requests, and can hold Reserve at a
// gate or fail it.
type recordingClient struct {
	next       quotav1.QuotaServiceClient
	reserves   atomic.Int64
	reconciles atomic.Int64
	gate       chan struct{} // when non-nil, Reserve waits for it to close
	fail       error

	mu         sync.Mutex
	calls      []int64 // ReserveRequest.calls, in order
	reconciled []*quotav1.ReconcileRequest
}

func (c *recordingClient) Reserve(ctx context.Context, in *quotav1.ReserveRequest, opts ...grpc.CallOption) (*quotav1.ReserveResponse, error) {
	c.reserves.Add(1)
	c.mu.Lock()
	c.calls = append(c.calls, in.GetCalls())
	c.mu.Unlock()
	if c.gate != nil {
		<-c.gate
	}
	if c.fail != nil {
		return nil, c.fail
	}
	return c.next.Reserve(ctx, in, opts...)
}

func (c *recordingClient) Reconcile(ctx context.Context, in *quotav1.ReconcileRequest, opts ...grpc.CallOption) (*quotav1.ReconcileResponse, error) {
	c.reconciles.Add(1)
	c.mu.Lock()
	c.reconciled = append(c.reconciled, in)
	c.mu.Unlock()
	if c.fail != nil {
		return nil, c.fail
	}
	return c.next.Reconcile(ctx, in, opts...)
}

func (c *recordingClient) requestedCalls() []int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]int64(nil), c.calls...)
}
