package responses

import (
	"testing"

	inferencev1 "github.com/tollgate/tollgate/gen/go/tollgate/inference/v1"
)

// codexBody is a real Codex turn: about 40 KB, mostly tool schemas and
// instructions, with a tool call and its output.
func codexBody(b *testing.B) []byte {
	b.Helper()
	for _, f := range loadFixtures(b) {
		if f.Source == "codex/tool-roundtrip-exec_command/0003-POST-_v1_responses.json" {
			return f.Body
		}
	}
	b.Fatal("codex fixture missing")
	return nil
}

var smallBody = []byte(`{"model":"gpt-5","instructions":"You are a helpful assistant. Answer briefly.",` +
	`"input":[{"role":"user","content":"What is the weather like in Paris today?"},` +
	`{"type":"function_call","call_id":"call_abc","name":"get_weather","arguments":"{\"city\":\"Paris\"}"},` +
	`{"type":"function_call_output","call_id":"call_abc","output":"{\"temp_c\":14}"},` +
	`{"role":"user","content":"And tomorrow?"}],` +
	`"tools":[{"type":"function","name":"get_weather","description":"Current weather","parameters":{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]},"strict":false}],` +
	`"temperature":0.2,"max_output_tokens":256,"stream":true,"store":false}`)

func BenchmarkDecodeRequest(b *testing.B) {
	for _, bc := range []struct {
		name string
		body []byte
	}{{"small", smallBody}, {"codex", codexBody(b)}} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(bc.body)))
			for b.Loop() {
				if _, err := DecodeRequest(bc.body); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkRewriteForUpstream(b *testing.B) {
	body := codexBody(b)
	b.ReportAllocs()
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		if _, err := RewriteForUpstream(body, "gpt-5.1-codex"); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkStreamEncodeText is the per-token cost: one text delta into an
// open message item.
func BenchmarkStreamEncodeText(b *testing.B) {
	enc := NewStreamEncoder("my-endpoint")
	c := &inferencev1.ChatChunk{Id: "chatcmpl-123", Deltas: []*inferencev1.ChoiceDelta{{Text: "Hello, this is one streamed token group."}}}
	enc.Encode(c)
	b.ReportAllocs()
	for b.Loop() {
		if len(enc.Encode(c)) != 1 {
			b.Fatal("no frame")
		}
	}
}

func BenchmarkStreamParseText(b *testing.B) {
	p := NewStreamParser()
	data := []byte(`{"type":"response.output_text.delta","sequence_number":12,"item_id":"msg_68fa362162c588fe614b11a1","output_index":0,"content_index":0,"delta":"Hello, this is one streamed token group.","logprobs":[]}`)
	b.ReportAllocs()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := p.Parse("response.output_text.delta", data); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkBuildRequest(b *testing.B) {
	r, err := DecodeRequest(codexBody(b))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := BuildRequest(r, "gpt-5"); err != nil {
			b.Fatal(err)
		}
	}
}
