package anthropic

import (
	"errors"
	"strings"
	"testing"

	"google.golang.org/protobuf/encoding/prototext"
	"google.golang.org/protobuf/proto"

	inferencev1 "github.com/tollgate/tollgate/gen/go/tollgate/inference/v1"
	"github.com/tollgate/tollgate/services/kit/errs"
)

func ptr[T any](v T) *T { return &v }

func text(s string) *inferencev1.ContentPart { return textPart(s) }

func cachedText(s string) *inferencev1.ContentPart {
	p := textPart(s)
	p.CacheControlJson = `{"type": "ephemeral"}`
	return p
}

func reasoning(r *inferencev1.ReasoningPart) *inferencev1.ContentPart {
	return &inferencev1.ContentPart{Part: &inferencev1.ContentPart_Reasoning{Reasoning: r}}
}

func TestDecodeRequestFull(t *testing.T) {
	body := []byte(`{
	  "model": "claude-sonnet-4-5",
	  "max_tokens": 1024,
	  "system": [{"type": "text", "text": "be brief"}, {"type": "text", "text": "cite", "cache_control": {"type": "ephemeral"}}],
	  "messages": [
	    {"role": "user", "content": [
	      {"type": "text", "text": "what is this?", "cache_control": {"type": "ephemeral"}},
	      {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": "iVBORw0K"}},
	      {"type": "image", "source": {"type": "url", "url": "https://example.com/a.jpg"}},
	      {"type": "document", "title": "a.pdf", "source": {"type": "base64", "media_type": "application/pdf", "data": "JVBE"}},
	      {"type": "document", "source": {"type": "text", "media_type": "text/plain", "data": "notes"}},
	      {"type": "document", "source": {"type": "content", "content": [{"type": "text", "text": "x"}]}},
	      {"type": "search_result", "source": "s", "title": "t", "content": []}
	    ]},
	    {"role": "assistant", "content": [
	      {"type": "thinking", "thinking": "let me look", "signature": "sig=="},
	      {"type": "redacted_thinking", "data": "opaque"},
	      {"type": "text", "text": "checking"},
	      {"type": "tool_use", "id": "toolu_1", "name": "get_weather", "input": {"city": "Paris"}},
	      {"type": "server_tool_use", "id": "srvtoolu_1", "name": "web_search", "input": {"query": "q"}}
	    ]},
	    {"role": "user", "content": [
	      {"type": "tool_result", "tool_use_id": "toolu_1", "content": "sunny"},
	      {"type": "tool_result", "tool_use_id": "toolu_2", "is_error": true, "content": [{"type": "text", "text": "boom"}, {"type": "image", "source": {"type": "url", "url": "https://example.com/b.png"}}]},
	      {"type": "text", "text": "thanks"}
	    ]},
	    {"role": "system", "content": "mid-conversation note"},
	    {"role": "assistant", "content": "ok"}
	  ],
	  "tools": [
	    {"name": "get_weather", "description": "weather", "input_schema": {"type": "object"}, "cache_control": {"type": "ephemeral"}},
	    {"type": "custom", "name": "lookup", "input_schema": {"type": "object", "properties": {}}, "strict": true},
	    {"type": "web_search_20250305", "name": "web_search", "max_uses": 3}
	  ],
	  "tool_choice": {"type": "tool", "name": "get_weather", "disable_parallel_tool_use": true},
	  "temperature": 0.5, "top_p": 0.9, "top_k": 40, "stop_sequences": ["END"],
	  "stream": true,
	  "metadata": {"user_id": "u-1"},
	  "thinking": {"type": "enabled", "budget_tokens": 2048},
	  "output_config": {"effort": "max", "format": {"type": "json_schema", "schema": {"type": "object"}}},
	  "context_management": {"edits": [{"type": "clear_thinking_20251015", "keep": "all"}]},
	  "some_new_field": [1, {"deep": true}]
	}`)
	got, err := DecodeRequest(body)
	if err != nil {
		t.Fatalf("decode: %v", err)
	}
	toolResult := func(tr *inferencev1.ToolResult) *inferencev1.ContentPart {
		return &inferencev1.ContentPart{Part: &inferencev1.ContentPart_ToolResult{ToolResult: tr}}
	}
	want := &inferencev1.ChatRequest{
		Model: "claude-sonnet-4-5",
		Messages: []*inferencev1.Message{
			{Role: inferencev1.Role_ROLE_SYSTEM, Content: []*inferencev1.ContentPart{text("be brief"), cachedText("cite")}},
			{Role: inferencev1.Role_ROLE_USER, Content: []*inferencev1.ContentPart{
				cachedText("what is this?"),
				{Part: &inferencev1.ContentPart_Image{Image: &inferencev1.Image{Url: "data:image/png;base64,iVBORw0K", MediaType: "image/png"}}},
				{Part: &inferencev1.ContentPart_Image{Image: &inferencev1.Image{Url: "https://example.com/a.jpg"}}},
				{Part: &inferencev1.ContentPart_File{File: &inferencev1.File{Filename: "a.pdf", MediaType: "application/pdf", Data: []byte("%PD")}}},
				{Part: &inferencev1.ContentPart_File{File: &inferencev1.File{MediaType: "text/plain", Data: []byte("notes")}}},
			}},
			{Role: inferencev1.Role_ROLE_ASSISTANT,
				Content: []*inferencev1.ContentPart{
					reasoning(&inferencev1.ReasoningPart{Text: "let me look", Signature: "sig=="}),
					reasoning(&inferencev1.ReasoningPart{EncryptedContent: "opaque"}),
					text("checking"),
				},
				ToolCalls: []*inferencev1.ToolCall{{Id: "toolu_1", Name: "get_weather", ArgumentsJson: `{"city": "Paris"}`}},
			},
			{Role: inferencev1.Role_ROLE_USER, Content: []*inferencev1.ContentPart{
				toolResult(&inferencev1.ToolResult{ToolCallId: "toolu_1", Content: []*inferencev1.ContentPart{text("sunny")}}),
				toolResult(&inferencev1.ToolResult{ToolCallId: "toolu_2", IsError: true, Content: []*inferencev1.ContentPart{
					text("boom"),
					{Part: &inferencev1.ContentPart_Image{Image: &inferencev1.Image{Url: "https://example.com/b.png"}}},
				}}),
				text("thanks"),
			}},
			{Role: inferencev1.Role_ROLE_SYSTEM, Content: []*inferencev1.ContentPart{text("mid-conversation note")}},
			{Role: inferencev1.Role_ROLE_ASSISTANT, Content: []*inferencev1.ContentPart{text("ok")}},
		},
		Tools: []*inferencev1.Tool{
			{Type: "function", Name: "get_weather", Description: "weather", ParametersJson: `{"type": "object"}`},
			{Type: "function", Name: "lookup", ParametersJson: `{"type": "object", "properties": {}}`, Strict: true},
			{Type: "web_search_20250305", Name: "web_search", RawJson: `{"type": "web_search_20250305", "name": "web_search", "max_uses": 3}`},
		},
		ToolChoice: &inferencev1.ToolChoice{Mode: inferencev1.ToolChoiceMode_TOOL_CHOICE_MODE_FUNCTION, FunctionName: "get_weather"},
		Sampling: &inferencev1.Sampling{
			Temperature: ptr(0.5), TopP: ptr(0.9), TopK: ptr(int32(40)), MaxTokens: ptr(int32(1024)), Stop: []string{"END"},
		},
		Stream:            true,
		IncludeUsage:      true,
		ParallelToolCalls: ptr(false),
		User:              "u-1",
		Reasoning:         &inferencev1.Reasoning{Enabled: true, BudgetTokens: 2048, Effort: "high"},
		ResponseFormat:    &inferencev1.ResponseFormat{Type: "json_schema", Name: "output", SchemaJson: `{"type": "object"}`, Strict: true},
		Source: &inferencev1.Source{
			Dialect:      inferencev1.Dialect_DIALECT_ANTHROPIC_MESSAGES,
			OriginalBody: body,
			ClientModel:  "claude-sonnet-4-5",
		},
	}
	if !proto.Equal(got, want) {
		t.Fatalf("decoded request differs\n got: %s\nwant: %s", prototext.Format(got), prototext.Format(want))
	}
}

