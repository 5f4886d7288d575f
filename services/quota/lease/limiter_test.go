package lease_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/tollgate/tollgate/services/kit/errs"
	"github.com/tollgate/tollgate/services/quota/lease"
)

func newLimiter(t testing.TB, client *recordingClient, clock *fakeClock, opts ...lease.Option) (*lease.Limiter, *prometheus.Registry) {
	t.Helper()
	reg := prometheus.NewRegistry()
	opts = append([]lease.Option{lease.WithClock(clock.Now)}, opts...)
	return lease.NewLimiter(client, "router-test", nil, reg, opts...), reg
}

// admitUntilDenied admits one call at a time until a denial and returns the
// number admitted and the denial.
func admitUntilDenied(t *testing.T, l *lease.Limiter, endpoint, principal string, groups ...string) (int, *errs.Error) {
	t.Helper()
	for n := 0; n < 10000; n++ {
		if err := l.Admit(context.Background(), endpoint, principal, groups); err != nil {
			return n, errs.From(err)
		}
	}
	t.Fatal("never denied")
	return 0, nil
}

func TestDenialIsCachedUntilRetryAfter(t *testing.T) {
	clock := newFakeClock()
	client := &recordingClient{next: inprocClient(newQuotaServer(t, clock))}
	l, reg := newLimiter(t, client, clock)

	n, denial := admitUntilDenied(t, l, "capped", "alice", "eng")
	if n != 40 {
		t.Fatalf("admitted %d, limit is 40", n)
	}
	if denial.Kind != errs.KindRateLimited || denial.HTTPStatus() != 429 || denial.Retry != 45*time.Second {
		t.Fatalf("denial %+v, want 429 with Retry-After 45s", denial)
	}
	if !strings.Contains(denial.Message, `rate limit of endpoint "capped" exceeded`) {
		t.Errorf("message %q", denial.Message)
	}
	reserves := client.reserves.Load()
	clock.Advance(44*time.Second + 100*time.Millisecond)
	for i := 0; i < 100; i++ {
		err := errs.From(l.Admit(context.Background(), "capped", "alice", []string{"eng"}))
		if err == nil || err.Retry != time.Second {
			t.Fatalf("0.9s before the window ends: %+v, want a denial rounded up to 1s", err)
		}
	}
	if client.reserves.Load() != reserves {
		t.Fatalf("a cached denial still called Reserve %d times", client.reserves.Load()-reserves)
	}
	if got := testutil.ToFloat64(mustCounter(t, reg, "tollgate_quota_rejected_requests_total")); got != 101 {
		t.Errorf("rejected requests counter %v, want 101", got)
	}
	clock.Advance(time.Second) // the next window
	if err := l.Admit(context.Background(), "capped", "alice", []string{"eng"}); err != nil {
		t.Fatalf("a new window must admit again: %v", err)
	}
}

func TestBatchGrowsWithinAWindow(t *testing.T) {
	clock := newFakeClock()
	client := &recordingClient{next: inprocClient(newQuotaServer(t, clock))}
	l, _ := newLimiter(t, client, clock)
	for i := 0; i < 1+2+4+8+16+32+64+128+256+256; i++ {
		if err := l.Admit(context.Background(), "big", "alice", nil); err != nil {
			t.Fatal(err)
		}
	}
	want := []int64{1, 2, 4, 8, 16, 32, 64, 128, 256, 256}
	if got := client.requestedCalls(); !slices.Equal(got, want) {
		t.Fatalf("Reserve asked for %v, want %v", got, want)
	}
	clock.Advance(time.Minute)
	if err := l.Admit(context.Background(), "big", "alice", nil); err != nil {
		t.Fatal(err)
	}
	if got := client.requestedCalls(); got[len(got)-1] != 1 {
		t.Fatalf("a new window must start with a batch of 1, asked %d", got[len(got)-1])
	}
}

