package router

import (
	"testing"

	inferencev1 "github.com/tollgate/tollgate/gen/go/tollgate/inference/v1"
)

// BenchmarkAnthropicStreamChunk renders one translated text delta for an
// Anthropic client, and one forwarded Anthropic frame.
func BenchmarkAnthropicStreamChunk(b *testing.B) {
	text := &inferencev1.ChatChunk{Deltas: []*inferencev1.ChoiceDelta{{Text: "hello there"}}}
	raw := &inferencev1.ChatChunk{RawDialect: inferencev1.Dialect_DIALECT_ANTHROPIC_MESSAGES, RawEvent: "content_block_delta",
		Raw: []byte(`{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"hello there"}}`)}
	b.Run("translated", func(b *testing.B) {
		r := anthropicDoor{}.newStream(nil, "m")
		r.chunk(text)
		b.ReportAllocs()
		for b.Loop() {
			r.chunk(text)
		}
	})
	b.Run("passthrough", func(b *testing.B) {
		r := anthropicDoor{}.newStream(nil, "m")
		b.ReportAllocs()
		for b.Loop() {
			r.chunk(raw)
		}
	})
}

// BenchmarkResponsesStreamChunk renders one translated text delta for a
// Responses client.
func BenchmarkResponsesStreamChunk(b *testing.B) {
	text := &inferencev1.ChatChunk{Deltas: []*inferencev1.ChoiceDelta{{Text: "hello there"}}}
	r := responsesDoor{}.newStream(nil, "m")
	r.chunk(text)
	b.ReportAllocs()
	for b.Loop() {
		r.chunk(text)
	}
}
