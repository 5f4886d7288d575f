package openai

import (
	"testing"

	inferencev1 "github.com/tollgate/tollgate/gen/go/tollgate/inference/v1"
)

// A typical chat request: a system prompt, a short conversation, a tool.
var benchChatBody = []byte(`{"model":"my-endpoint","messages":[` +
	`{"role":"system","content":"You are a helpful assistant. Answer briefly and cite sources when you can."},` +
	`{"role":"user","content":"What is the weather like in Paris today, and should I bring an umbrella?"},` +
	`{"role":"assistant","content":null,"tool_calls":[{"id":"call_abc","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Paris\"}"}}]},` +
	`{"role":"tool","tool_call_id":"call_abc","content":"{\"temp_c\":14,\"rain_probability\":0.7}"},` +
	`{"role":"user","content":"Thanks! And tomorrow?"}],` +
	`"tools":[{"type":"function","function":{"name":"get_weather","description":"Current weather","parameters":{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}}}],` +
	`"temperature":0.2,"max_tokens":256,"stream":true,"stream_options":{"include_usage":false},"client_request_id":"req-123","usage_context":{"team":"search"}}`)

func BenchmarkDecodeChatRequest(b *testing.B) {
	b.ReportAllocs()
	b.SetBytes(int64(len(benchChatBody)))
	for b.Loop() {
		if _, _, err := DecodeChatRequestExtras(benchChatBody); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkRewriteForUpstream(b *testing.B) {
	b.ReportAllocs()
	b.SetBytes(int64(len(benchChatBody)))
	for b.Loop() {
		if _, err := RewriteForUpstream(benchChatBody, "gpt-4o-mini", true); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkEncodeChunk(b *testing.B) {
	c := &inferencev1.ChatChunk{Id: "chatcmpl-123", Created: 1700000000, Deltas: []*inferencev1.ChoiceDelta{{Text: "Hello, this is one streamed token group."}}}
	b.ReportAllocs()
	for b.Loop() {
		if EncodeChunk(c, "my-endpoint", true) == nil {
			b.Fatal("nil chunk")
		}
	}
}

func BenchmarkParseChunk(b *testing.B) {
	data := []byte(`{"id":"chatcmpl-123","object":"chat.completion.chunk","created":1700000000,"model":"gpt-4o-mini","choices":[{"index":0,"delta":{"content":"Hello, this is one streamed token group."},"logprobs":null,"finish_reason":null}],"usage":null}`)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseChunk(data); err != nil {
			b.Fatal(err)
		}
	}
}
