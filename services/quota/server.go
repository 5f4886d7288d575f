// Package quota is the rate-limit service. It keeps one counter per limit key
// in fixed one-minute windows aligned to the wall clock and hands routers
// leases of permits, so a router asks once per batch, not once per request
// (see package lease for the router side).
//
// Only calls per minute are enforced so far. Token limits and group budgets
// will use ReserveRequest.estimated_tokens and ReconcileRequest.actual_tokens,
// which are accepted and ignored today.
package quota

import (
	"context"
	"crypto/rand"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	quotav1 "github.com/tollgate/tollgate/gen/go/tollgate/quota/v1"
	"github.com/tollgate/tollgate/services/kit/config"
	"github.com/tollgate/tollgate/services/kit/errs"
)

// Window is the length of a rate-limit window.
const Window = time.Minute

// fairShareDivisor bounds one grant to 1/8 of what is left, so one router
// replica cannot hoard a small limit while others are refused.
const fairShareDivisor = 8

// Server implements quotav1.QuotaServiceServer.
type Server struct {
	quotav1.UnimplementedQuotaServiceServer

	store *config.Store
	log   *slog.Logger
	now   func() time.Time
	m     *metrics

	// mu guards everything below. Reserve is called once per batch of
	// requests, not per request, so one lock is not a bottleneck.
	mu     sync.Mutex
	limits *limitIndex
	window int64 // current window number: unix seconds / 60
	// used counts calls granted in the current window, per counter. Counters
	// of past windows are dropped as soon as a new window starts.
	used   map[counterKey]int64
	leases map[string]*lease
}

// counterKey is LimitKey as a comparable value.
type counterKey struct {
	endpoint string
	scope    quotav1.Scope
	subject  string
}

// lease remembers a grant so unused calls can be given back within its window.
type lease struct {
	keys      []counterKey
	remaining int64
}

var _ quotav1.QuotaServiceServer = (*Server)(nil)

// NewServer serves the limits of store's config; now is the clock (time.Now
// in production).
func NewServer(store *config.Store, log *slog.Logger, reg prometheus.Registerer, now func() time.Time) *Server {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if now == nil {
		now = time.Now
	}
	return &Server{
		store:  store,
		log:    log,
		now:    now,
		m:      newMetrics(reg),
		used:   map[counterKey]int64{},
		leases: map[string]*lease{},
	}
}

// Reserve grants calls on every key of the request, or on none.
func (s *Server) Reserve(_ context.Context, req *quotav1.ReserveRequest) (*quotav1.ReserveResponse, error) {
	if err := validateReserve(req); err != nil {
		return nil, err
	}
	minCalls := max(req.GetMinCalls(), 1)
	now := s.now()

	s.mu.Lock()
	defer s.mu.Unlock()
	limits := s.currentLimitsLocked()
	s.advanceLocked(now)

	// Most requests carry 2-4 keys; the array keeps them off the heap.
	var buf [8]counterKey
	constrained := buf[:0]
	available := int64(-1)
	var denied *quotav1.LimitKey
	for _, k := range req.GetKeys() {
		ck := keyOf(k)
		if containsKey(constrained, ck) {
			continue // a key listed twice must not be charged twice
		}
		limit := limits.limitFor(ck)
		if limit == 0 {
			continue
		}
		constrained = append(constrained, ck)
		remaining := max(limit-s.used[ck], 0)
		if available < 0 || remaining < available {
			available = remaining
		}
		if remaining < minCalls && denied == nil {
			denied = k
		}
	}

	resp := &quotav1.ReserveResponse{ConfigVersion: limits.configVersion}
	windowEnd := time.Unix((s.window+1)*int64(Window/time.Second), 0)
	switch {
	case len(constrained) == 0:
		s.m.reservations.WithLabelValues("unlimited").Inc()
		resp.Granted, resp.Unlimited, resp.Calls = true, true, req.GetCalls()
		return resp, nil
	case denied != nil:
		s.m.reservations.WithLabelValues("denied").Inc()
		s.m.rejections.WithLabelValues(denied.GetEndpointName(), scopeLabel(denied.GetScope())).Inc()
		resp.DeniedKey = denied
		resp.RetryAfterMs = max(windowEnd.Sub(now).Milliseconds(), 1)
		return resp, nil
	}

	fairShare := max(1, (available+fairShareDivisor-1)/fairShareDivisor)
	grant := max(min(req.GetCalls(), fairShare), minCalls) // minCalls <= available, checked above
	for _, ck := range constrained {
		s.used[ck] += grant
	}
	id := rand.Text()
	s.leases[id] = &lease{keys: append([]counterKey(nil), constrained...), remaining: grant}
	s.m.reservations.WithLabelValues("granted").Inc()
	resp.Granted, resp.Calls, resp.LeaseId = true, grant, id
	resp.ExpireTimeUnixMs = windowEnd.UnixMilli()
	return resp, nil
}

