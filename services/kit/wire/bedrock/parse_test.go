package bedrock

import (
	"errors"
	"net/http"
	"testing"
	"time"

	inferencev1 "github.com/tollgate/tollgate/gen/go/tollgate/inference/v1"
	"github.com/tollgate/tollgate/services/kit/errs"
)

func TestParseResponse(t *testing.T) {
	body := `{"output":{"message":{"role":"assistant","content":[
		{"reasoningContent":{"reasoningText":{"text":"think","signature":"sig"}}},
		{"reasoningContent":{"redactedContent":"AQID"}},
		{"text":"Let me check."},
		{"toolUse":{"toolUseId":"tooluse_1","name":"get_weather","input":{"city":"Paris"}}},
		{"toolUse":{"toolUseId":"tooluse_2","name":"now","input":null}}]}},
		"stopReason":"tool_use",
		"usage":{"inputTokens":10,"outputTokens":20,"totalTokens":130,"cacheReadInputTokens":100,"cacheWriteInputTokens":0},
		"metrics":{"latencyMs":321}}`
	r, err := ParseResponse([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	c := r.GetChoices()[0]
	if c.GetFinishReason() != inferencev1.FinishReason_FINISH_REASON_TOOL_CALLS || c.GetProviderFinishReason() != "tool_use" {
		t.Errorf("finish = %v %q", c.GetFinishReason(), c.GetProviderFinishReason())
	}
	parts := c.GetMessage().GetContent()
	if len(parts) != 3 || parts[0].GetReasoning().GetSignature() != "sig" || parts[0].GetReasoning().GetText() != "think" ||
		parts[1].GetReasoning().GetEncryptedContent() != "AQID" || parts[2].GetText() != "Let me check." {
		t.Errorf("content = %v", parts)
	}
	calls := c.GetMessage().GetToolCalls()
	if len(calls) != 2 || calls[0].GetId() != "tooluse_1" || calls[0].GetArgumentsJson() != `{"city":"Paris"}` || calls[1].GetArgumentsJson() != "{}" {
		t.Errorf("tool calls = %v", calls)
	}
	u := r.GetUsage()
	if u.GetInputTokens() != 110 || u.GetOutputTokens() != 20 || u.GetTotalTokens() != 130 || u.GetCacheReadInputTokens() != 100 {
		t.Errorf("usage = %v", u)
	}
	if _, err := ParseResponse([]byte(`{"message":"not converse"}`)); !errors.Is(err, ErrNotConverse) {
		t.Errorf("a non-Converse body must be refused, got %v", err)
	}
	if _, err := ParseResponse([]byte(`[`)); !errors.Is(err, ErrNotConverse) {
		t.Errorf("malformed JSON must be refused, got %v", err)
	}
}

func TestParseStopReason(t *testing.T) {
	for in, want := range map[string]inferencev1.FinishReason{
		"end_turn":                      inferencev1.FinishReason_FINISH_REASON_STOP,
		"stop_sequence":                 inferencev1.FinishReason_FINISH_REASON_STOP,
		"max_tokens":                    inferencev1.FinishReason_FINISH_REASON_LENGTH,
		"model_context_window_exceeded": inferencev1.FinishReason_FINISH_REASON_LENGTH,
		"tool_use":                      inferencev1.FinishReason_FINISH_REASON_TOOL_CALLS,
		"guardrail_intervened":          inferencev1.FinishReason_FINISH_REASON_CONTENT_FILTER,
		"content_filtered":              inferencev1.FinishReason_FINISH_REASON_CONTENT_FILTER,
		"malformed_tool_use":            inferencev1.FinishReason_FINISH_REASON_ERROR,
		"something_new":                 inferencev1.FinishReason_FINISH_REASON_UNSPECIFIED,
	} {
		if got := ParseStopReason(in); got != want {
			t.Errorf("ParseStopReason(%q) = %v, want %v", in, got, want)
		}
	}
}

func TestParseError(t *testing.T) {
	tests := []struct {
		name, errorType, body string
		status                int
		kind                  errs.Kind
		retryable             bool
		code                  string
	}{
		{"throttling", "ThrottlingException:http://internal.amazon.com/coral/com.amazon.bedrock/", `{"message":"Too many requests, please wait before trying again."}`,
			429, errs.KindRateLimited, true, "ThrottlingException"},
		{"model not ready", "ModelNotReadyException", `{"message":"Model is not ready"}`, 429, errs.KindUnavailable, true, "ModelNotReadyException"},
		{"service unavailable", "", `{"__type":"com.amazon.coral.service#ServiceUnavailableException","Message":"busy"}`, 503, errs.KindUnavailable, true, "ServiceUnavailableException"},
		{"internal", "InternalServerException", `{"message":"oops"}`, 500, errs.KindUpstream, true, "InternalServerException"},
		{"model timeout", "ModelTimeoutException", `{"message":"slow"}`, 408, errs.KindTimeout, true, "ModelTimeoutException"},
		{"model error", "ModelErrorException", `{"message":"bad"}`, 424, errs.KindUpstream, true, "ModelErrorException"},
		{"validation", "ValidationException", `{"message":"messages.0: text field is blank"}`, 400, errs.KindInvalidArgument, false, "ValidationException"},
		{"quota", "ServiceQuotaExceededException", `{"message":"quota"}`, 400, errs.KindRateLimited, true, "ServiceQuotaExceededException"},
		{"access denied", "AccessDeniedException", `{"message":"User: arn:aws:iam::123456789012:user/gw is not authorized"}`, 403, errs.KindUpstream, true, "AccessDeniedException"},
		{"unknown model", "ResourceNotFoundException", `{"message":"Model not found"}`, 404, errs.KindUpstream, true, "ResourceNotFoundException"},
		{"bare 502", "", `<html>bad gateway</html>`, 502, errs.KindUpstream, true, "HTTP_502"},
		{"bare 429", "", ``, 429, errs.KindRateLimited, true, "HTTP_429"},
		{"bare 422", "", `{}`, 422, errs.KindInvalidArgument, false, "HTTP_422"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := ParseError(tt.status, tt.errorType, []byte(tt.body), "")
			if e.Kind != tt.kind || e.Retryable != tt.retryable || e.Code != tt.code || e.UpstreamStatus != tt.status {
				t.Fatalf("got kind %d retryable %v code %q status %d; want %d %v %q", e.Kind, e.Retryable, e.Code, e.UpstreamStatus, tt.kind, tt.retryable, tt.code)
			}
		})
	}
	if e := ParseError(403, "AccessDeniedException", []byte(`{"message":"arn:aws:iam::123456789012:user/gw"}`), ""); e.Message != credentialsMessage {
		t.Errorf("a credentials failure must not show its message (it names the account): %q", e.Message)
	}
	if e := ParseError(400, "ValidationException", []byte(`{"message":"text field is blank"}`), ""); e.Message != "text field is blank" {
		t.Errorf("a validation message is the client's to see: %q", e.Message)
	}
	if e := ParseError(429, "ThrottlingException", nil, "3"); e.Retry != 3*time.Second {
		t.Errorf("Retry-After: %v", e.Retry)
	}
	if e := ParseError(429, "", nil, time.Now().Add(-time.Hour).UTC().Format(http.TimeFormat)); e.Retry != 0 {
		t.Errorf("a past Retry-After date: %v", e.Retry)
	}
}
