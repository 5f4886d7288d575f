package openai

import (
	"testing"

	"github.com/tollgate/tollgate/services/kit/errs"
)

func TestEncodeError(t *testing.T) {
	cases := []struct {
		status int
		err    *errs.Error
		want   string
	}{
		{400, errs.Invalid("messages[1].role", "bad role"),
			`{"error":{"message":"bad role","type":"invalid_request_error","param":"messages[1].role","code":"invalid_request"}}`},
		{401, errs.Unauthenticated("no token"),
			`{"error":{"message":"no token","type":"invalid_request_error","param":null,"code":"invalid_api_key"}}`},
		{403, errs.Forbidden("no"),
			`{"error":{"message":"no","type":"permission_error","param":null,"code":"permission_denied"}}`},
		{429, errs.RateLimited(0, "slow down"),
			`{"error":{"message":"slow down","type":"requests","param":null,"code":"rate_limit_exceeded"}}`},
		{502, &errs.Error{Kind: errs.KindUpstream, Message: "provider failed"},
			`{"error":{"message":"provider failed","type":"server_error","param":null,"code":null}}`},
	}
	for _, tc := range cases {
		if got := string(EncodeError(tc.status, tc.err)); got != tc.want {
			t.Errorf("status %d:\n got  %s\n want %s", tc.status, got, tc.want)
		}
	}
}

func TestParseError(t *testing.T) {
	cases := []struct {
		body                 string
		message, param, code string
		ok                   bool
	}{
		{`{"error":{"message":"bad","type":"invalid_request_error","param":"temperature","code":"invalid_value"}}`, "bad", "temperature", "invalid_value", true},
		{`{"error":{"message":"n","type":"x","param":null,"code":null}}`, "n", "", "", true},
		{`{"error":{"message":"n","code":400}}`, "n", "", "400", true},
		{`{"error":"plain"}`, "plain", "", "", true},
		{`{"message":"top"}`, "top", "", "", true},
		{`{"detail":"fastapi"}`, "fastapi", "", "", true},
		{`<html>bad gateway</html>`, "", "", "", false},
		{`{}`, "", "", "", false},
	}
	for _, tc := range cases {
		m, p, c, ok := ParseError([]byte(tc.body))
		if m != tc.message || p != tc.param || c != tc.code || ok != tc.ok {
			t.Errorf("%s: got %q %q %q %v", tc.body, m, p, c, ok)
		}
	}
}