func TestDecodeRequestVariants(t *testing.T) {
	cases := []struct {
		name  string
		body  string
		check func(t *testing.T, r *inferencev1.ChatRequest)
	}{
		{
			name: "minimal leaves optional parts unset",
			body: `{"model":"m","max_tokens":1,"messages":[{"role":"user","content":"hi"}]}`,
			check: func(t *testing.T, r *inferencev1.ChatRequest) {
				if len(r.GetMessages()) != 1 || r.GetStream() || r.GetReasoning() != nil || r.GetToolChoice() != nil || r.GetSampling().GetMaxTokens() != 1 {
					t.Errorf("got %v", r)
				}
			},
		},
		{
			name: "string system prompt and nulls",
			body: `{"model":"m","system":"sys","messages":[{"role":"user","content":"hi"}],"temperature":null,"tools":null,"stream":null,"metadata":{"user_id":null}}`,
			check: func(t *testing.T, r *inferencev1.ChatRequest) {
				if r.GetMessages()[0].GetRole() != inferencev1.Role_ROLE_SYSTEM || r.GetMessages()[0].GetContent()[0].GetText() != "sys" ||
					r.GetSampling() != nil || r.GetUser() != "" {
					t.Errorf("got %v", r)
				}
			},
		},
		{
			name: "empty system prompt adds no message",
			body: `{"model":"m","system":"","messages":[{"role":"user","content":"hi"}]}`,
			check: func(t *testing.T, r *inferencev1.ChatRequest) {
				if len(r.GetMessages()) != 1 {
					t.Errorf("got %v", r.GetMessages())
				}
			},
		},
		{
			name: "adaptive thinking with effort, like Claude Code",
			body: `{"model":"m","messages":[{"role":"user","content":"hi"}],"thinking":{"type":"adaptive"},"output_config":{"effort":"medium"}}`,
			check: func(t *testing.T, r *inferencev1.ChatRequest) {
				if !proto.Equal(r.GetReasoning(), &inferencev1.Reasoning{Enabled: true, Effort: "medium"}) {
					t.Errorf("reasoning = %v", r.GetReasoning())
				}
			},
		},
		{
			name: "thinking disabled",
			body: `{"model":"m","messages":[{"role":"user","content":"hi"}],"thinking":{"type":"disabled"}}`,
			check: func(t *testing.T, r *inferencev1.ChatRequest) {
				if r.GetReasoning() == nil || r.GetReasoning().GetEnabled() {
					t.Errorf("reasoning = %v", r.GetReasoning())
				}
			},
		},
		{
			name: "tool choices",
			body: `{"model":"m","messages":[{"role":"user","content":"hi"}],"tool_choice":{"type":"any"}}`,
			check: func(t *testing.T, r *inferencev1.ChatRequest) {
				if r.GetToolChoice().GetMode() != inferencev1.ToolChoiceMode_TOOL_CHOICE_MODE_REQUIRED || r.ParallelToolCalls != nil {
					t.Errorf("tool choice = %v", r.GetToolChoice())
				}
			},
		},
		{
			name: "beta output_format",
			body: `{"model":"m","messages":[{"role":"user","content":"hi"}],"output_format":{"type":"json_schema","schema":{"type":"object"}}}`,
			check: func(t *testing.T, r *inferencev1.ChatRequest) {
				if r.GetResponseFormat().GetSchemaJson() != `{"type":"object"}` {
					t.Errorf("response format = %v", r.GetResponseFormat())
				}
			},
		},
		{
			name: "tool_use without input and file sources",
			body: `{"model":"m","messages":[{"role":"assistant","content":[{"type":"tool_use","id":"t","name":"f"}]},` +
				`{"role":"user","content":[{"type":"image","source":{"type":"file","file_id":"file_1"}},{"type":"document","source":{"type":"url","url":"https://x/d.pdf"}}]}]}`,
			check: func(t *testing.T, r *inferencev1.ChatRequest) {
				if r.GetMessages()[0].GetToolCalls()[0].GetArgumentsJson() != "{}" ||
					r.GetMessages()[1].GetContent()[0].GetFile().GetFileId() != "file_1" ||
					r.GetMessages()[1].GetContent()[1].GetFile().GetUrl() != "https://x/d.pdf" {
					t.Errorf("got %v", r.GetMessages())
				}
			},
		},
		{
			name: "escaped keys and unicode",
			body: `{"mod\u0065l":"m","messages":[{"role":"user","content":"caf\u00e9 \ud83d\ude00"}]}`,
			check: func(t *testing.T, r *inferencev1.ChatRequest) {
				if r.GetModel() != "m" || r.GetMessages()[0].GetContent()[0].GetText() != "café 😀" {
					t.Errorf("got %v", r)
				}
			},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r, err := DecodeRequest([]byte(c.body))
			if err != nil {
				t.Fatalf("decode: %v", err)
			}
			c.check(t, r)
		})
	}
}

