package retryafter

import (
	"net/http"
	"testing"
	"time"
)

func TestParse(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	for v, want := range map[string]time.Duration{
		"":                              0,
		"  3 ":                          3 * time.Second,
		"1.5":                           1500 * time.Millisecond,
		"0":                             0,
		"-2":                            0,
		"NaN":                           0,
		"90000":                         0, // over a day
		"soon":                          0,
		"Fri, 02 Jan 2026 03:04:15 GMT": 10 * time.Second,
		"Fri, 02 Jan 2026 03:04:00 GMT": 0, // past
	} {
		if got := Parse(v, now); got != want {
			t.Errorf("Parse(%q) = %v, want %v", v, got, want)
		}
	}
}

func TestFromHeader(t *testing.T) {
	now := time.Now()
	if FromHeader(nil, now) != 0 {
		t.Error("nil header")
	}
	h := http.Header{}
	h.Set("Retry-After", "2")
	if got := FromHeader(h, now); got != 2*time.Second {
		t.Errorf("Retry-After: %v", got)
	}
	h.Set("Retry-After-Ms", "250")
	if got := FromHeader(h, now); got != 250*time.Millisecond {
		t.Errorf("retry-after-ms first: %v", got)
	}
	h.Set("Retry-After-Ms", "junk")
	if got := FromHeader(h, now); got != 2*time.Second {
		t.Errorf("bad retry-after-ms falls back to Retry-After: %v", got)
	}
}
