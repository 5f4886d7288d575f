package anthropic

import (
	"net/http"
	"testing"
	"time"

	"github.com/tollgate/tollgate/services/kit/wire/retryafter"

	"github.com/tollgate/tollgate/services/kit/errs"
)

func TestEncodeError(t *testing.T) {
	e := errs.Invalid("messages[0].role", `messages[0].role must be "user"`)
	want := `{"type":"error","error":{"type":"invalid_request_error","message":"messages[0].role must be \"user\""}}`
	if got := string(EncodeError(400, e)); got != want {
		t.Errorf("\n got %s\nwant %s", got, want)
	}
	want = `{"type":"error","error":{"type":"overloaded_error","message":"busy"},"request_id":"req_1"}`
	if got := string(EncodeErrorWithRequestID(529, errs.New(errs.KindUnavailable, "x", "busy"), "req_1")); got != want {
		t.Errorf("\n got %s\nwant %s", got, want)
	}
	f := EncodeStreamError(errs.RateLimited(time.Second, "quota exhausted"))
	if f.Event != "error" || string(f.Data) != `{"type":"error","error":{"type":"rate_limit_error","message":"quota exhausted"}}` {
		t.Errorf("stream error = %s %s", f.Event, f.Data)
	}
}

func TestErrorType(t *testing.T) {
	for status, want := range map[int]string{
		400: "invalid_request_error", 401: "authentication_error", 402: "billing_error", 403: "permission_error",
		404: "not_found_error", 405: "invalid_request_error", 413: "request_too_large", 429: "rate_limit_error",
		499: "invalid_request_error", 500: "api_error", 502: "api_error", 503: "overloaded_error", 504: "timeout_error",
		529: "overloaded_error",
	} {
		if got := ErrorType(status); got != want {
			t.Errorf("ErrorType(%d) = %q, want %q", status, got, want)
		}
	}
}

func TestParseError(t *testing.T) {
	cases := []struct {
		status     int
		body       string
		retryAfter string
		kind       errs.Kind
		code       string
		retryable  bool
		retry      time.Duration
		message    string
	}{
		{400, `{"type":"error","error":{"type":"invalid_request_error","message":"max_tokens: Field required"},"request_id":"req_1"}`, "",
			errs.KindInvalidArgument, "invalid_request_error", false, 0, "max_tokens: Field required"},
		{401, `{"type":"error","error":{"type":"authentication_error","message":"invalid x-api-key"}}`, "",
			errs.KindUpstream, "authentication_error", true, 0, "provider error: invalid x-api-key"},
		{404, `{"type":"error","error":{"type":"not_found_error","message":"model: claude-x"}}`, "",
			errs.KindUpstream, "not_found_error", true, 0, "provider error: model: claude-x"},
		{413, `{"type":"error","error":{"type":"request_too_large","message":"Request exceeds the maximum size"}}`, "",
			errs.KindTooLarge, "request_too_large", false, 0, "Request exceeds the maximum size"},
		{429, `{"type":"error","error":{"type":"rate_limit_error","message":"Number of request tokens has exceeded your per-minute rate limit"}}`, "17",
			errs.KindRateLimited, "rate_limit_error", true, 17 * time.Second, "provider rate limit: Number of request tokens has exceeded your per-minute rate limit"},
		{500, `{"type":"error","error":{"type":"api_error","message":"Internal server error"}}`, "",
			errs.KindUpstream, "api_error", true, 0, "provider error: Internal server error"},
		{529, `{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}`, "2.5",
			errs.KindUnavailable, "overloaded_error", true, 2500 * time.Millisecond, "provider overloaded: Overloaded"},
		{503, `<html>upstream connect error</html>`, "",
			errs.KindUnavailable, "overloaded_error", true, 0, "provider overloaded: Service Unavailable"},
		{504, ``, "",
			errs.KindTimeout, "timeout_error", true, 0, "provider timeout: Gateway Timeout"},
		{422, `{"error":{"message":"odd"}}`, "",
			errs.KindInvalidArgument, "invalid_request_error", false, 0, "odd"},
		{599, `{}`, "",
			errs.KindUpstream, "api_error", true, 0, "provider error: HTTP 599"},
	}
	for _, c := range cases {
		e := ParseError(c.status, []byte(c.body), c.retryAfter)
		if e.Kind != c.kind || e.Code != c.code || e.Retryable != c.retryable || e.Retry != c.retry ||
			e.Message != c.message || e.UpstreamStatus != c.status {
			t.Errorf("ParseError(%d, %s) = %+v", c.status, c.body, e)
		}
	}
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	for v, want := range map[string]time.Duration{
		"":          0,
		"30":        30 * time.Second,
		" 0.5 ":     500 * time.Millisecond,
		"-1":        0,
		"NaN":       0,
		"soon":      0,
		"999999999": 0,
		now.Add(90 * time.Second).Format(http.TimeFormat): 90 * time.Second,
		now.Add(-time.Minute).Format(http.TimeFormat):     0,
	} {
		if got := retryafter.Parse(v, now); got != want {
			t.Errorf("retryafter.Parse(%q) = %v, want %v", v, got, want)
		}
	}
}

func TestSourceHeaders(t *testing.T) {
	h := http.Header{}
	h.Set("Anthropic-Version", "2023-06-01")
	h.Add("anthropic-beta", "a-1")
	h.Add("anthropic-beta", "b-2")
	h.Set("X-Api-Key", "secret")
	got := SourceHeaders(h)
	// The default version is left out: the provider sends it anyway.
	if len(got) != 1 || got["anthropic-beta"] != "a-1,b-2" {
		t.Errorf("got %v", got)
	}
	h.Set("Anthropic-Version", "2024-01-01")
	if got := SourceHeaders(h); len(got) != 2 || got["anthropic-version"] != "2024-01-01" {
		t.Errorf("another version: got %v", got)
	}
	if SourceHeaders(http.Header{}) != nil {
		t.Error("no headers should give nil")
	}
	if SourceHeaders(http.Header{"Anthropic-Version": {APIVersion}}) != nil {
		t.Error("the default version alone should give nil")
	}
}
