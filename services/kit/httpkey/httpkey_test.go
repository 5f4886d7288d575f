package httpkey

import (
	"net/http"
	"strings"
	"testing"
)

func TestCanonicalAgreesWithNetHTTP(t *testing.T) {
	names := []string{"content-type", "CONTENT-LENGTH", "x-api-key", "X-Stainless-OS", "session_id",
		"anthropic-ratelimit-requests-remaining", "x-custom-thing", "a", "-x-", "Already-Canonical",
		strings.Repeat("long-name-", 10)}
	for k := range common {
		names = append(names, k, strings.ToLower(k), strings.ToUpper(k))
	}
	for _, n := range names {
		want := http.CanonicalHeaderKey(n)
		if got := FromBytes([]byte(n)); got != want {
			t.Errorf("FromBytes(%q) = %q, want %q", n, got, want)
		}
		if got := FromString(n); got != want {
			t.Errorf("FromString(%q) = %q, want %q", n, got, want)
		}
	}
}

func TestCommonNamesCostNoAllocation(t *testing.T) {
	lower := []byte("content-type")
	if n := testing.AllocsPerRun(100, func() { _ = FromBytes(lower) }); n != 0 {
		t.Errorf("FromBytes of a common name allocates %v times", n)
	}
	if n := testing.AllocsPerRun(100, func() { _ = FromString("x-request-id") }); n != 0 {
		t.Errorf("FromString of a common name allocates %v times", n)
	}
}