// Reconcile gives unused calls back if the lease's window is still open.
// Leases this process does not know (past windows, or lost in a restart) are
// ignored: their permits lapse, which errs on the side of the limit.
func (s *Server) Reconcile(_ context.Context, req *quotav1.ReconcileRequest) (*quotav1.ReconcileResponse, error) {
	if req.GetUnusedCalls() < 0 {
		return nil, errs.Invalid("unused_calls", "unused_calls must not be negative")
	}
	if req.GetUnusedCalls() == 0 {
		return &quotav1.ReconcileResponse{}, nil
	}
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.advanceLocked(now)
	l := s.leases[req.GetLeaseId()]
	if l == nil {
		return &quotav1.ReconcileResponse{}, nil
	}
	back := min(req.GetUnusedCalls(), l.remaining)
	for _, ck := range l.keys {
		s.used[ck] = max(s.used[ck]-back, 0)
	}
	l.remaining -= back
	if l.remaining == 0 {
		delete(s.leases, req.GetLeaseId())
	}
	s.m.returned.Add(float64(back))
	return &quotav1.ReconcileResponse{}, nil
}

// currentLimitsLocked rebuilds the limit index when the config changed. Used
// counts are kept, so new limits apply to the window already in progress.
func (s *Server) currentLimitsLocked() *limitIndex {
	snap := s.store.Current()
	if s.limits == nil || s.limits.configVersion != snap.Version {
		s.limits = buildLimitIndex(snap)
		s.log.Info("rate limits loaded", "config_version", snap.Version, "endpoints_with_limits", len(s.limits.endpoints))
	}
	return s.limits
}

// advanceLocked starts a new window when the clock has moved past the
// current one, dropping the old window's counters and leases.
func (s *Server) advanceLocked(now time.Time) {
	w := now.Unix() / int64(Window/time.Second)
	if w <= s.window {
		// Same window, or the clock stepped back: never reopen spent limits.
		return
	}
	s.window = w
	if len(s.used) > 0 {
		s.used = map[counterKey]int64{}
	}
	if len(s.leases) > 0 {
		s.leases = map[string]*lease{}
	}
}

func validateReserve(req *quotav1.ReserveRequest) error {
	if req.GetCalls() < 1 {
		return errs.Invalid("calls", "calls must be at least 1")
	}
	if req.GetMinCalls() > req.GetCalls() {
		return errs.Invalid("min_calls", "min_calls (%d) must not exceed calls (%d)", req.GetMinCalls(), req.GetCalls())
	}
	for _, k := range req.GetKeys() {
		switch {
		case k.GetEndpointName() == "":
			return errs.Invalid("keys", "every key needs an endpoint_name")
		case k.GetScope() == quotav1.Scope_SCOPE_USER || k.GetScope() == quotav1.Scope_SCOPE_GROUP:
			if k.GetSubject() == "" {
				return errs.Invalid("keys", "a %s key needs a subject", scopeLabel(k.GetScope()))
			}
		case k.GetScope() != quotav1.Scope_SCOPE_ENDPOINT:
			return errs.Invalid("keys", "key scope %s is not endpoint, user or group", k.GetScope())
		}
	}
	return nil
}

func keyOf(k *quotav1.LimitKey) counterKey {
	ck := counterKey{endpoint: k.GetEndpointName(), scope: k.GetScope(), subject: k.GetSubject()}
	if ck.scope == quotav1.Scope_SCOPE_ENDPOINT {
		ck.subject = "" // one counter per endpoint, whatever the caller put there
	}
	return ck
}

func containsKey(keys []counterKey, k counterKey) bool {
	for _, x := range keys {
		if x == k {
			return true
		}
	}
	return false
}

// scopeLabel is the scope as the config spells it: endpoint, user or group.
func scopeLabel(s quotav1.Scope) string {
	return strings.ToLower(strings.TrimPrefix(s.String(), "SCOPE_"))
}
