package provideradapter

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/tollgate/tollgate/services/kit/errs"
	"github.com/tollgate/tollgate/services/kit/wire/retryafter"
)

func TestUpstreamError(t *testing.T) {
	openAIError := func(msg, param, code string) []byte {
		return []byte(`{"error":{"message":"` + msg + `","type":"x","param":"` + param + `","code":"` + code + `"}}`)
	}
	cases := []struct {
		name      string
		status    int
		header    http.Header
		body      []byte
		kind      errs.Kind
		code      string
		param     string
		msg       string
		retry     time.Duration
		retryable bool
	}{
		{name: "400 passes the message and param", status: 400, body: openAIError("bad temp", "temperature", "invalid_value"),
			kind: errs.KindInvalidArgument, code: "invalid_value", param: "temperature", msg: "bad temp"},
		{name: "404 model", status: 404, body: openAIError("The model `x` does not exist", "", "model_not_found"),
			kind: errs.KindInvalidArgument, code: "model_not_found", msg: "does not exist"},
		{name: "422 without body", status: 422, kind: errs.KindInvalidArgument, code: "invalid_request", msg: "HTTP 422"},
		{name: "401 hides details", status: 401, body: openAIError("Incorrect API key provided: sk-sec***", "", "invalid_api_key"),
			kind: errs.KindUpstream, code: "upstream_auth_failed", msg: "upstream rejected the gateway's credentials"},
		{name: "403", status: 403, kind: errs.KindUpstream, code: "upstream_auth_failed", msg: "upstream rejected"},
		{name: "429 seconds", status: 429, header: http.Header{"Retry-After": {"2"}},
			kind: errs.KindRateLimited, code: "rate_limit_exceeded", retry: 2 * time.Second, retryable: true},
		{name: "429 ms", status: 429, header: http.Header{"Retry-After-Ms": {"1500"}, "Retry-After": {"9"}},
			kind: errs.KindRateLimited, code: "rate_limit_exceeded", retry: 1500 * time.Millisecond, retryable: true},
		{name: "500", status: 500, body: openAIError("server had an error", "", ""),
			kind: errs.KindUpstream, code: "upstream_error", msg: "HTTP 500", retryable: true},
		{name: "503 html", status: 503, body: []byte("<html>down</html>"), kind: errs.KindUpstream, code: "upstream_error", retryable: true},
		{name: "504", status: 504, kind: errs.KindTimeout, code: "upstream_timeout", retryable: true},
		{name: "413", status: 413, kind: errs.KindTooLarge, code: "request_too_large"},
		{name: "409 not retryable", status: 409, kind: errs.KindUpstream, code: "upstream_error"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := tc.header
			if h == nil {
				h = http.Header{}
			}
			e := UpstreamError("openai", tc.status, h, tc.body, "sk-secret-value")
			if e.Kind != tc.kind || e.Code != tc.code || e.Param != tc.param || e.Retry != tc.retry || Retryable(e) != tc.retryable {
				t.Fatalf("got %+v (retryable %v)", e, Retryable(e))
			}
			if !strings.Contains(e.Message, tc.msg) {
				t.Errorf("message %q does not contain %q", e.Message, tc.msg)
			}
			if e.UpstreamStatus != tc.status {
				t.Errorf("upstream status %d", e.UpstreamStatus)
			}
		})
	}
}

func TestUpstreamErrorRedactsSecrets(t *testing.T) {
	e := UpstreamError("openai", 400, http.Header{}, []byte(`{"error":{"message":"key sk-secret-value is not valid here"}}`), "sk-secret-value")
	if strings.Contains(e.Error(), "sk-secret-value") {
		t.Fatalf("secret leaked: %q", e.Error())
	}
}

func TestRetryAfterDate(t *testing.T) {
	when := time.Now().Add(90 * time.Second).UTC().Format(http.TimeFormat)
	d := retryafter.FromHeader(http.Header{"Retry-After": {when}}, time.Now())
	if d < 80*time.Second || d > 91*time.Second {
		t.Fatalf("retry after %v", d)
	}
}