func TestUserLimitIsPerPrincipal(t *testing.T) {
	clock := newFakeClock()
	l, _ := newLimiter(t, &recordingClient{next: inprocClient(newQuotaServer(t, clock))}, clock)
	n, denial := admitUntilDenied(t, l, "per-user", "alice", "eng")
	if n != 3 || !strings.Contains(denial.Message, `for principal "alice"`) {
		t.Fatalf("alice: %d admitted, denial %q", n, denial.Message)
	}
	if n, _ := admitUntilDenied(t, l, "per-user", "bob"); n != 3 {
		t.Fatalf("bob admitted %d; alice's exhausted limit must not affect him", n)
	}
	if n, _ := admitUntilDenied(t, l, "only-alice", "alice"); n != 2 {
		t.Fatalf("alice on only-alice admitted %d, want 2", n)
	}
	for i := 0; i < 50; i++ {
		if err := l.Admit(context.Background(), "only-alice", "bob", nil); err != nil {
			t.Fatalf("a limit on alice limited bob: %v", err)
		}
	}
}

func TestGroupLimitFollowsMembership(t *testing.T) {
	clock := newFakeClock()
	l, _ := newLimiter(t, &recordingClient{next: inprocClient(newQuotaServer(t, clock))}, clock)
	n, denial := admitUntilDenied(t, l, "team", "alice", "eng")
	if n != 2 || !strings.Contains(denial.Message, `for group "eng"`) {
		t.Fatalf("admitted %d, denial %q", n, denial.Message)
	}
	// Alice left the group (a config change): her cached denial no longer applies.
	if err := l.Admit(context.Background(), "team", "alice", nil); err != nil {
		t.Fatalf("outside eng alice is unlimited: %v", err)
	}
}

func TestUnlimitedAsksAtMostOncePerSecond(t *testing.T) {
	clock := newFakeClock()
	client := &recordingClient{next: inprocClient(newQuotaServer(t, clock))}
	l, _ := newLimiter(t, client, clock)
	admitMany := func() {
		var wg sync.WaitGroup
		for g := 0; g < 4; g++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := 0; i < 250; i++ {
					if err := l.Admit(context.Background(), "free", "alice", []string{"eng"}); err != nil {
						t.Error(err)
						return
					}
				}
			}()
		}
		wg.Wait()
	}
	admitMany()
	if got := client.reserves.Load(); got != 1 {
		t.Fatalf("1000 requests within a second made %d Reserve calls, want 1", got)
	}
	clock.Advance(999 * time.Millisecond)
	admitMany()
	if got := client.reserves.Load(); got != 1 {
		t.Fatalf("%d Reserve calls before the second was up, want 1", got)
	}
	clock.Advance(time.Millisecond)
	admitMany()
	if got := client.reserves.Load(); got != 2 {
		t.Fatalf("%d Reserve calls after a second, want 2", got)
	}
}

func TestConcurrentCallersShareOneReserve(t *testing.T) {
	clock := newFakeClock()
	client := &recordingClient{next: inprocClient(newQuotaServer(t, clock)), gate: make(chan struct{})}
	l, _ := newLimiter(t, client, clock)
	var wg sync.WaitGroup
	failures := make(chan error, 20)
	for i := 0; i < 20; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := l.Admit(context.Background(), "free", "alice", nil); err != nil {
				failures <- err
			}
		}()
	}
	for client.reserves.Load() == 0 {
		time.Sleep(time.Millisecond) // wait for the first Reserve to be held at the gate
	}
	close(client.gate)
	wg.Wait()
	close(failures)
	for err := range failures {
		t.Error(err)
	}
	if got := client.reserves.Load(); got != 1 {
		t.Fatalf("20 concurrent callers made %d Reserve calls, want 1", got)
	}
}

