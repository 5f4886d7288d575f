package lease

import "time"

// Option configures a Limiter.
type Option func(*Limiter)

// FailClosed refuses requests (503) while the quota service is unreachable,
// instead of the default of admitting them.
func FailClosed() Option { return func(l *Limiter) { l.failClosed = true } }

// WithClock replaces time.Now; the clock must agree with the quota service's
// (lease expiry is an absolute time from it).
func WithClock(now func() time.Time) Option { return func(l *Limiter) { l.now = now } }

// WithReserveTimeout bounds one Reserve call (default 2s). Requests waiting
// on a refill wait at most this long before the limiter falls back to its
// unreachable policy.
func WithReserveTimeout(d time.Duration) Option { return func(l *Limiter) { l.reserveTimeout = d } }
