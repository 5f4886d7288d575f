package anthropic

import (
	"encoding/json"
	"strings"
	"testing"

	inferencev1 "github.com/tollgate/tollgate/gen/go/tollgate/inference/v1"
)

func TestEncodeResponse(t *testing.T) {
	r := &inferencev1.ChatResponse{
		Id: "chatcmpl-1",
		Choices: []*inferencev1.Choice{{
			Message: &inferencev1.Message{
				Role: inferencev1.Role_ROLE_ASSISTANT,
				Content: []*inferencev1.ContentPart{
					reasoning(&inferencev1.ReasoningPart{Text: "think", Signature: "sig"}),
					reasoning(&inferencev1.ReasoningPart{EncryptedContent: "opaque"}),
					text(""),
					text("Hello \"world\"\n"),
				},
				ToolCalls: []*inferencev1.ToolCall{
					{Id: "call_1", Name: "get_weather", ArgumentsJson: `{"city":"Paris"}`},
					{Id: "call_2", Name: "now", ArgumentsJson: ""},
					{Id: "call_3", Name: "broken", ArgumentsJson: `{"city":`},
				},
			},
			FinishReason: inferencev1.FinishReason_FINISH_REASON_TOOL_CALLS,
		}},
		Usage: &inferencev1.Usage{InputTokens: 100, OutputTokens: 20, CacheReadInputTokens: 30, CacheCreationInputTokens: 10},
	}
	got := string(EncodeResponse(r, "claude-client"))
	want := `{"id":"chatcmpl-1","type":"message","role":"assistant","model":"claude-client","content":[` +
		`{"type":"thinking","thinking":"think","signature":"sig"},` +
		`{"type":"redacted_thinking","data":"opaque"},` +
		`{"type":"text","text":"Hello \"world\"\n"},` +
		`{"type":"tool_use","id":"call_1","name":"get_weather","input":{"city":"Paris"}},` +
		`{"type":"tool_use","id":"call_2","name":"now","input":{}},` +
		`{"type":"tool_use","id":"call_3","name":"broken","input":{}}],` +
		`"stop_reason":"tool_use","stop_sequence":null,` +
		`"usage":{"input_tokens":60,"cache_creation_input_tokens":10,"cache_read_input_tokens":30,"output_tokens":20}}`
	if got != want {
		t.Fatalf("\n got %s\nwant %s", got, want)
	}
}

func TestEncodeResponseForwardsRawBody(t *testing.T) {
	raw := []byte(`{"id":"msg_1","type":"message"}`)
	r := &inferencev1.ChatResponse{Id: "other", Raw: raw, RawDialect: inferencev1.Dialect_DIALECT_ANTHROPIC_MESSAGES}
	if got := EncodeResponse(r, "m"); string(got) != string(raw) {
		t.Errorf("got %s", got)
	}
	r.RawDialect = inferencev1.Dialect_DIALECT_OPENAI_CHAT
	if got := EncodeResponse(r, "m"); string(got) == string(raw) {
		t.Error("a raw body of another dialect must be re-encoded")
	}
}

func TestEncodeResponseEmptyAndGeneratedIDs(t *testing.T) {
	var m map[string]any
	if err := json.Unmarshal(EncodeResponse(&inferencev1.ChatResponse{}, "m"), &m); err != nil {
		t.Fatal(err)
	}
	if id, _ := m["id"].(string); !strings.HasPrefix(id, "msg_") || len(id) < 20 {
		t.Errorf("id = %q", id)
	}
	if m["stop_reason"] != "end_turn" || len(m["content"].([]any)) != 0 {
		t.Errorf("got %v", m)
	}
	r := &inferencev1.ChatResponse{Choices: []*inferencev1.Choice{{Message: &inferencev1.Message{
		ToolCalls: []*inferencev1.ToolCall{{Name: "f"}}}}}}
	if err := json.Unmarshal(EncodeResponse(r, "m"), &m); err != nil {
		t.Fatal(err)
	}
	block := m["content"].([]any)[0].(map[string]any)
	if id, _ := block["id"].(string); !strings.HasPrefix(id, "toolu_") || m["stop_reason"] != "tool_use" {
		t.Errorf("got %v", m)
	}
}

func TestStopReasonName(t *testing.T) {
	cases := []struct {
		fr       inferencev1.FinishReason
		provider string
		tools    bool
		want     string
	}{
		{inferencev1.FinishReason_FINISH_REASON_STOP, "stop", false, "end_turn"},
		{inferencev1.FinishReason_FINISH_REASON_STOP, "stop_sequence", false, "stop_sequence"},
		{inferencev1.FinishReason_FINISH_REASON_STOP, "pause_turn", false, "pause_turn"},
		{inferencev1.FinishReason_FINISH_REASON_LENGTH, "length", false, "max_tokens"},
		{inferencev1.FinishReason_FINISH_REASON_TOOL_CALLS, "", true, "tool_use"},
		{inferencev1.FinishReason_FINISH_REASON_CONTENT_FILTER, "SAFETY", false, "refusal"},
		{inferencev1.FinishReason_FINISH_REASON_ERROR, "", false, "end_turn"},
		{inferencev1.FinishReason_FINISH_REASON_UNSPECIFIED, "", true, "tool_use"},
		{inferencev1.FinishReason_FINISH_REASON_UNSPECIFIED, "", false, "end_turn"},
	}
	for _, c := range cases {
		if got := stopReasonName(c.fr, c.provider, c.tools); got != c.want {
			t.Errorf("stopReasonName(%v, %q, %v) = %q, want %q", c.fr, c.provider, c.tools, got, c.want)
		}
	}
}

func TestEncodeModelListAndCountTokens(t *testing.T) {
	if got := string(EncodeModelList(nil, 0)); got != `{"data":[],"has_more":false,"first_id":null,"last_id":null}` {
		t.Errorf("empty list = %s", got)
	}
	got := string(EncodeModelList([]string{"a\"b"}, 1700000000))
	want := `{"data":[{"type":"model","id":"a\"b","display_name":"a\"b","created_at":"2023-11-14T22:13:20Z"}],"has_more":false,"first_id":"a\"b","last_id":"a\"b"}`
	if got != want {
		t.Errorf("\n got %s\nwant %s", got, want)
	}
	if got := string(EncodeCountTokensResponse(42)); got != `{"input_tokens":42}` {
		t.Errorf("count tokens = %s", got)
	}
}

func TestEstimateInputTokens(t *testing.T) {
	r := &inferencev1.ChatRequest{
		Messages: []*inferencev1.Message{
			{Role: inferencev1.Role_ROLE_USER, Content: []*inferencev1.ContentPart{
				text(strings.Repeat("abcd", 100)), // 100 tokens
				{Part: &inferencev1.ContentPart_Image{Image: &inferencev1.Image{Url: "https://x"}}},
			}},
			{Role: inferencev1.Role_ROLE_ASSISTANT, ToolCalls: []*inferencev1.ToolCall{{Name: "abcd", ArgumentsJson: "abcd"}}},
		},
		Tools: []*inferencev1.Tool{{Name: "abcd", Description: "abcd", ParametersJson: "abcd"}},
	}
	// 400+8+12 characters = 105 tokens, 2 messages, one image.
	if got, want := EstimateInputTokens(r), int64(105+2*messageOverhead+imageTokenEstimate); got != want {
		t.Errorf("estimate = %d, want %d", got, want)
	}
	if EstimateInputTokens(&inferencev1.ChatRequest{}) != 0 {
		t.Error("an empty request should estimate 0")
	}
}
