package responses

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/tollgate/tollgate/services/kit/errs"
)

func TestEncodeError(t *testing.T) {
	got := string(EncodeError(400, errs.Invalid("input[1].role", "bad role")))
	want := `{"error":{"message":"bad role","type":"invalid_request_error","param":"input[1].role","code":"invalid_request"}}`
	if got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}

func TestParseError(t *testing.T) {
	cases := []struct {
		name      string
		status    int
		header    http.Header
		body      string
		kind      errs.Kind
		code      string
		param     string
		retryable bool
		retry     time.Duration
		msgHas    string
		msgLacks  string
	}{
		{name: "context too long", status: 400,
			body: `{"error":{"message":"Your input exceeds the context window of this model.","type":"invalid_request_error","param":"input","code":"context_length_exceeded"}}`,
			kind: errs.KindInvalidArgument, code: "context_length_exceeded", param: "input", msgHas: "context window"},
		{name: "unknown 404 body", status: 404, body: `<html>`, kind: errs.KindInvalidArgument, code: "invalid_request", msgHas: "HTTP 404"},
		{name: "bad key", status: 401,
			body: `{"error":{"message":"Incorrect API key provided: sk-abc***xyz","type":"invalid_request_error","code":"invalid_api_key"}}`,
			kind: errs.KindUpstream, code: "upstream_auth_failed", msgLacks: "sk-"},
		{name: "rate limit with hint", status: 429,
			body: `{"error":{"message":"Rate limit reached for gpt-5 in organization org-secret on tokens per min. Please try again in 1.5s.","type":"tokens","code":"rate_limit_exceeded"}}`,
			kind: errs.KindRateLimited, code: "rate_limit_exceeded", retryable: true, retry: 1500 * time.Millisecond, msgLacks: "org-secret"},
		{name: "quota", status: 429, body: `{"error":{"message":"You exceeded your current quota","type":"insufficient_quota","code":"insufficient_quota"}}`,
			kind: errs.KindRateLimited, code: "insufficient_quota", retryable: true},
		{name: "header wins", status: 429, header: http.Header{"Retry-After-Ms": {"250"}},
			body: `{"error":{"message":"Please try again in 20s."}}`, kind: errs.KindRateLimited, code: "rate_limit_exceeded", retryable: true, retry: 250 * time.Millisecond},
		{name: "overloaded", status: 503, header: http.Header{"Retry-After": {"3"}}, body: `{"error":{"message":"The engine is currently overloaded","type":"server_error"}}`,
			kind: errs.KindUpstream, code: "upstream_error", retryable: true, retry: 3 * time.Second, msgHas: "overloaded"},
		{name: "timeout", status: 504, body: ``, kind: errs.KindTimeout, code: "upstream_timeout", retryable: true},
		{name: "too large", status: 413, body: ``, kind: errs.KindTooLarge, code: "request_too_large"},
		{name: "other", status: 409, body: `{"error":"conflict"}`, kind: errs.KindUpstream, code: "upstream_error", msgHas: "conflict"},
	}
	for _, tc := range cases {
		e := ParseErrorHeader(tc.status, tc.header, []byte(tc.body))
		if e.Kind != tc.kind || e.Code != tc.code || e.Param != tc.param || e.Retryable != tc.retryable || e.Retry != tc.retry || e.UpstreamStatus != tc.status {
			t.Errorf("%s: %+v", tc.name, e)
		}
		if tc.msgHas != "" && !strings.Contains(e.Message, tc.msgHas) || tc.msgLacks != "" && strings.Contains(e.Message, tc.msgLacks) {
			t.Errorf("%s: message %q", tc.name, e.Message)
		}
	}
	if e := ParseError(429, []byte(`{"error":{"message":"Please try again in 300ms."}}`)); e.Retry != 300*time.Millisecond {
		t.Errorf("retry from message without headers: %v", e.Retry)
	}
}
