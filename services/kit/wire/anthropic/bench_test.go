package anthropic

import (
	"encoding/json"
	"os"
	"testing"

	inferencev1 "github.com/tollgate/tollgate/gen/go/tollgate/inference/v1"
)

// A typical SDK request: a system prompt, a short conversation with a tool
// round trip, one tool.
var benchBody = []byte(`{"model":"my-endpoint","max_tokens":1024,` +
	`"system":[{"type":"text","text":"You are a helpful assistant. Answer briefly and cite sources when you can.","cache_control":{"type":"ephemeral"}}],` +
	`"messages":[{"role":"user","content":"What is the weather like in Paris today, and should I bring an umbrella?"},` +
	`{"role":"assistant","content":[{"type":"text","text":"Let me check."},{"type":"tool_use","id":"toolu_abc","name":"get_weather","input":{"city":"Paris"}}]},` +
	`{"role":"user","content":[{"type":"tool_result","tool_use_id":"toolu_abc","content":"{\"temp_c\":14,\"rain_probability\":0.7}"}]},` +
	`{"role":"assistant","content":"Bring an umbrella."},{"role":"user","content":"Thanks! And tomorrow?"}],` +
	`"tools":[{"name":"get_weather","description":"Current weather","input_schema":{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}}],` +
	`"temperature":0.2,"stream":true,"metadata":{"user_id":"u-123"}}`)

// claudeCodeBody is a real Claude Code request (90 KB: 24 tools, a long
// system prompt).
func claudeCodeBody(b *testing.B) []byte {
	raw, err := os.ReadFile("testdata/fixtures/claude-code_print-mode_0002-POST-_v1_messages.json")
	if err != nil {
		b.Fatal(err)
	}
	var f fixture
	if err := json.Unmarshal(raw, &f); err != nil {
		b.Fatal(err)
	}
	return f.Body
}

func BenchmarkDecodeRequest(b *testing.B) {
	b.ReportAllocs()
	b.SetBytes(int64(len(benchBody)))
	for b.Loop() {
		if _, err := DecodeRequest(benchBody); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecodeRequestClaudeCode(b *testing.B) {
	body := claudeCodeBody(b)
	b.ReportAllocs()
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		if _, err := DecodeRequest(body); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkRewriteForUpstream(b *testing.B) {
	body := claudeCodeBody(b)
	b.ReportAllocs()
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		if _, err := RewriteForUpstream(body, "claude-sonnet-4-5-upstream"); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkBuildRequest(b *testing.B) {
	r, err := DecodeRequest(benchBody)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := BuildRequest(r, "claude-sonnet-4-5"); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkStreamEncodeChunk(b *testing.B) {
	c := &inferencev1.ChatChunk{Id: "chatcmpl-123", Deltas: []*inferencev1.ChoiceDelta{{Text: "Hello, this is one streamed token group."}}}
	e := NewStreamEncoder("my-endpoint")
	e.Encode(c) // message_start and the text block are behind us
	b.ReportAllocs()
	for b.Loop() {
		if len(e.Encode(c)) != 1 {
			b.Fatal("want one frame")
		}
	}
}

func BenchmarkStreamParse(b *testing.B) {
	data := []byte(`{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hello, this is one streamed token group."}}`)
	p := NewStreamParser()
	if _, err := p.Parse("content_block_start", []byte(`{"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}`)); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := p.Parse("content_block_delta", data); err != nil {
			b.Fatal(err)
		}
	}
}
