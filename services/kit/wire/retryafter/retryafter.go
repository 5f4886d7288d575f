// Package retryafter reads how long a provider asks its callers to wait:
// the Retry-After header every provider may send, and OpenAI's
// retry-after-ms. It is shared by every dialect's error mapping and the
// provider adapter.
package retryafter

import (
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// maxDelay bounds a delay given in seconds: anything longer is not a
// retry hint a client can act on.
const maxDelay = 24 * time.Hour

// Parse reads a Retry-After value: delay seconds (fractions allowed) or an
// HTTP date, relative to now. Malformed, past or unreasonably long values
// are 0.
func Parse(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if secs, err := strconv.ParseFloat(v, 64); err == nil {
		if secs <= 0 || math.IsNaN(secs) || secs > maxDelay.Seconds() {
			return 0
		}
		return time.Duration(secs * float64(time.Second))
	}
	if t, err := http.ParseTime(v); err == nil {
		if d := t.Sub(now); d > 0 {
			return d
		}
	}
	return 0
}

// FromHeader reads OpenAI's retry-after-ms, then Retry-After; nil h is 0.
func FromHeader(h http.Header, now time.Time) time.Duration {
	if h == nil {
		return 0
	}
	if ms, err := strconv.ParseFloat(h.Get("Retry-After-Ms"), 64); err == nil && ms > 0 && ms <= float64(maxDelay/time.Millisecond) {
		return time.Duration(ms * float64(time.Millisecond))
	}
	return Parse(h.Get("Retry-After"), now)
}
