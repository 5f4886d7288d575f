package httperr

import (
	"encoding/json"
	"testing"

	inferencev1 "github.com/tollgate/tollgate/gen/go/tollgate/inference/v1"
	"github.com/tollgate/tollgate/services/kit/errs"
)

func TestDialectOfPath(t *testing.T) {
	for path, want := range map[string]inferencev1.Dialect{
		"/anthropic/v1/messages":                  inferencev1.Dialect_DIALECT_ANTHROPIC_MESSAGES,
		"/anthropic/v1/models":                    inferencev1.Dialect_DIALECT_ANTHROPIC_MESSAGES,
		"/v1/messages":                            inferencev1.Dialect_DIALECT_ANTHROPIC_MESSAGES,
		"/v1/messages/count_tokens":               inferencev1.Dialect_DIALECT_ANTHROPIC_MESSAGES,
		"/v1/messagesx":                           inferencev1.Dialect_DIALECT_OPENAI_CHAT,
		"/v1/responses":                           inferencev1.Dialect_DIALECT_OPENAI_RESPONSES,
		"/codex/v1/responses":                     inferencev1.Dialect_DIALECT_OPENAI_RESPONSES,
		"/v1/chat/completions":                    inferencev1.Dialect_DIALECT_OPENAI_CHAT,
		"/gemini/v1beta/models/m:generateContent": inferencev1.Dialect_DIALECT_GEMINI,
	} {
		if got := DialectOfPath(path); got != want {
			t.Errorf("%s: %v, want %v", path, got, want)
		}
	}
}

func TestRenderAnthropicShape(t *testing.T) {
	cases := []struct {
		err    error
		status int
		typ    string
	}{
		{errs.Unauthenticated("bad key"), 401, "authentication_error"},
		{errs.Forbidden("no"), 403, "permission_error"},
		{errs.NotFound("model_not_found", "no such model"), 404, "not_found_error"},
		{errs.RateLimited(0, "slow down"), 429, "rate_limit_error"},
		{errs.Invalid("model", "bad"), 400, "invalid_request_error"},
	}
	for _, tc := range cases {
		status, body, te := Render(inferencev1.Dialect_DIALECT_ANTHROPIC_MESSAGES, tc.err)
		var e struct {
			Type  string
			Error struct{ Type, Message string }
		}
		if status != tc.status || json.Unmarshal(body, &e) != nil || e.Type != "error" || e.Error.Type != tc.typ || e.Error.Message != te.Message {
			t.Errorf("%v: %d %s", tc.err, status, body)
		}
	}
	// Responses routes share OpenAI's envelope.
	_, body, _ := Render(inferencev1.Dialect_DIALECT_OPENAI_RESPONSES, errs.NotFound("model_not_found", "x"))
	var o struct{ Error struct{ Code string } }
	if json.Unmarshal(body, &o) != nil || o.Error.Code != "model_not_found" {
		t.Errorf("responses error %s", body)
	}
}
