package bedrock

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	inferencev1 "github.com/tollgate/tollgate/gen/go/tollgate/inference/v1"
	"github.com/tollgate/tollgate/services/kit/errs"
	"github.com/tollgate/tollgate/services/kit/wire/anthropic"
	"github.com/tollgate/tollgate/services/kit/wire/gemini"
	"github.com/tollgate/tollgate/services/kit/wire/openai"
	"github.com/tollgate/tollgate/services/kit/wire/responses"
)

// capturedRequest is one client request captured from a real client; the
// other wire packages keep them in their testdata/fixtures.
type capturedRequest struct {
	Source string          `json:"source"`
	Method string          `json:"method"`
	Path   string          `json:"path"`
	Body   json.RawMessage `json:"bodyJson"`
}

// clientRequests decodes every captured chat request of every client
// dialect, keyed by its source; requests the gateway would refuse before
// any provider call (CheckTranslatable) are left out.
func clientRequests(t *testing.T) map[string]*inferencev1.ChatRequest {
	t.Helper()
	out := map[string]*inferencev1.ChatRequest{}
	for _, dir := range []string{"anthropic", "responses", "gemini"} {
		files, err := filepath.Glob(filepath.Join("..", dir, "testdata", "fixtures", "*.json"))
		if err != nil || len(files) == 0 {
			t.Fatalf("no %s fixtures: %v", dir, err)
		}
		for _, name := range files {
			raw, err := os.ReadFile(name)
			if err != nil {
				t.Fatal(err)
			}
			var f capturedRequest
			if err := json.Unmarshal(raw, &f); err != nil {
				t.Fatalf("%s: %v", name, err)
			}
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

// TestFixtureRequestsBuild: every captured client request translates to a
// Converse body that keeps Converse's rules (alternating turns starting
// with the user, no blank text, every tool call answered in the next turn,
// tools defined whenever tool blocks appear), for a Claude model and for
// another one.
func TestFixtureRequestsBuild(t *testing.T) {
	reqs := clientRequests(t)
	if len(reqs) < 20 {
		t.Fatalf("only %d client requests", len(reqs))
	}
	for name, r := range reqs {
		t.Run(name, func(t *testing.T) {
			for _, model := range []string{"us.anthropic.claude-sonnet-4-20250514-v1:0", "amazon.nova-pro-v1:0"} {
				b, err := BuildRequest(r, model)
				if err != nil {
					var e *errs.Error
					if !errors.As(err, &e) || e.Kind != errs.KindInvalidArgument || e.Param == "" {
						t.Fatalf("%s: %v is not an invalid-argument error naming the field", model, err)
					}
					t.Logf("%s: refused: %v", model, err)
					continue
				}
				checkConverseRules(t, b)
			}
		})
	}
}

func checkConverseRules(t *testing.T, body []byte) {
	t.Helper()
	var w ConverseRequest
	if err := json.Unmarshal(body, &w); err != nil {
		t.Fatalf("the body does not read back: %v", err)
	}
	if len(w.Messages) == 0 || w.Messages[0].Role != "user" {
		t.Fatalf("the conversation must start with a user turn: %s", body)
	}
	toolBlocks := false
	for i, m := range w.Messages {
		if i > 0 && m.Role == w.Messages[i-1].Role {
			t.Fatalf("turns %d and %d are both %s", i-1, i, m.Role)
		}
		if len(m.Content) == 0 {
			t.Fatalf("turn %d is empty", i)
		}
		var calls []string
		for _, b := range m.Content {
			if b.Text != nil && strings.TrimSpace(*b.Text) == "" {
				t.Fatalf("turn %d has a blank text block", i)
			}
			if b.ToolUse != nil {
				calls = append(calls, b.ToolUse.ToolUseID)
				if !json.Valid(b.ToolUse.Input) || b.ToolUse.Input[0] != '{' {
					t.Fatalf("turn %d: tool input %s is not an object", i, b.ToolUse.Input)
				}
			}
			toolBlocks = toolBlocks || b.ToolUse != nil || b.ToolResult != nil
		}
		if len(calls) > 0 && i+1 < len(w.Messages) {
			answered := map[string]bool{}
			for _, b := range w.Messages[i+1].Content {
				if b.ToolResult != nil {
					answered[b.ToolResult.ToolUseID] = true
				}
			}
			for _, id := range calls {
				if !answered[id] {
					t.Fatalf("turn %d: call %s is not answered in the next turn", i, id)
				}
			}
		}
	}
	if toolBlocks && (w.ToolConfig == nil || len(w.ToolConfig.Tools) == 0) {
		t.Fatal("tool blocks without tool definitions")
	}
}
