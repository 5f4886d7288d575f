package quota

import (
	"context"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	quotav1 "github.com/tollgate/tollgate/gen/go/tollgate/quota/v1"
	"github.com/tollgate/tollgate/services/kit/config"
	"github.com/tollgate/tollgate/services/kit/errs"
)

const limitsYAML = `
endpoints:
  - name: capped
    task: chat
    served_entities: [{name: f, provider: fake, model: m}]
    rate_limits:
      - {scope: endpoint, calls_per_minute: 10}
  - name: per-user
    task: chat
    served_entities: [{name: f, provider: fake, model: m}]
    rate_limits:
      - {scope: user, calls_per_minute: 3}
      - {scope: user, subject: alice, calls_per_minute: 2}
      - {scope: endpoint, calls_per_minute: 100}
  - name: only-alice
    task: chat
    served_entities: [{name: f, provider: fake, model: m}]
    rate_limits:
      - {scope: user, subject: alice, calls_per_minute: 2}
  - name: team
    task: chat
    served_entities: [{name: f, provider: fake, model: m}]
    rate_limits:
      - {scope: group, subject: eng, calls_per_minute: 4}
  - name: big
    task: chat
    served_entities: [{name: f, provider: fake, model: m}]
    rate_limits:
      - {scope: endpoint, calls_per_minute: 80}
  - name: free
    task: chat
    served_entities: [{name: f, provider: fake, model: m}]
principals:
  - {name: alice, groups: [eng]}
  - {name: bob, groups: [eng]}
  - {name: carol}
groups:
  - {name: eng}
`

// windowStart is a minute boundary; tests run 15s into that window.
var windowStart = time.Unix(28_333_334*60, 0)

type fixture struct {
	srv   *Server
	clock *fakeClock
	store *config.Store
	reg   *prometheus.Registry
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	cfg, err := config.Parse([]byte(limitsYAML))
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{clock: newFakeClock(windowStart.Add(15 * time.Second)), store: config.NewStaticStore(cfg), reg: prometheus.NewRegistry()}
	f.srv = NewServer(f.store, nil, f.reg, f.clock.Now)
	return f
}

// keysFor is the key set a router sends for one request shape.
func keysFor(endpoint, principal string, groups ...string) []*quotav1.LimitKey {
	ks := []*quotav1.LimitKey{
		{EndpointName: endpoint, Scope: quotav1.Scope_SCOPE_ENDPOINT},
		{EndpointName: endpoint, Scope: quotav1.Scope_SCOPE_USER, Subject: principal},
	}
	for _, g := range groups {
		ks = append(ks, &quotav1.LimitKey{EndpointName: endpoint, Scope: quotav1.Scope_SCOPE_GROUP, Subject: g})
	}
	return ks
}

