package lease_test

import (
	"context"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	quotav1 "github.com/tollgate/tollgate/gen/go/tollgate/quota/v1"
	"github.com/tollgate/tollgate/services/kit/errs"
	"github.com/tollgate/tollgate/services/quota/lease"
)

// serveQuota serves a quota server on a loopback port until the test ends.
func serveQuota(t *testing.T, clock *fakeClock) string {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	gs := grpc.NewServer()
	quotav1.RegisterQuotaServiceServer(gs, newQuotaServer(t, clock))
	go func() { _ = gs.Serve(lis) }()
	t.Cleanup(gs.Stop)
	return lis.Addr().String()
}

// replica is one router replica: its own connection and its own Limiter.
func replica(t *testing.T, addr string, clock *fakeClock) (*lease.Limiter, *recordingClient) {
	t.Helper()
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	client := &recordingClient{next: quotav1.NewQuotaServiceClient(conn)}
	l, _ := newLimiter(t, client, clock)
	return l, client
}

// Two router replicas hammer one endpoint limited to 40 calls a minute: all
// together they admit exactly 40, and every refusal carries Retry-After.
func TestTwoReplicasShareOneLimitExactly(t *testing.T) {
	clock := newFakeClock()
	addr := serveQuota(t, clock)
	const limit, workersPerReplica = 40, 4

	var admitted atomic.Int64
	var wg sync.WaitGroup
	badDenials := make(chan *errs.Error, 2*workersPerReplica)
	for r := 0; r < 2; r++ {
		l, _ := replica(t, addr, clock)
		principals := []string{"alice", "bob"}
		for w := 0; w < workersPerReplica; w++ {
			wg.Add(1)
			principal := principals[w%2]
			go func() {
				defer wg.Done()
				// Each worker runs until refused; refusals are only possible
				// once the server has granted the whole limit and this
				// replica's lease is spent, so all grants end up admitted.
				for i := 0; i < 10*limit; i++ {
					err := l.Admit(context.Background(), "capped", principal, nil)
					if err == nil {
						admitted.Add(1)
						continue
					}
					if e := errs.From(err); e.Kind != errs.KindRateLimited || e.Retry != 45*time.Second {
						badDenials <- e
					}
					return
				}
			}()
		}
	}
	wg.Wait()
	close(badDenials)
	for e := range badDenials {
		t.Errorf("refusal %+v, want rate limited with Retry-After 45s", e)
	}
	if got := admitted.Load(); got != limit {
		t.Fatalf("two replicas admitted %d calls, limit is %d", got, limit)
	}
}

func TestUserLimitOverGRPC(t *testing.T) {
	clock := newFakeClock()
	addr := serveQuota(t, clock)
	a, _ := replica(t, addr, clock)
	b, _ := replica(t, addr, clock)
	// alice spends her 3 through both replicas.
	admitted := 0
	for i := 0; i < 10; i++ {
		for _, l := range []*lease.Limiter{a, b} {
			if l.Admit(context.Background(), "per-user", "alice", []string{"eng"}) == nil {
				admitted++
			}
		}
	}
	if admitted != 3 {
		t.Fatalf("alice admitted %d across replicas, want 3", admitted)
	}
	if n, _ := admitUntilDenied(t, b, "per-user", "bob"); n != 3 {
		t.Fatalf("bob admitted %d; alice's limit must not affect him", n)
	}
}

func TestUnlimitedOverGRPCAsksOncePerSecond(t *testing.T) {
	clock := newFakeClock()
	l, client := replica(t, serveQuota(t, clock), clock)
	for step := 0; step < 5; step++ {
		for i := 0; i < 200; i++ {
			if err := l.Admit(context.Background(), "free", "alice", nil); err != nil {
				t.Fatal(err)
			}
		}
		if got := client.reserves.Load(); got != int64(step+1) {
			t.Fatalf("after %d simulated seconds, %d Reserve calls; want at most one per second", step+1, got)
		}
		clock.Advance(time.Second)
	}
}
