package openai

import (
	"testing"

	"google.golang.org/protobuf/proto"
)

// The summary must agree with the full parse wherever it answers itself.
func TestParseChatSummaryAgreesWithFullParse(t *testing.T) {
	bodies := []string{
		`{"id":"chatcmpl-1","object":"chat.completion","created":17,"model":"gpt-x","choices":[{"index":0,"message":{"role":"assistant","content":"hé \"llo\"\n"},"logprobs":null,"finish_reason":"stop"}],"usage":{"prompt_tokens":3,"completion_tokens":2,"total_tokens":5,"prompt_tokens_details":{"cached_tokens":1},"completion_tokens_details":{"reasoning_tokens":1}}}`,
		`{"id":"a","model":"m","choices":[{"index":0,"message":{"role":"assistant","content":null},"finish_reason":"length"},{"index":1,"message":{"role":"assistant","content":"b"},"finish_reason":"stop"}]}`,
		`{"id":"a","model":"m","choices":[{"index":0,"message":{"role":"assistant","content":null,"tool_calls":[{"id":"c1","type":"function","function":{"name":"f","arguments":"{}"}}]},"finish_reason":"tool_calls"}],"usage":{"prompt_tokens":1,"completion_tokens":1}}`,
		`{"id":"a","model":"m","choices":[{"index":0,"message":{"role":"assistant","content":[{"type":"text","text":"parts"}]},"finish_reason":"stop"}]}`,
		`{"id":"a","model":"m","choices":[{"index":0,"message":{"role":"assistant","content":"x","reasoning_content":"think"},"finish_reason":"stop"}]}`,
	}
	for _, b := range bodies {
		full, err := ParseChatResponse([]byte(b))
		if err != nil {
			t.Fatalf("full parse: %v", err)
		}
		sum, err := ParseChatSummary([]byte(b))
		if err != nil {
			t.Fatalf("summary: %v", err)
		}
		if !proto.Equal(full, sum) {
			t.Errorf("summary differs for %s:\n full %v\n summ %v", b, full, sum)
		}
	}
	if _, err := ParseChatSummary([]byte(`{"choices":`)); err == nil {
		t.Error("malformed body must fail")
	}
}

func BenchmarkParseChatSummary(b *testing.B) {
	body := []byte(`{"id":"chatcmpl-1","object":"chat.completion","created":17,"model":"gpt-x","choices":[{"index":0,"message":{"role":"assistant","content":"Hello! How can I help you today?","refusal":null,"annotations":[]},"logprobs":null,"finish_reason":"stop"}],"usage":{"prompt_tokens":9,"completion_tokens":9,"total_tokens":18,"prompt_tokens_details":{"cached_tokens":0,"audio_tokens":0},"completion_tokens_details":{"reasoning_tokens":0,"audio_tokens":0,"accepted_prediction_tokens":0,"rejected_prediction_tokens":0}},"service_tier":"default","system_fingerprint":null}`)
	b.Run("summary", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_, _ = ParseChatSummary(body)
		}
	})
	b.Run("full", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_, _ = ParseChatResponse(body)
		}
	})
}

func TestParseChunkSummaryAgreesWithFullParse(t *testing.T) {
	chunks := []string{
		`{"id":"c","object":"chat.completion.chunk","created":3,"model":"m","choices":[{"index":0,"delta":{"role":"assistant","content":""},"logprobs":null,"finish_reason":null}]}`,
		`{"id":"c","object":"chat.completion.chunk","created":3,"model":"m","choices":[{"index":0,"delta":{"content":"Hel\u00e9"},"finish_reason":null}],"usage":null}`,
		`{"id":"c","object":"chat.completion.chunk","created":3,"model":"m","choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}`,
		`{"id":"c","object":"chat.completion.chunk","created":3,"model":"m","choices":[],"usage":{"prompt_tokens":4,"completion_tokens":5,"total_tokens":9}}`,
		`{"id":"c","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"id":"t","type":"function","function":{"name":"f","arguments":"{\""}}]}}]}`,
		`{"id":"c","choices":[{"index":0,"delta":{"reasoning_content":"hm"}}]}`,
		`{"error":{"message":"overloaded","type":"server_error","code":"overloaded"}}`,
	}
	for _, ch := range chunks {
		full, err := ParseChunk([]byte(ch))
		if err != nil {
			t.Fatalf("full parse: %v", err)
		}
		sum, err := ParseChunkSummary([]byte(ch))
		if err != nil {
			t.Fatalf("summary: %v", err)
		}
		if !proto.Equal(full, sum) {
			t.Errorf("summary differs for %s:\n full %v\n summ %v", ch, full, sum)
		}
	}
}