func TestWaitingCallerHonoursItsContext(t *testing.T) {
	clock := newFakeClock()
	client := &recordingClient{next: inprocClient(newQuotaServer(t, clock)), gate: make(chan struct{})}
	l, _ := newLimiter(t, client, clock)
	leader := make(chan error, 1)
	go func() { leader <- l.Admit(context.Background(), "free", "alice", nil) }()
	for client.reserves.Load() == 0 {
		time.Sleep(time.Millisecond)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := errs.From(l.Admit(ctx, "free", "alice", nil)); err.Kind != errs.KindCanceled {
		t.Fatalf("a canceled waiter got %+v, want canceled", err)
	}
	close(client.gate)
	if err := <-leader; err != nil {
		t.Fatalf("leader: %v", err)
	}
}

func TestFailOpen(t *testing.T) {
	clock := newFakeClock()
	client := &recordingClient{fail: status.Error(codes.Unavailable, "connection refused")}
	l, reg := newLimiter(t, client, clock)
	for i := 0; i < 10; i++ {
		if err := l.Admit(context.Background(), "capped", "alice", nil); err != nil {
			t.Fatalf("fail open must admit: %v", err)
		}
	}
	if got := testutil.ToFloat64(mustCounter(t, reg, "tollgate_quota_fail_open_total")); got != 10 {
		t.Errorf("fail-open counter %v, want 10", got)
	}
	if got := client.reserves.Load(); got != 1 {
		t.Errorf("%d Reserve calls during the outage, want 1 (the failure is remembered briefly)", got)
	}
	clock.Advance(time.Second)
	_ = l.Admit(context.Background(), "capped", "alice", nil)
	if got := client.reserves.Load(); got != 2 {
		t.Errorf("%d Reserve calls, want a retry once the failure is old", got)
	}
}

func TestFailClosed(t *testing.T) {
	clock := newFakeClock()
	client := &recordingClient{fail: status.Error(codes.Unavailable, "connection refused")}
	l, _ := newLimiter(t, client, clock, lease.FailClosed())
	for i := 0; i < 3; i++ {
		if err := errs.From(l.Admit(context.Background(), "capped", "alice", nil)); err.Kind != errs.KindUnavailable {
			t.Fatalf("fail closed: got %+v, want unavailable", err)
		}
	}
}

func TestCloseReturnsUnspentPermits(t *testing.T) {
	clock := newFakeClock()
	client := &recordingClient{next: inprocClient(newQuotaServer(t, clock))}
	l, _ := newLimiter(t, client, clock)
	// Batches of 1, 2 and 4: after 4 admits, 3 permits of the last lease remain.
	for i := 0; i < 4; i++ {
		if err := l.Admit(context.Background(), "capped", "alice", nil); err != nil {
			t.Fatal(err)
		}
	}
	if err := l.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if len(client.reconciled) != 1 || client.reconciled[0].GetUnusedCalls() != 3 {
		t.Fatalf("reconciled %v, want one lease with 3 unused calls", client.reconciled)
	}
	// The 3 went back: another replica can still use 40-4 = 36.
	other, _ := newLimiter(t, &recordingClient{next: client.next}, clock)
	if n, _ := admitUntilDenied(t, other, "capped", "bob"); n != 36 {
		t.Fatalf("the other replica admitted %d, want 36", n)
	}
}

func TestCloseReportsFailures(t *testing.T) {
	clock := newFakeClock()
	client := &recordingClient{next: inprocClient(newQuotaServer(t, clock))}
	l, _ := newLimiter(t, client, clock)
	for i := 0; i < 2; i++ {
		_ = l.Admit(context.Background(), "capped", "alice", nil)
	}
	client.fail = errors.New("down")
	if err := l.Close(context.Background()); err == nil {
		t.Fatal("a failed reconcile should be reported")
	}
}

func mustCounter(t *testing.T, g prometheus.Gatherer, name string) prometheus.Collector {
	t.Helper()
	return gatheredCounter{g: g, name: name}
}

// gatheredCounter sums every series of one counter family, for testutil.ToFloat64.
type gatheredCounter struct {
	g    prometheus.Gatherer
	name string
}

func (c gatheredCounter) Describe(ch chan<- *prometheus.Desc) {
	ch <- prometheus.NewDesc(c.name+"_sum", "test sum", nil, nil)
}

func (c gatheredCounter) Collect(ch chan<- prometheus.Metric) {
	families, _ := c.g.Gather()
	var sum float64
	for _, f := range families {
		if f.GetName() == c.name {
			for _, m := range f.GetMetric() {
				sum += m.GetCounter().GetValue()
			}
		}
	}
	ch <- prometheus.MustNewConstMetric(prometheus.NewDesc(c.name+"_sum", "test sum", nil, nil), prometheus.CounterValue, sum)
}
