package openai

import (
	"github.com/tollgate/tollgate/services/kit/wire/internal/jsonx"

	"encoding/json"
	"testing"

	inferencev1 "github.com/tollgate/tollgate/gen/go/tollgate/inference/v1"
)

func TestEncodeChatResponseText(t *testing.T) {
	r := &inferencev1.ChatResponse{
		Id: "chatcmpl-1", Model: "provider-model", Created: 1700000000,
		Choices: []*inferencev1.Choice{{
			Message:      &inferencev1.Message{Role: inferencev1.Role_ROLE_ASSISTANT, Content: []*inferencev1.ContentPart{text("Hi <there> \"you\"\n")}},
			FinishReason: inferencev1.FinishReason_FINISH_REASON_STOP,
		}},
		Usage: &inferencev1.Usage{InputTokens: 10, OutputTokens: 5, CacheReadInputTokens: 4, ReasoningTokens: 2},
	}
	got := string(EncodeChatResponse(r, "my-endpoint"))
	want := `{"id":"chatcmpl-1","object":"chat.completion","created":1700000000,"model":"my-endpoint",` +
		`"choices":[{"index":0,"message":{"role":"assistant","content":"Hi <there> \"you\"\n","refusal":null,"annotations":[]},"logprobs":null,"finish_reason":"stop"}],` +
		`"usage":{"prompt_tokens":10,"completion_tokens":5,"total_tokens":15,"prompt_tokens_details":{"cached_tokens":4,"audio_tokens":0},` +
		`"completion_tokens_details":{"reasoning_tokens":2,"audio_tokens":0,"accepted_prediction_tokens":0,"rejected_prediction_tokens":0}}}`
	if got != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
}

func TestEncodeChatResponseToolCallsOnly(t *testing.T) {
	r := &inferencev1.ChatResponse{
		Id: "x", Created: 1,
		Choices: []*inferencev1.Choice{{
			Message: &inferencev1.Message{Role: inferencev1.Role_ROLE_ASSISTANT, ToolCalls: []*inferencev1.ToolCall{
				{Id: "call_1", Name: "get_weather", ArgumentsJson: `{"city":"Paris"}`},
			}},
			FinishReason: inferencev1.FinishReason_FINISH_REASON_TOOL_CALLS,
		}},
	}
	var w ChatCompletion
	b := EncodeChatResponse(r, "m")
	if err := json.Unmarshal(b, &w); err != nil {
		t.Fatalf("invalid JSON %s: %v", b, err)
	}
	var raw map[string][]map[string]map[string]any
	_ = json.Unmarshal(b, &raw)
	if c, ok := raw["choices"][0]["message"]["content"]; !ok || c != nil {
		t.Errorf("content must be present and null with only tool calls: %s", b)
	}
	tc := w.Choices[0].Message.ToolCalls
	if len(tc) != 1 || tc[0].ID != "call_1" || tc[0].Type != "function" || tc[0].Function.Name != "get_weather" ||
		tc[0].Function.Arguments != `{"city":"Paris"}` || *w.Choices[0].FinishReason != "tool_calls" {
		t.Errorf("tool call encoded wrongly: %s", b)
	}
	if _, ok := raw["usage"]; ok {
		t.Errorf("usage must be omitted when unknown: %s", b)
	}
}

