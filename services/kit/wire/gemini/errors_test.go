package gemini

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/tollgate/tollgate/services/kit/wire/retryafter"

	"github.com/tollgate/tollgate/services/kit/errs"
)

func TestParseError(t *testing.T) {
	tests := []struct {
		name      string
		status    int
		body      string
		kind      errs.Kind
		code      string
		retryable bool
		retry     time.Duration
	}{
		{"bad request", 400, `{"error":{"code":400,"message":"Invalid JSON payload","status":"INVALID_ARGUMENT"}}`,
			errs.KindInvalidArgument, "INVALID_ARGUMENT", false, 0},
		{"rejected provider key", 400, `{"error":{"code":400,"message":"API key not valid. Please pass a valid API key.","status":"INVALID_ARGUMENT",
			"details":[{"@type":"type.googleapis.com/google.rpc.ErrorInfo","reason":"API_KEY_INVALID","domain":"googleapis.com"}]}}`,
			errs.KindUpstream, "INVALID_ARGUMENT", true, 0},
		{"quota with RetryInfo", 429, `{"error":{"code":429,"message":"Resource exhausted","status":"RESOURCE_EXHAUSTED",
			"details":[{"@type":"type.googleapis.com/google.rpc.QuotaFailure","violations":[]},{"@type":"type.googleapis.com/google.rpc.RetryInfo","retryDelay":"27s"}]}}`,
			errs.KindRateLimited, "RESOURCE_EXHAUSTED", true, 27 * time.Second},
		{"overloaded", 503, `{"error":{"code":503,"message":"The model is overloaded.","status":"UNAVAILABLE"}}`,
			errs.KindUnavailable, "UNAVAILABLE", true, 0},
		{"internal", 500, `{"error":{"code":500,"message":"An internal error has occurred.","status":"INTERNAL"}}`,
			errs.KindUpstream, "INTERNAL", true, 0},
		{"deadline", 504, `{"error":{"code":504,"message":"Deadline exceeded","status":"DEADLINE_EXCEEDED"}}`,
			errs.KindTimeout, "DEADLINE_EXCEEDED", true, 0},
		{"unknown model", 404, `{"error":{"code":404,"message":"models/x is not found","status":"NOT_FOUND"}}`,
			errs.KindUpstream, "NOT_FOUND", true, 0},
		{"permission", 403, `{"error":{"code":403,"message":"denied","status":"PERMISSION_DENIED"}}`,
			errs.KindUpstream, "PERMISSION_DENIED", true, 0},
		{"location not supported", 400, `{"error":{"code":400,"message":"User location is not supported","status":"FAILED_PRECONDITION"}}`,
			errs.KindInvalidArgument, "FAILED_PRECONDITION", false, 0},
		{"array-wrapped", 429, `[{"error":{"code":429,"message":"quota","status":"RESOURCE_EXHAUSTED"}}]`,
			errs.KindRateLimited, "RESOURCE_EXHAUSTED", true, 0},
		{"not JSON", 502, `<html>bad gateway</html>`, errs.KindUnavailable, "UNAVAILABLE", true, 0},
		{"too large", 413, ``, errs.KindTooLarge, "INVALID_ARGUMENT", false, 0},
	}
	for _, tt := range tests {
		e := ParseError(tt.status, []byte(tt.body))
		if e.Kind != tt.kind || e.Code != tt.code || e.Retryable != tt.retryable || e.Retry != tt.retry ||
			e.UpstreamStatus != tt.status || e.Message == "" {
			t.Errorf("%s: %+v", tt.name, e)
		}
	}
	if e := ParseError(401, []byte(`{"error":{"code":401,"message":"no key","status":"UNAUTHENTICATED"}}`)); !strings.HasPrefix(e.Message, "provider error: ") {
		t.Errorf("a provider 401 reads as the client's: %q", e.Message)
	}
	h := http.Header{"Retry-After": []string{"3"}}
	if e := ParseErrorHeader(429, h, []byte(`{}`)); e.Retry != 3*time.Second || e.Kind != errs.KindRateLimited {
		t.Errorf("Retry-After: %+v", e)
	}
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for v, want := range map[string]time.Duration{
		"": 0, "2": 2 * time.Second, "0.5": 500 * time.Millisecond, "-1": 0, "x": 0,
		now.Add(10 * time.Second).Format(http.TimeFormat): 10 * time.Second,
	} {
		if got := retryafter.Parse(v, now); got != want {
			t.Errorf("retryafter.Parse(%q) = %v, want %v", v, got, want)
		}
	}
}