func (f *fixture) reserve(t *testing.T, calls int64, keys []*quotav1.LimitKey) *quotav1.ReserveResponse {
	t.Helper()
	resp, err := f.srv.Reserve(context.Background(), &quotav1.ReserveRequest{Keys: keys, Calls: calls, MinCalls: 1, Holder: "test"})
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

// drain reserves one call at a time until denied and returns how many were granted.
func (f *fixture) drain(t *testing.T, keys []*quotav1.LimitKey) int64 {
	t.Helper()
	var n int64
	for i := 0; i < 1000; i++ {
		resp := f.reserve(t, 1, keys)
		if !resp.GetGranted() {
			return n
		}
		if resp.GetUnlimited() {
			t.Fatal("drain on an unlimited key set")
		}
		n += resp.GetCalls()
	}
	t.Fatal("never denied")
	return n
}

func TestEndpointLimit(t *testing.T) {
	f := newFixture(t)
	if got := f.drain(t, keysFor("capped", "alice", "eng")); got != 10 {
		t.Fatalf("granted %d calls, limit is 10", got)
	}
	// Other principals share the endpoint counter.
	resp := f.reserve(t, 1, keysFor("capped", "bob"))
	if resp.GetGranted() {
		t.Fatal("endpoint limit must count every caller")
	}
	if resp.GetRetryAfterMs() != 45_000 {
		t.Errorf("retry after %dms, want 45000 (the rest of the window)", resp.GetRetryAfterMs())
	}
	if k := resp.GetDeniedKey(); k.GetScope() != quotav1.Scope_SCOPE_ENDPOINT || k.GetEndpointName() != "capped" {
		t.Errorf("denied key %v", k)
	}
	if resp.GetLeaseId() != "" || resp.GetCalls() != 0 {
		t.Error("a denial grants nothing")
	}
}

func TestUserLimits(t *testing.T) {
	f := newFixture(t)
	// Both user limits apply to alice; the tighter one (2) wins.
	if got := f.drain(t, keysFor("per-user", "alice", "eng")); got != 2 {
		t.Errorf("alice got %d, want 2", got)
	}
	// Bob has his own counter under the every-user limit.
	if got := f.drain(t, keysFor("per-user", "bob", "eng")); got != 3 {
		t.Errorf("bob got %d, want 3", got)
	}
	resp := f.reserve(t, 1, keysFor("per-user", "bob"))
	if k := resp.GetDeniedKey(); k.GetScope() != quotav1.Scope_SCOPE_USER || k.GetSubject() != "bob" {
		t.Errorf("denied key %v, want bob's user key", k)
	}
	// A limit naming alice leaves everyone else unlimited.
	if got := f.drain(t, keysFor("only-alice", "alice")); got != 2 {
		t.Errorf("alice on only-alice got %d, want 2", got)
	}
	if resp := f.reserve(t, 5, keysFor("only-alice", "carol")); !resp.GetUnlimited() || resp.GetCalls() != 5 {
		t.Errorf("carol on only-alice: %v, want unlimited", resp)
	}
}

func TestGroupLimitCountsAcrossMembers(t *testing.T) {
	f := newFixture(t)
	var granted int64
	for i := 0; i < 3; i++ {
		granted += f.reserve(t, 1, keysFor("team", "alice", "eng")).GetCalls()
		granted += f.reserve(t, 1, keysFor("team", "bob", "eng")).GetCalls()
	}
	if granted != 4 {
		t.Fatalf("members of eng got %d calls together, limit is 4", granted)
	}
	if resp := f.reserve(t, 1, keysFor("team", "carol")); !resp.GetUnlimited() {
		t.Error("a non-member is not counted by the group limit")
	}
}

func TestAllOrNothing(t *testing.T) {
	f := newFixture(t)
	alice := keysFor("per-user", "alice", "eng")
	f.drain(t, alice) // alice's user limit (2) is spent; the endpoint limit (100) is not
	for i := 0; i < 5; i++ {
		f.reserve(t, 1, alice) // denied: must not consume the endpoint counter
	}
	endpoint := counterKey{endpoint: "per-user", scope: quotav1.Scope_SCOPE_ENDPOINT}
	if used := f.srv.used[endpoint]; used != 2 {
		t.Fatalf("endpoint counter at %d after 2 grants and 5 denials, want 2", used)
	}
}

func TestMinCallsDeniesWhenFewerRemain(t *testing.T) {
	f := newFixture(t)
	keys := keysFor("capped", "alice")
	for i := 0; i < 7; i++ {
		f.reserve(t, 1, keys)
	}
	resp, err := f.srv.Reserve(context.Background(), &quotav1.ReserveRequest{Keys: keys, Calls: 5, MinCalls: 5})
	if err != nil {
		t.Fatal(err)
	}
	if resp.GetGranted() {
		t.Fatal("3 remain; a request needing at least 5 must be denied")
	}
	if got := f.reserve(t, 5, keys).GetCalls(); got != 1 {
		t.Fatalf("granted %d, want the fair share ceil(3/8)=1", got)
	}
}

func TestFairShareLimitsOneGrant(t *testing.T) {
	f := newFixture(t)
	keys := keysFor("big", "alice")
	// 80 left: ceil(80/8)=10, then ceil(70/8)=9, then ceil(61/8)=8.
	for _, want := range []int64{10, 9, 8} {
		resp := f.reserve(t, 256, keys)
		if resp.GetCalls() != want {
			t.Fatalf("granted %d, want %d", resp.GetCalls(), want)
		}
		if resp.GetExpireTimeUnixMs() != windowStart.Add(time.Minute).UnixMilli() {
			t.Fatalf("lease expires at %d, want the window end", resp.GetExpireTimeUnixMs())
		}
	}
	if got := f.reserve(t, 2, keys).GetCalls(); got != 2 {
		t.Fatalf("a small request gets what it asks: %d", got)
	}
}

func TestWindowResetAndGarbageCollection(t *testing.T) {
	f := newFixture(t)
	f.drain(t, keysFor("capped", "alice"))
	f.drain(t, keysFor("per-user", "bob"))
	if len(f.srv.used) == 0 || len(f.srv.leases) == 0 {
		t.Fatal("expected counters and leases in the first window")
	}
	f.clock.Set(windowStart.Add(time.Minute)) // exactly the next window
	if got := f.drain(t, keysFor("capped", "alice")); got != 10 {
		t.Fatalf("new window granted %d, want a fresh 10", got)
	}
	for k := range f.srv.used {
		if k.endpoint != "capped" {
			t.Errorf("counter %v from the old window survived", k)
		}
	}
	if len(f.srv.leases) != 10 {
		t.Errorf("%d leases, want only the 10 of this window", len(f.srv.leases))
	}
}

func TestReconcileReturnsUnusedCalls(t *testing.T) {
	f := newFixture(t)
	keys := keysFor("big", "alice")
	resp := f.reserve(t, 10, keys) // 10 of 80
	reconcile := func(id string, unused int64) {
		t.Helper()
		if _, err := f.srv.Reconcile(context.Background(), &quotav1.ReconcileRequest{LeaseId: id, UnusedCalls: unused, Keys: keys}); err != nil {
			t.Fatal(err)
		}
	}
	used := func() int64 { return f.srv.used[counterKey{endpoint: "big", scope: quotav1.Scope_SCOPE_ENDPOINT}] }
	reconcile(resp.GetLeaseId(), 4)
	if used() != 6 {
		t.Fatalf("used %d after returning 4 of 10, want 6", used())
	}
	reconcile(resp.GetLeaseId(), 100) // more than is left on the lease: only 6 go back
	if used() != 0 {
		t.Fatalf("used %d, want 0", used())
	}
	reconcile(resp.GetLeaseId(), 5) // the lease is settled: a replay returns nothing
	reconcile("no-such-lease", 5)
	if used() != 0 {
		t.Fatalf("used %d after replays, want 0", used())
	}

	resp = f.reserve(t, 10, keys)
	f.clock.Set(windowStart.Add(time.Minute + time.Second))
	f.reserve(t, 1, keys) // one call in the new window
	reconcile(resp.GetLeaseId(), 10)
	if used() != 1 {
		t.Fatalf("a lease from a past window changed the new window's counter: used %d", used())
	}
}

func TestUnlimitedWhenNoLimitApplies(t *testing.T) {
	f := newFixture(t)
	resp := f.reserve(t, 64, keysFor("free", "alice", "eng"))
	if !resp.GetGranted() || !resp.GetUnlimited() || resp.GetCalls() != 64 {
		t.Fatalf("got %v, want unlimited grant of 64", resp)
	}
	if len(f.srv.used) != 0 {
		t.Error("unlimited grants must not create counters")
	}
	resp = f.reserve(t, 1, nil)
	if !resp.GetUnlimited() {
		t.Error("no keys, no limits")
	}
}

func TestConfigReloadKeepsUsedCounts(t *testing.T) {
	f := newFixture(t)
	keys := keysFor("capped", "alice")
	for i := 0; i < 6; i++ {
		f.reserve(t, 1, keys)
	}
	lower, err := config.Parse([]byte(replaceLimit(limitsYAML, "calls_per_minute: 10", "calls_per_minute: 5")))
	if err != nil {
		t.Fatal(err)
	}
	f.store.Replace(lower)
	if resp := f.reserve(t, 1, keys); resp.GetGranted() {
		t.Fatal("6 used already exceed the new limit of 5")
	}
	higher, _ := config.Parse([]byte(replaceLimit(limitsYAML, "calls_per_minute: 10", "calls_per_minute: 8")))
	f.store.Replace(higher)
	if got := f.drain(t, keys); got != 2 {
		t.Fatalf("granted %d after raising the limit to 8 with 6 used, want 2", got)
	}
	if v := f.reserve(t, 1, keys).GetConfigVersion(); v != 3 {
		t.Errorf("config version %d, want 3", v)
	}
}

func TestInvalidRequests(t *testing.T) {
	f := newFixture(t)
	bad := []*quotav1.ReserveRequest{
		{Calls: 0},
		{Calls: 2, MinCalls: 3},
		{Calls: 1, Keys: []*quotav1.LimitKey{{Scope: quotav1.Scope_SCOPE_ENDPOINT}}},
		{Calls: 1, Keys: []*quotav1.LimitKey{{EndpointName: "capped", Scope: quotav1.Scope_SCOPE_USER}}},
		{Calls: 1, Keys: []*quotav1.LimitKey{{EndpointName: "capped"}}},
	}
	for _, req := range bad {
		if _, err := f.srv.Reserve(context.Background(), req); errs.From(err).Kind != errs.KindInvalidArgument {
			t.Errorf("%v: got %v, want invalid argument", req, err)
		}
	}
	if _, err := f.srv.Reconcile(context.Background(), &quotav1.ReconcileRequest{UnusedCalls: -1}); errs.From(err).Kind != errs.KindInvalidArgument {
		t.Error("negative unused calls must be rejected")
	}
}

func TestDuplicateKeysAreChargedOnce(t *testing.T) {
	f := newFixture(t)
	k := &quotav1.LimitKey{EndpointName: "capped", Scope: quotav1.Scope_SCOPE_ENDPOINT}
	var granted int64
	for i := 0; i < 20; i++ {
		granted += f.reserve(t, 1, []*quotav1.LimitKey{k, k}).GetCalls()
	}
	if granted != 10 {
		t.Fatalf("granted %d, want 10", granted)
	}
}

func TestMetrics(t *testing.T) {
	f := newFixture(t)
	f.drain(t, keysFor("capped", "alice"))    // 10 granted, 1 denied
	f.reserve(t, 1, keysFor("free", "alice")) // unlimited
	f.drain(t, keysFor("team", "bob", "eng")) // 4 granted, 1 denied on the group
	for result, want := range map[string]float64{"granted": 14, "denied": 2, "unlimited": 1} {
		if got := testutil.ToFloat64(f.srv.m.reservations.WithLabelValues(result)); got != want {
			t.Errorf("reservations{result=%q} = %v, want %v", result, got, want)
		}
	}
	if got := testutil.ToFloat64(f.srv.m.rejections.WithLabelValues("team", "group")); got != 1 {
		t.Errorf("group rejections %v, want 1", got)
	}
	if got := testutil.ToFloat64(f.srv.m.rejections.WithLabelValues("capped", "endpoint")); got != 1 {
		t.Errorf("endpoint rejections %v, want 1", got)
	}
}

func TestClockSteppingBackDoesNotReopenTheWindow(t *testing.T) {
	f := newFixture(t)
	f.drain(t, keysFor("capped", "alice"))
	f.clock.Set(windowStart.Add(-time.Second))
	if f.reserve(t, 1, keysFor("capped", "alice")).GetGranted() {
		t.Fatal("a clock step back must not reset spent counters")
	}
}
