// Package lease is the router side of quota: it spends permits leased from
// the quota service locally, so most requests are admitted or refused with
// no RPC, and asks for more only when a lease runs out.
package lease

import (
	"context"
	"errors"
	"log/slog"
	"math"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	quotav1 "github.com/tollgate/tollgate/gen/go/tollgate/quota/v1"
	"github.com/tollgate/tollgate/services/kit/errs"
)

const (
	// maxBatch caps how many calls one Reserve asks for.
	maxBatch = 256
	// unlimitedHold is how long an "unlimited" answer is trusted; it is also
	// how long a newly configured limit can take to reach this router.
	unlimitedHold = time.Second
	// unreachableHold is how long a failed Reserve is remembered, so an
	// outage costs one timeout per key set per hold, not one per request.
	unreachableHold = 500 * time.Millisecond
	// failOpenLogEvery rate-limits the fail-open warning.
	failOpenLogEvery = 10 * time.Second
	// idleAfter is how long an unused key set is kept; it is longer than a
	// window so a live lease is never dropped.
	idleAfter             = 2 * time.Minute
	defaultReserveTimeout = 2 * time.Second
)

// Limiter admits requests against the rate limits the quota service enforces.
// It is safe for concurrent use.
type Limiter struct {
	client         quotav1.QuotaServiceClient
	holder         string
	log            *slog.Logger
	m              *metrics
	now            func() time.Time
	failClosed     bool
	reserveTimeout time.Duration

	mu        sync.RWMutex
	sets      map[keySetID]*keySet
	nextSweep int64

	lastFailOpenLog atomic.Int64
}

// NewLimiter makes a limiter; holder identifies this router replica in the
// quota service. By default it admits requests when the quota service cannot
// be reached (see FailClosed).
func NewLimiter(client quotav1.QuotaServiceClient, holder string, log *slog.Logger, reg prometheus.Registerer, opts ...Option) *Limiter {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	l := &Limiter{
		client:         client,
		holder:         holder,
		log:            log,
		m:              newMetrics(reg),
		now:            time.Now,
		reserveTimeout: defaultReserveTimeout,
		sets:           map[keySetID]*keySet{},
	}
	for _, o := range opts {
		o(l)
	}
	return l
}

// Admit decides whether one call by principal (member of groups) to endpoint
// fits the rate limits. It returns nil to admit, a rate-limited error with
// Retry-After, or, only with FailClosed, an unavailable error.
func (l *Limiter) Admit(ctx context.Context, endpoint, principal string, groups []string) error {
	ks := l.keySet(endpoint, principal, groups)
	for {
		ks.mu.Lock()
		if !slices.Equal(ks.groups, groups) {
			ks.rekey(principal, groups)
		}
		now := l.now().UnixNano()
		ks.lastUsed = now
		switch {
		case now < ks.unlimitedUntil:
			ks.mu.Unlock()
			return nil
		case ks.permits > 0 && now < ks.leaseExpiry:
			ks.permits--
			ks.mu.Unlock()
			return nil
		case now < ks.deniedUntil:
			err := l.rateLimited(ks, now)
			ks.mu.Unlock()
			return err
		case now < ks.unreachableUntil:
			ks.mu.Unlock()
			return l.unreachable(nil)
		}
		if wait := ks.refill; wait != nil {
			ks.mu.Unlock()
			select {
			case <-wait:
				continue // decide again on the refill's answer
			case <-ctx.Done():
				return errs.From(ctx.Err())
			}
		}
		return l.refill(ctx, ks, now)
	}
}

// refill asks the quota service for a new lease; called with ks.mu held,
// returns with it released. The caller that triggers the refill decides on
// its answer directly, so every Reserve admits or refuses at least one
// request even if its lease is useless by the time it arrives.
func (l *Limiter) refill(ctx context.Context, ks *keySet, now int64) error {
	if now >= ks.leaseExpiry {
		ks.batch = 1 // a new window: start small again
	}
	req := &quotav1.ReserveRequest{Keys: ks.keys, Calls: ks.batch, MinCalls: 1, Holder: l.holder}
	generation := ks.generation
	done := make(chan struct{})
	ks.refill = done
	ks.mu.Unlock()

	// The caller going away must not cancel an answer others are waiting for.
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), l.reserveTimeout)
	resp, err := l.client.Reserve(rctx, req)
	cancel()

	ks.mu.Lock()
	defer func() {
		ks.refill = nil
		close(done)
		ks.mu.Unlock()
	}()
	now = l.now().UnixNano()
	if ks.generation != generation {
		// Groups changed meanwhile; the answer is for keys no longer used.
		// Admit this one request rather than ask again.
		return nil
	}
	switch {
	case err != nil:
		l.m.reserves.WithLabelValues("error").Inc()
		ks.unreachableUntil = now + int64(unreachableHold)
		return l.unreachable(err)
	case resp.GetUnlimited():
		l.m.reserves.WithLabelValues("unlimited").Inc()
		ks.unlimitedUntil = now + int64(unlimitedHold)
		return nil
	case resp.GetGranted() && resp.GetCalls() > 0:
		l.m.reserves.WithLabelValues("granted").Inc()
		ks.leaseID = resp.GetLeaseId()
		ks.leaseExpiry = resp.GetExpireTimeUnixMs() * int64(time.Millisecond)
		ks.permits = resp.GetCalls() - 1 // one is this request's
		ks.batch = min(2*ks.batch, maxBatch)
		return nil
	default:
		l.m.reserves.WithLabelValues("denied").Inc()
		ks.deniedUntil = now + max(resp.GetRetryAfterMs(), 1)*int64(time.Millisecond)
		ks.deniedKey = resp.GetDeniedKey()
		return l.rateLimited(ks, now)
	}
}

