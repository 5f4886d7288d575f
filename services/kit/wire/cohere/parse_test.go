package cohere

import (
	"errors"
	"testing"
	"time"

	inferencev1 "github.com/tollgate/tollgate/gen/go/tollgate/inference/v1"
	"github.com/tollgate/tollgate/services/kit/errs"
)

func TestParseResponse(t *testing.T) {
	body := `{"id":"c14c80c3","finish_reason":"TOOL_CALL","message":{"role":"assistant",
		"tool_plan":"I will check the weather.",
		"content":[{"type":"thinking","thinking":"cold?"},{"type":"text","text":"Checking."}],
		"tool_calls":[{"id":"get_weather_1","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Paris\"}"}},
			{"id":"now_2","type":"function","function":{"name":"now","arguments":""}}],
		"citations":[]},
		"usage":{"billed_units":{"input_tokens":5,"output_tokens":7},"tokens":{"input_tokens":120.0,"output_tokens":30},"cached_tokens":100}}`
	r, err := ParseResponse([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	c := r.GetChoices()[0]
	if r.GetId() != "c14c80c3" || c.GetFinishReason() != inferencev1.FinishReason_FINISH_REASON_TOOL_CALLS || c.GetProviderFinishReason() != "TOOL_CALL" {
		t.Errorf("id %q finish %v %q", r.GetId(), c.GetFinishReason(), c.GetProviderFinishReason())
	}
	parts := c.GetMessage().GetContent()
	if len(parts) != 3 || parts[0].GetReasoning().GetText() != "I will check the weather." || parts[1].GetReasoning().GetText() != "cold?" || parts[2].GetText() != "Checking." {
		t.Errorf("content = %v", parts)
	}
	calls := c.GetMessage().GetToolCalls()
	if len(calls) != 2 || calls[0].GetId() != "get_weather_1" || calls[0].GetArgumentsJson() != `{"city":"Paris"}` || calls[1].GetArgumentsJson() != "{}" {
		t.Errorf("calls = %v", calls)
	}
	if u := r.GetUsage(); u.GetInputTokens() != 120 || u.GetOutputTokens() != 30 || u.GetTotalTokens() != 150 || u.GetCacheReadInputTokens() != 100 {
		t.Errorf("usage (token counts, not billed units) = %v", u)
	}
	billedOnly, err := ParseResponse([]byte(`{"id":"x","finish_reason":"COMPLETE","message":{"role":"assistant","content":[{"type":"text","text":"hi"}]},
		"usage":{"billed_units":{"input_tokens":5,"output_tokens":7}}}`))
	if err != nil || billedOnly.GetUsage().GetInputTokens() != 5 || billedOnly.GetUsage().GetOutputTokens() != 7 {
		t.Errorf("billed units are the usage when there are no token counts: %v %v", billedOnly.GetUsage(), err)
	}
	if _, err := ParseResponse([]byte(`{"message":"invalid request"}`)); !errors.Is(err, ErrNotChat) {
		t.Errorf("an error body is not a chat answer: %v", err)
	}
}

func TestParseFinishReason(t *testing.T) {
	for in, want := range map[string]inferencev1.FinishReason{
		"COMPLETE":      inferencev1.FinishReason_FINISH_REASON_STOP,
		"STOP_SEQUENCE": inferencev1.FinishReason_FINISH_REASON_STOP,
		"MAX_TOKENS":    inferencev1.FinishReason_FINISH_REASON_LENGTH,
		"TOOL_CALL":     inferencev1.FinishReason_FINISH_REASON_TOOL_CALLS,
		"ERROR":         inferencev1.FinishReason_FINISH_REASON_ERROR,
		"TIMEOUT":       inferencev1.FinishReason_FINISH_REASON_ERROR,
		"ERROR_TOXIC":   inferencev1.FinishReason_FINISH_REASON_CONTENT_FILTER,
		"":              inferencev1.FinishReason_FINISH_REASON_UNSPECIFIED,
	} {
		if got := ParseFinishReason(in); got != want {
			t.Errorf("ParseFinishReason(%q) = %v, want %v", in, got, want)
		}
	}
}

func TestParseError(t *testing.T) {
	tests := []struct {
		status    int
		body      string
		kind      errs.Kind
		retryable bool
	}{
		{400, `{"id":"1","message":"invalid request: messages must not be empty"}`, errs.KindInvalidArgument, false},
		{422, `{"message":"unprocessable"}`, errs.KindInvalidArgument, false},
		{401, `{"message":"invalid api token"}`, errs.KindUpstream, true},
		{498, `{"message":"invalid token"}`, errs.KindUpstream, true},
		{402, `{"message":"please add a payment method"}`, errs.KindUpstream, true},
		{404, `{"message":"model 'x' not found"}`, errs.KindUpstream, true},
		{429, `{"message":"You are using a Trial key, which is limited to 10 API calls / minute."}`, errs.KindRateLimited, true},
		{500, `{"message":"internal server error"}`, errs.KindUpstream, true},
		{501, `{"message":"not implemented"}`, errs.KindUpstream, true},
		{503, `{"message":"service unavailable"}`, errs.KindUnavailable, true},
		{504, `upstream request timeout`, errs.KindTimeout, true},
		{413, ``, errs.KindTooLarge, false},
	}
	for _, tt := range tests {
		e := ParseError(tt.status, []byte(tt.body), "")
		if e.Kind != tt.kind || e.Retryable != tt.retryable || e.UpstreamStatus != tt.status || e.Message == "" {
			t.Errorf("%d: kind %d retryable %v status %d message %q", tt.status, e.Kind, e.Retryable, e.UpstreamStatus, e.Message)
		}
	}
	if e := ParseError(401, []byte(`{"message":"invalid api token co-123"}`), ""); e.Message != credentialsMessage {
		t.Errorf("a credentials failure must not be shown as the client's: %q", e.Message)
	}
	if e := ParseError(400, []byte(`{"message":"invalid request: k must be < 500"}`), ""); e.Message != "invalid request: k must be < 500" {
		t.Errorf("the client's own mistake keeps Cohere's message: %q", e.Message)
	}
	if e := ParseError(429, nil, "1.5"); e.Retry != 1500*time.Millisecond {
		t.Errorf("Retry-After: %v", e.Retry)
	}
}
