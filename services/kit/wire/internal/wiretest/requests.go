// Package wiretest holds test support shared by the wire packages: the
// captured requests of real clients, decoded into the canonical model, that
// every provider-side translator must be able to build from. Call it from a
// wire package's directory (fixtures are found at ../<dialect>/testdata).
package wiretest

import (
	"path/filepath"
	"testing"

	"github.com/tollgate/tollgate/services/kit/wire/internal/capture"

	inferencev1 "github.com/tollgate/tollgate/gen/go/tollgate/inference/v1"
	"github.com/tollgate/tollgate/services/kit/wire/anthropic"
	"github.com/tollgate/tollgate/services/kit/wire/gemini"
	"github.com/tollgate/tollgate/services/kit/wire/openai"
	"github.com/tollgate/tollgate/services/kit/wire/responses"
)

// ClientRequests decodes every captured chat request of every client
// dialect, keyed by its source; requests the gateway would refuse before
// any provider call (CheckTranslatable) are left out.
func ClientRequests(t testing.TB) map[string]*inferencev1.ChatRequest {
	t.Helper()
	out := map[string]*inferencev1.ChatRequest{}
	for _, dir := range []string{"anthropic", "responses", "gemini"} {
		for _, f := range capture.Load(t, filepath.Join("..", dir, "testdata", "fixtures")) {
			var err error
			var r *inferencev1.ChatRequest
			switch {
			case f.Method != "POST":
				continue
			case f.Path == "/v1/messages":
				r, err = anthropic.DecodeRequest(f.Body)
			case f.Path == "/v1/responses":
				r, err = responses.DecodeRequest(f.Body)
			default:
				model, method, ok := gemini.ParseModelPath(f.Path)
				if !ok || (method != gemini.MethodGenerateContent && method != gemini.MethodStreamGenerateContent) {
					continue
				}
				r, err = gemini.DecodeRequest(model, f.Body, method == gemini.MethodStreamGenerateContent)
			}
			if err != nil {
				t.Fatalf("%s: decode: %v", f.Source, err)
			}
			if responses.CheckTranslatable(r) != nil || gemini.CheckTranslatable(r) != nil {
				continue
			}
			out[f.Source] = r
		}
	}
	for name, body := range chatCompletionsBodies {
		r, err := openai.DecodeChatRequest([]byte(body))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		out[name] = r
	}
	return out
}

// chatCompletionsBodies are Chat Completions requests shaped like those of
// opencode and the OpenAI SDKs: a tool round trip with parallel calls.
var chatCompletionsBodies = map[string]string{
	"chat-tool-roundtrip": `{"model":"gpt","stream":true,"stream_options":{"include_usage":true},"messages":[
		{"role":"system","content":"You are opencode."},
		{"role":"user","content":[{"type":"text","text":"read a.txt and b.txt"}]},
		{"role":"assistant","content":"","tool_calls":[
			{"id":"call_a","type":"function","function":{"name":"read","arguments":"{\"filePath\":\"a.txt\"}"}},
			{"id":"call_b","type":"function","function":{"name":"read","arguments":"{\"filePath\":\"b.txt\"}"}}]},
		{"role":"tool","tool_call_id":"call_a","content":"A"},
		{"role":"tool","tool_call_id":"call_b","content":"B"}],
		"tools":[{"type":"function","function":{"name":"read","description":"Read a file","parameters":{"type":"object","properties":{"filePath":{"type":"string"}},"required":["filePath"]}}}],
		"tool_choice":"auto","max_tokens":32000,"temperature":0}`,
	"chat-image": `{"model":"gpt","messages":[{"role":"user","content":[{"type":"text","text":"What is this?"},
		{"type":"image_url","image_url":{"url":"data:image/jpeg;base64,/9j/4AAQ"}}]}]}`,
}