// rateLimited builds the 429 for a cached denial; called with ks.mu held.
func (l *Limiter) rateLimited(ks *keySet, now int64) error {
	retry := time.Duration(ks.deniedUntil - now)
	// Retry-After is whole seconds; rounding down would invite an early retry.
	retry = time.Duration(math.Ceil(retry.Seconds())) * time.Second
	retry = max(retry, time.Second)
	scope := ks.deniedKey.GetScope()
	l.m.rejected.WithLabelValues(ks.endpoint, scopeLabel(scope)).Inc()
	switch scope {
	case quotav1.Scope_SCOPE_USER:
		return errs.RateLimited(retry, "rate limit of endpoint %q exceeded for principal %q", ks.endpoint, ks.deniedKey.GetSubject())
	case quotav1.Scope_SCOPE_GROUP:
		return errs.RateLimited(retry, "rate limit of endpoint %q exceeded for group %q", ks.endpoint, ks.deniedKey.GetSubject())
	default:
		return errs.RateLimited(retry, "rate limit of endpoint %q exceeded", ks.endpoint)
	}
}

// unreachable applies the policy for an unavailable quota service; err is the
// fresh failure, nil when a recent one is being remembered.
func (l *Limiter) unreachable(err error) error {
	if l.failClosed {
		return errs.New(errs.KindUnavailable, "quota_unavailable", "rate limits cannot be checked right now; retry shortly").
			WithRetry(time.Second)
	}
	l.m.failOpen.Inc()
	if err != nil {
		now := l.now().UnixNano()
		last := l.lastFailOpenLog.Load()
		if now-last >= int64(failOpenLogEvery) && l.lastFailOpenLog.CompareAndSwap(last, now) {
			l.log.Warn("quota service unreachable; admitting requests without rate limits", "err", err)
		}
	}
	return nil
}

// keySet finds or creates the local lease state of a request shape.
func (l *Limiter) keySet(endpoint, principal string, groups []string) *keySet {
	id := keySetID{endpoint: endpoint, principal: principal}
	l.mu.RLock()
	ks := l.sets[id]
	l.mu.RUnlock()
	if ks != nil {
		return ks
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if ks = l.sets[id]; ks != nil {
		return ks
	}
	l.sweepLocked()
	ks = newKeySet(endpoint, principal, groups)
	l.sets[id] = ks
	return ks
}

// sweepLocked forgets key sets nobody used for a while, at most once per
// idleAfter, so principals who stopped calling do not accumulate.
func (l *Limiter) sweepLocked() {
	now := l.now().UnixNano()
	if now < l.nextSweep {
		return
	}
	l.nextSweep = now + int64(idleAfter)
	for id, ks := range l.sets {
		ks.mu.Lock()
		idle := ks.idle(now, int64(idleAfter))
		ks.mu.Unlock()
		if idle {
			delete(l.sets, id)
		}
	}
}

// Close gives unspent permits back to the quota service (best effort), so a
// router shutting down does not strand part of a limit until the window ends.
func (l *Limiter) Close(ctx context.Context) error {
	l.mu.RLock()
	sets := make([]*keySet, 0, len(l.sets))
	for _, ks := range l.sets {
		sets = append(sets, ks)
	}
	l.mu.RUnlock()
	now := l.now().UnixNano()
	var failed []error
	for _, ks := range sets {
		ks.mu.Lock()
		req := &quotav1.ReconcileRequest{LeaseId: ks.leaseID, UnusedCalls: ks.permits, Keys: ks.keys}
		live := ks.permits > 0 && now < ks.leaseExpiry && ks.leaseID != ""
		ks.permits = 0
		ks.mu.Unlock()
		if !live {
			continue
		}
		if _, err := l.client.Reconcile(ctx, req); err != nil {
			failed = append(failed, err)
		}
	}
	return errors.Join(failed...)
}

func scopeLabel(s quotav1.Scope) string {
	switch s {
	case quotav1.Scope_SCOPE_USER:
		return "user"
	case quotav1.Scope_SCOPE_GROUP:
		return "group"
	default:
		return "endpoint"
	}
}
