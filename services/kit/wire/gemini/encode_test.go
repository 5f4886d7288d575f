package gemini

import (
	"encoding/json"
	"strings"
	"testing"

	inferencev1 "github.com/tollgate/tollgate/gen/go/tollgate/inference/v1"
	"github.com/tollgate/tollgate/services/kit/errs"
)

func TestEncodeResponse(t *testing.T) {
	r := &inferencev1.ChatResponse{Id: "resp-1", Choices: []*inferencev1.Choice{{
		Message: &inferencev1.Message{Role: inferencev1.Role_ROLE_ASSISTANT, Content: []*inferencev1.ContentPart{
			{Part: &inferencev1.ContentPart_Reasoning{Reasoning: &inferencev1.ReasoningPart{Text: "think", Signature: "sig"}}},
			text("Hi \"there\""),
		}, ToolCalls: []*inferencev1.ToolCall{{Id: "toolu_1", Name: "f", ArgumentsJson: `{"a":1}`}}},
		FinishReason: inferencev1.FinishReason_FINISH_REASON_TOOL_CALLS, ProviderFinishReason: "tool_use",
	}}, Usage: &inferencev1.Usage{InputTokens: 10, OutputTokens: 7, ReasoningTokens: 2, CacheReadInputTokens: 4}}
	got := string(EncodeResponse(r, "my-alias"))
	want := `{"candidates":[{"content":{"parts":[{"text":"think","thought":true},{"text":"Hi \"there\"","thoughtSignature":"sig"},` +
		`{"functionCall":{"id":"toolu_1","name":"f","args":{"a":1}}}],"role":"model"},"finishReason":"STOP","index":0}],` +
		`"usageMetadata":{"promptTokenCount":10,"candidatesTokenCount":5,"totalTokenCount":17,"cachedContentTokenCount":4,"thoughtsTokenCount":2},` +
		`"modelVersion":"my-alias","responseId":"resp-1"}`
	if got != want {
		t.Errorf("EncodeResponse\n got %s\nwant %s", got, want)
	}
	back, err := ParseResponse([]byte(got))
	if err != nil {
		t.Fatal(err)
	}
	ch := back.GetChoices()[0]
	if ch.GetFinishReason() != inferencev1.FinishReason_FINISH_REASON_TOOL_CALLS || ch.GetMessage().GetToolCalls()[0].GetId() != "toolu_1" ||
		ch.GetMessage().GetContent()[0].GetReasoning().GetSignature() != "sig" || back.GetUsage().GetOutputTokens() != 7 ||
		back.GetUsage().GetReasoningTokens() != 2 || back.GetUsage().GetCacheReadInputTokens() != 4 {
		t.Errorf("parsed back = %v", back)
	}
}

func TestEncodeResponseEdges(t *testing.T) {
	// No choices content: an empty text part; malformed arguments.
	r := &inferencev1.ChatResponse{Choices: []*inferencev1.Choice{
		{Message: &inferencev1.Message{}, FinishReason: inferencev1.FinishReason_FINISH_REASON_LENGTH},
		{Index: 1, Message: &inferencev1.Message{ToolCalls: []*inferencev1.ToolCall{{Name: "f", ArgumentsJson: `{"a":`}}},
			FinishReason: inferencev1.FinishReason_FINISH_REASON_TOOL_CALLS},
		{Index: 2, Message: &inferencev1.Message{Content: []*inferencev1.ContentPart{text("x")}},
			FinishReason: inferencev1.FinishReason_FINISH_REASON_CONTENT_FILTER, ProviderFinishReason: "RECITATION"},
	}}
	var w GenerateContentResponse
	if err := json.Unmarshal(EncodeResponse(r, "m"), &w); err != nil {
		t.Fatal(err)
	}
	if len(w.ResponseID) != 24 || w.UsageMetadata != nil {
		t.Errorf("id %q, usage %v", w.ResponseID, w.UsageMetadata)
	}
	for i, want := range []string{"MAX_TOKENS", "MALFORMED_FUNCTION_CALL", "RECITATION"} {
		c := w.Candidates[i]
		if c.FinishReason != want || len(c.Content.Parts) != 1 || c.Content.Parts[0].Text == nil || c.Index != int32(i) {
			t.Errorf("candidate %d = %+v", i, c)
		}
	}
}

