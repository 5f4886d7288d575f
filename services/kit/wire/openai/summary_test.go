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
		`{"id":"esc\u0061ped","model":"m\"odel","choices":[{"index":0,"message":{"role":"assistant","content":"t"},"finish_reason":"st\u006fp"}]}`,
		"{\"id\":\"bad \xff utf8\",\"model\":\"m\",\"choices\":[{\"index\":0,\"message\":{\"content\":\"t\"},\"finish_reason\":null}]}",
		`{"id":"nine","model":"m","created":1,"choices":[{"index":0,"message":{"role":"assistant","content":"c0"},"finish_reason":"stop"},{"index":1,"message":{"role":"assistant","content":"c1"},"finish_reason":"length"},{"index":2,"message":{"role":"assistant","content":"c2"},"finish_reason":"content_filter"},{"index":3,"message":{"role":"assistant","content":"c3"},"finish_reason":"tool_calls"},{"index":4,"message":{"role":"assistant","content":"c4"},"finish_reason":"weird"},{"index":5,"message":{"role":"assistant","content":"c5"},"finish_reason":"stop"},{"index":6,"message":{"role":"assistant","content":"c6"},"finish_reason":"length"},{"index":7,"message":{"role":"assistant","content":"c7"},"finish_reason":"content_filter"},{"index":8,"message":{"role":"assistant","content":"c8"},"finish_reason":"tool_calls"}]}`,
		`{"id":"a","model":"m","choices":[{"index":0,"message":{"content":"plain"},"finish_reason":"stop"},{"index":1,"message":{"content":[{"type":"text","text":"parts"}]},"finish_reason":"stop"}]}`,
		`{"id":"a","model":"m","choices":[{"index":0,"message":{"content":"no finish"}}]}`,
		`{"choices":[]}`,
		`{}`,
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
		`{"id":"c","model":"m","choices":[{"index":0,"delta":{"content":"t0"},"finish_reason":null},{"index":1,"delta":{"content":"t1"},"finish_reason":"stop"},{"index":2,"delta":{"content":"t2"},"finish_reason":"length"},{"index":3,"delta":{"content":"t3"},"finish_reason":null},{"index":4,"delta":{"content":"t4"},"finish_reason":"stop"},{"index":5,"delta":{"content":"t5"},"finish_reason":"length"},{"index":6,"delta":{"content":"t6"},"finish_reason":null},{"index":7,"delta":{"content":"t7"},"finish_reason":"stop"},{"index":8,"delta":{"content":"t8"},"finish_reason":"length"}]}`,
		`{"id":"c\u0031","model":"m","choices":[{"index":0,"delta":{"content":"a\"b"},"finish_reason":"le\u006egth"}]}`,
		`{"id":"c","choices":[{"index":0,"delta":{"content":"plain"}},{"index":1,"delta":{"reasoning":"hm"}}]}`,
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

func BenchmarkParseChunkSummary(b *testing.B) {
	chunks := [][]byte{
		[]byte(`{"id":"chatcmpl-1","object":"chat.completion.chunk","created":17,"model":"gpt-x","choices":[{"index":0,"delta":{"role":"assistant","content":""},"logprobs":null,"finish_reason":null}]}`),
		[]byte(`{"id":"chatcmpl-1","object":"chat.completion.chunk","created":17,"model":"gpt-x","choices":[{"index":0,"delta":{"content":"Hello"},"logprobs":null,"finish_reason":null}]}`),
		[]byte(`{"id":"chatcmpl-1","object":"chat.completion.chunk","created":17,"model":"gpt-x","choices":[{"index":0,"delta":{},"logprobs":null,"finish_reason":"stop"}]}`),
		[]byte(`{"id":"chatcmpl-1","object":"chat.completion.chunk","created":17,"model":"gpt-x","choices":[],"usage":{"prompt_tokens":9,"completion_tokens":9,"total_tokens":18}}`),
	}
	b.ReportAllocs()
	for b.Loop() {
		for _, c := range chunks {
			if _, err := ParseChunkSummary(c); err != nil {
				b.Fatal(err)
			}
		}
	}
}
