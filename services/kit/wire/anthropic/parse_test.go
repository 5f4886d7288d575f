package anthropic

import (
	"encoding/json"
	"errors"
	"testing"

	"google.golang.org/protobuf/encoding/prototext"
	"google.golang.org/protobuf/proto"

	inferencev1 "github.com/tollgate/tollgate/gen/go/tollgate/inference/v1"
	"github.com/tollgate/tollgate/services/kit/wire/openai"
)

func TestParseResponse(t *testing.T) {
	body := []byte(`{"id":"msg_1","type":"message","role":"assistant","model":"claude-sonnet-4-5","content":[
	  {"type":"thinking","thinking":"hmm","signature":"sig"},
	  {"type":"redacted_thinking","data":"opaque"},
	  {"type":"text","text":"Let me search."},
	  {"type":"server_tool_use","id":"srvtoolu_1","name":"web_search","input":{"query":"q"}},
	  {"type":"web_search_tool_result","tool_use_id":"srvtoolu_1","content":[]},
	  {"type":"text","text":"Found it.","citations":[{"type":"web_search_result_location","url":"https://x"}]},
	  {"type":"tool_use","id":"toolu_1","name":"get_weather","input":{"city":"Paris"}},
	  {"type":"tool_use","id":"toolu_2","name":"now","input":{}}
	],"stop_reason":"tool_use","stop_sequence":null,
	"usage":{"input_tokens":10,"cache_creation_input_tokens":5,"cache_read_input_tokens":100,"output_tokens":42,"service_tier":"standard"}}`)
	got, err := ParseResponse(body)
	if err != nil {
		t.Fatal(err)
	}
	want := &inferencev1.ChatResponse{
		Id: "msg_1", Model: "claude-sonnet-4-5",
		Choices: []*inferencev1.Choice{{
			Message: &inferencev1.Message{
				Role: inferencev1.Role_ROLE_ASSISTANT,
				Content: []*inferencev1.ContentPart{
					reasoning(&inferencev1.ReasoningPart{Text: "hmm", Signature: "sig"}),
					reasoning(&inferencev1.ReasoningPart{EncryptedContent: "opaque"}),
					text("Let me search."),
					text("Found it."),
				},
				ToolCalls: []*inferencev1.ToolCall{
					{Id: "toolu_1", Name: "get_weather", ArgumentsJson: `{"city":"Paris"}`},
					{Id: "toolu_2", Name: "now", ArgumentsJson: `{}`},
				},
			},
			FinishReason:         inferencev1.FinishReason_FINISH_REASON_TOOL_CALLS,
			ProviderFinishReason: "tool_use",
		}},
		Usage: &inferencev1.Usage{InputTokens: 115, OutputTokens: 42, TotalTokens: 157, CacheReadInputTokens: 100, CacheCreationInputTokens: 5},
	}
	if !proto.Equal(got, want) {
		t.Fatalf("\n got %s\nwant %s", prototext.Format(got), prototext.Format(want))
	}

	// An OpenAI client of an Anthropic provider reads the same answer.
	var oc openai.ChatCompletion
	if err := json.Unmarshal(openai.EncodeChatResponse(got, "gpt"), &oc); err != nil {
		t.Fatal(err)
	}
	if *oc.Choices[0].Message.Content.Text != "Let me search.Found it." || len(oc.Choices[0].Message.ToolCalls) != 2 ||
		oc.Usage.PromptTokens != 115 || oc.Usage.PromptTokensDetails.CachedTokens != 100 {
		t.Errorf("OpenAI view = %+v", oc)
	}
}

func TestParseResponseRejectsOtherBodies(t *testing.T) {
	for _, body := range []string{`not json`, `{"type":"error","error":{"type":"api_error","message":"x"}}`, `[1]`} {
		if _, err := ParseResponse([]byte(body)); !errors.Is(err, ErrNotMessage) {
			t.Errorf("ParseResponse(%s) = %v, want ErrNotMessage", body, err)
		}
	}
}

func TestParseStopReason(t *testing.T) {
	for s, want := range map[string]inferencev1.FinishReason{
		"end_turn":                      inferencev1.FinishReason_FINISH_REASON_STOP,
		"stop_sequence":                 inferencev1.FinishReason_FINISH_REASON_STOP,
		"pause_turn":                    inferencev1.FinishReason_FINISH_REASON_STOP,
		"max_tokens":                    inferencev1.FinishReason_FINISH_REASON_LENGTH,
		"model_context_window_exceeded": inferencev1.FinishReason_FINISH_REASON_LENGTH,
		"tool_use":                      inferencev1.FinishReason_FINISH_REASON_TOOL_CALLS,
		"refusal":                       inferencev1.FinishReason_FINISH_REASON_CONTENT_FILTER,
		"something_new":                 inferencev1.FinishReason_FINISH_REASON_UNSPECIFIED,
	} {
		if got := ParseStopReason(s); got != want {
			t.Errorf("ParseStopReason(%q) = %v, want %v", s, got, want)
		}
	}
}