func TestFinishReasonNames(t *testing.T) {
	tests := []struct {
		fr       inferencev1.FinishReason
		provider string
		want     string
	}{
		{inferencev1.FinishReason_FINISH_REASON_STOP, "end_turn", "STOP"},
		{inferencev1.FinishReason_FINISH_REASON_UNSPECIFIED, "", "STOP"},
		{inferencev1.FinishReason_FINISH_REASON_TOOL_CALLS, "tool_calls", "STOP"},
		{inferencev1.FinishReason_FINISH_REASON_LENGTH, "length", "MAX_TOKENS"},
		{inferencev1.FinishReason_FINISH_REASON_CONTENT_FILTER, "content_filter", "SAFETY"},
		{inferencev1.FinishReason_FINISH_REASON_CONTENT_FILTER, "PROHIBITED_CONTENT", "PROHIBITED_CONTENT"},
		{inferencev1.FinishReason_FINISH_REASON_ERROR, "MALFORMED_FUNCTION_CALL", "MALFORMED_FUNCTION_CALL"},
		{inferencev1.FinishReason_FINISH_REASON_ERROR, "", "OTHER"},
		{inferencev1.FinishReason_FINISH_REASON_STOP, "MAX_TOKENS", "STOP"}, // disagreeing words: the canonical reason wins
	}
	for _, tt := range tests {
		if got := finishReasonName(tt.fr, tt.provider); got != tt.want {
			t.Errorf("finishReasonName(%v, %q) = %q, want %q", tt.fr, tt.provider, got, tt.want)
		}
	}
}

func TestEncodeErrorAndModels(t *testing.T) {
	e := errs.RateLimited(1500*1e6, "slow down").WithParam("x")
	got := string(EncodeError(429, e))
	want := `{"error":{"code":429,"message":"slow down","status":"RESOURCE_EXHAUSTED","details":[` +
		`{"@type":"type.googleapis.com/google.rpc.ErrorInfo","reason":"RATE_LIMIT_EXCEEDED","domain":"tollgate"},` +
		`{"@type":"type.googleapis.com/google.rpc.BadRequest","fieldViolations":[{"field":"x","description":"slow down"}]},` +
		`{"@type":"type.googleapis.com/google.rpc.RetryInfo","retryDelay":"1.5s"}]}}`
	if got != want {
		t.Errorf("EncodeError\n got %s\nwant %s", got, want)
	}
	// What Tollgate writes, it reads back.
	back := ParseError(429, []byte(got))
	if back.Kind != errs.KindRateLimited || back.Retry != 1500*1e6 || !back.Retryable || back.Code != "RESOURCE_EXHAUSTED" {
		t.Errorf("parsed back = %+v", back)
	}
	f := ErrorFrame(errs.Invalid("contents", "bad"))
	if f.Event != "" || !strings.Contains(string(f.Data), `"code":400,"message":"bad","status":"INVALID_ARGUMENT"`) {
		t.Errorf("ErrorFrame = %s", f.Data)
	}
	for status, name := range map[int]string{401: "UNAUTHENTICATED", 403: "PERMISSION_DENIED", 404: "NOT_FOUND",
		413: "INVALID_ARGUMENT", 499: "CANCELLED", 500: "INTERNAL", 502: "UNAVAILABLE", 503: "UNAVAILABLE", 504: "DEADLINE_EXCEEDED"} {
		if got := StatusName(status); got != name {
			t.Errorf("StatusName(%d) = %s, want %s", status, got, name)
		}
	}

	if got := string(EncodeModelList([]string{"fast", "models/smart"})); got !=
		`{"models":[{"name":"models/fast","baseModelId":"fast","version":"001","displayName":"fast","supportedGenerationMethods":["generateContent","streamGenerateContent","countTokens","embedContent","batchEmbedContents"]},`+
			`{"name":"models/smart","baseModelId":"smart","version":"001","displayName":"smart","supportedGenerationMethods":["generateContent","streamGenerateContent","countTokens","embedContent","batchEmbedContents"]}]}` {
		t.Errorf("EncodeModelList = %s", got)
	}
	if !json.Valid(EncodeModel("x")) || !json.Valid(EncodeModelList(nil)) {
		t.Error("model encodings are not JSON")
	}
}