func TestEncodeChunk(t *testing.T) {
	usage := &inferencev1.Usage{InputTokens: 3, OutputTokens: 4, TotalTokens: 7}
	cases := []struct {
		name         string
		chunk        *inferencev1.ChatChunk
		includeUsage bool
		want         string
	}{
		{
			name:  "role",
			chunk: &inferencev1.ChatChunk{Id: "c", Created: 5, Deltas: []*inferencev1.ChoiceDelta{{Role: inferencev1.Role_ROLE_ASSISTANT}}},
			want:  `{"id":"c","object":"chat.completion.chunk","created":5,"model":"m","choices":[{"index":0,"delta":{"role":"assistant","content":""},"logprobs":null,"finish_reason":null}]}`,
		},
		{
			name:         "text with usage requested",
			chunk:        &inferencev1.ChatChunk{Id: "c", Created: 5, Deltas: []*inferencev1.ChoiceDelta{{Text: "Hel\"lo"}}},
			includeUsage: true,
			want:         `{"id":"c","object":"chat.completion.chunk","created":5,"model":"m","choices":[{"index":0,"delta":{"content":"Hel\"lo"},"logprobs":null,"finish_reason":null}],"usage":null}`,
		},
		{
			name:  "finish",
			chunk: &inferencev1.ChatChunk{Id: "c", Created: 5, Deltas: []*inferencev1.ChoiceDelta{{FinishReason: inferencev1.FinishReason_FINISH_REASON_LENGTH}}},
			want:  `{"id":"c","object":"chat.completion.chunk","created":5,"model":"m","choices":[{"index":0,"delta":{},"logprobs":null,"finish_reason":"length"}]}`,
		},
		{
			name: "tool call start and fragment",
			chunk: &inferencev1.ChatChunk{Id: "c", Created: 5, Deltas: []*inferencev1.ChoiceDelta{{
				Role: inferencev1.Role_ROLE_ASSISTANT,
				ToolCalls: []*inferencev1.ToolCallDelta{
					{Index: 0, Id: "call_1", Name: "f", ArgumentsJson: ""},
					{Index: 1, ArgumentsJson: `{"a"`},
				},
			}}},
			want: `{"id":"c","object":"chat.completion.chunk","created":5,"model":"m","choices":[{"index":0,"delta":{"role":"assistant","tool_calls":[` +
				`{"index":0,"id":"call_1","type":"function","function":{"name":"f","arguments":""}},{"index":1,"function":{"arguments":"{\"a\""}}]},"logprobs":null,"finish_reason":null}]}`,
		},
		{
			name:         "usage chunk",
			chunk:        &inferencev1.ChatChunk{Id: "c", Created: 5, Usage: usage},
			includeUsage: true,
			want: `{"id":"c","object":"chat.completion.chunk","created":5,"model":"m","choices":[],"usage":{"prompt_tokens":3,"completion_tokens":4,"total_tokens":7,` +
				`"prompt_tokens_details":{"cached_tokens":0,"audio_tokens":0},"completion_tokens_details":{"reasoning_tokens":0,"audio_tokens":0,"accepted_prediction_tokens":0,"rejected_prediction_tokens":0}}}`,
		},
		{
			name:  "usage chunk not requested",
			chunk: &inferencev1.ChatChunk{Id: "c", Created: 5, Usage: usage},
			want:  ``,
		},
		{
			name:  "stream error",
			chunk: &inferencev1.ChatChunk{Error: &inferencev1.StreamError{Code: "upstream_error", Message: "boom"}},
			want:  `{"error":{"message":"boom","type":"server_error","param":null,"code":"upstream_error"}}`,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := EncodeChunk(tc.chunk, "m", tc.includeUsage)
			if string(got) != tc.want {
				t.Fatalf("got  %s\nwant %s", got, tc.want)
			}
			if got != nil {
				if !json.Valid(got) {
					t.Fatal("invalid JSON")
				}
				if tc.chunk.Error == nil {
					if _, err := ParseChunk(got); err != nil {
						t.Fatalf("our own chunk does not parse: %v", err)
					}
				}
			}
		})
	}
}

func TestAppendStringEscapes(t *testing.T) {
	for _, s := range []string{"", "plain", "quote\" back\\ slash", "ctl \x00\x01\x1f\t\r\n", "bad \xff\xfe utf8", "line\u2028sep\u2029", "emoji 😀 é <&>"} {
		b := jsonx.AppendString(nil, s)
		var back string
		if err := json.Unmarshal(b, &back); err != nil {
			t.Fatalf("%q encoded as invalid JSON %s: %v", s, b, err)
		}
		want, _ := json.Marshal(s)
		var wantBack string
		_ = json.Unmarshal(want, &wantBack)
		if back != wantBack {
			t.Errorf("%q round-trips as %q, encoding/json gives %q", s, back, wantBack)
		}
	}
}