func TestDecodeCountTokensRequestIgnoresStreamAndMaxTokens(t *testing.T) {
	r, err := DecodeCountTokensRequest([]byte(`{"model":"m","messages":[{"role":"user","content":"hi"}],"stream":"x","max_tokens":"y"}`))
	if err != nil {
		t.Fatal(err)
	}
	if r.GetStream() || r.GetSampling() != nil {
		t.Errorf("got %v", r)
	}
}

func TestDecodeRequestErrors(t *testing.T) {
	cases := []struct {
		body, param, msg string
	}{
		{`{"model":`, "", "invalid JSON"},
		{`not json`, "", "must be a JSON object"},
		{`[]`, "", "must be a JSON object"},
		{`{"model":"m","messages":[]} x`, "", "unexpected data"},
		{`{"messages":[{"role":"user","content":"hi"}]}`, "model", "model is required"},
		{`{"model":"","messages":[{"role":"user","content":"hi"}]}`, "model", "must not be empty"},
		{`{"model":"m"}`, "messages", "messages is required"},
		{`{"model":"m","messages":[]}`, "messages", "at least one message"},
		{`{"model":"m","messages":{}}`, "messages", "must be an array"},
		{`{"model":"m","messages":[{"role":"tool","content":"x"}]}`, "messages[0].role", "must be user, assistant or system"},
		{`{"model":"m","messages":[{"role":"user"}]}`, "messages[0].content", "is required"},
		{`{"model":"m","messages":[{"role":"user","content":5}]}`, "messages[0].content", "a string or an array"},
		{`{"model":"m","messages":[{"role":"user","content":[{"text":"x"}]}]}`, "messages[0].content[0].type", "is required"},
		{`{"model":"m","messages":[{"role":"user","content":[{"type":"text"}]}]}`, "messages[0].content[0].text", "is required"},
		{`{"model":"m","messages":[{"role":"user","content":[{"type":"image","source":{"type":"base64","data":"x"}}]}]}`, "messages[0].content[0].source.media_type", "is required"},
		{`{"model":"m","messages":[{"role":"user","content":[{"type":"image","source":{"type":"ftp"}}]}]}`, "messages[0].content[0].source.type", "must be base64"},
		{`{"model":"m","messages":[{"role":"user","content":[{"type":"document","source":{"type":"base64","media_type":"application/pdf","data":"!!"}}]}]}`, "messages[0].content[0].source.data", "must be base64"},
		{`{"model":"m","messages":[{"role":"user","content":[{"type":"tool_use","id":"t","name":"f","input":{}}]}]}`, "messages[0].content[0].type", "only allowed in assistant"},
		{`{"model":"m","messages":[{"role":"assistant","content":[{"type":"tool_result","tool_use_id":"t"}]}]}`, "messages[0].content[0].type", "only allowed in user"},
		{`{"model":"m","messages":[{"role":"assistant","content":[{"type":"tool_use","id":"t","name":"f","input":[1]}]}]}`, "messages[0].content[0].input", "must be an object"},
		{`{"model":"m","messages":[{"role":"user","content":[{"type":"tool_result"}]}]}`, "messages[0].content[0].tool_use_id", "is required"},
		{`{"model":"m","messages":[{"role":"user","content":[{"type":"tool_result","tool_use_id":"t","content":[{"type":"tool_result","tool_use_id":"u"}]}]}]}`, "messages[0].content[0].content[0].type", "cannot be nested"},
		{`{"model":"m","messages":[{"role":"assistant","content":[{"type":"thinking","signature":"s"}]}]}`, "messages[0].content[0].thinking", "is required"},
		{`{"model":"m","messages":[{"role":"user","content":"x"}],"system":[{"type":"image"}]}`, "system[0].type", "must be text"},
		{`{"model":"m","messages":[{"role":"user","content":"x"}],"system":5}`, "system", "a string or an array of text blocks"},
		{`{"model":"m","messages":[{"role":"user","content":"x"}],"tools":[{"description":"d"}]}`, "tools[0].name", "is required"},
		{`{"model":"m","messages":[{"role":"user","content":"x"}],"tools":[{"name":"f"}]}`, "tools[0].input_schema", "is required"},
		{`{"model":"m","messages":[{"role":"user","content":"x"}],"tools":[{"name":"f","input_schema":"s"}]}`, "tools[0].input_schema", "must be an object"},
		{`{"model":"m","messages":[{"role":"user","content":"x"}],"tool_choice":"auto"}`, "tool_choice", "must be an object"},
		{`{"model":"m","messages":[{"role":"user","content":"x"}],"tool_choice":{"type":"tool"}}`, "tool_choice.name", "is required"},
		{`{"model":"m","messages":[{"role":"user","content":"x"}],"tool_choice":{"type":"required"}}`, "tool_choice.type", "must be auto, any, tool or none"},
		{`{"model":"m","messages":[{"role":"user","content":"x"}],"max_tokens":0}`, "max_tokens", "at least 1"},
		{`{"model":"m","messages":[{"role":"user","content":"x"}],"max_tokens":1.5}`, "max_tokens", "must be an integer"},
		{`{"model":"m","messages":[{"role":"user","content":"x"}],"temperature":"hot"}`, "temperature", "must be a number"},
		{`{"model":"m","messages":[{"role":"user","content":"x"}],"stop_sequences":"END"}`, "stop_sequences", "must be an array"},
		{`{"model":"m","messages":[{"role":"user","content":"x"}],"stream":"yes"}`, "stream", "must be a boolean"},
		{`{"model":"m","messages":[{"role":"user","content":"x"}],"metadata":{"user_id":5}}`, "metadata.user_id", "must be a string"},
		{`{"model":"m","messages":[{"role":"user","content":"x"}],"thinking":{"type":"enabled"}}`, "thinking.budget_tokens", "is required"},
		{`{"model":"m","messages":[{"role":"user","content":"x"}],"thinking":{"type":"on"}}`, "thinking.type", "must be enabled, adaptive or disabled"},
		{`{"model":"m","messages":[{"role":"user","content":"x"}],"output_config":{"effort":"extreme"}}`, "output_config.effort", "must be low"},
		{`{"model":"m","messages":[{"role":"user","content":"x"}],"output_config":{"format":{"type":"json_object"}}}`, "output_config.format.type", "must be json_schema"},
	}
	for _, c := range cases {
		_, err := DecodeRequest([]byte(c.body))
		e := mustInvalid(t, err)
		if e == nil {
			t.Errorf("%s: no error", c.body)
			continue
		}
		if e.Param != c.param || !strings.Contains(e.Message, c.msg) {
			t.Errorf("%s:\n got param %q message %q\nwant param %q message containing %q", c.body, e.Param, e.Message, c.param, c.msg)
		}
	}
}

// mustInvalid asserts err is a 400 and returns it.
func mustInvalid(t testing.TB, err error) *errs.Error {
	t.Helper()
	if err == nil {
		return nil
	}
	var e *errs.Error
	if !errors.As(err, &e) || e.Kind != errs.KindInvalidArgument {
		t.Fatalf("error %v (%T) is not an invalid-argument errs.Error", err, err)
	}
	return e
}
