package anthropic

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	inferencev1 "github.com/tollgate/tollgate/gen/go/tollgate/inference/v1"
	"github.com/tollgate/tollgate/services/kit/wire/openai"
)

// sameJSON compares two JSON texts ignoring formatting.
func sameJSON(t *testing.T, got []byte, want string) {
	t.Helper()
	var g, w bytes.Buffer
	if err := json.Compact(&g, got); err != nil {
		t.Fatalf("got invalid JSON %s: %v", got, err)
	}
	if err := json.Compact(&w, []byte(want)); err != nil {
		t.Fatalf("want invalid JSON: %v", err)
	}
	if g.String() != w.String() {
		t.Fatalf("\n got %s\nwant %s", g.String(), w.String())
	}
}

// TestBuildRequestFromOpenAI: an OpenAI chat request, decoded by the openai
// package, becomes the Anthropic body that means the same.
func TestBuildRequestFromOpenAI(t *testing.T) {
	r, err := openai.DecodeChatRequest([]byte(`{
	  "model": "gpt-4o",
	  "messages": [
	    {"role": "system", "content": "be brief"},
	    {"role": "developer", "content": [{"type": "text", "text": "dev note"}]},
	    {"role": "user", "content": [
	      {"type": "text", "text": "what is this?"},
	      {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0K"}},
	      {"type": "image_url", "image_url": {"url": "https://example.com/a.jpg"}},
	      {"type": "file", "file": {"file_data": "data:application/pdf;base64,JVBE", "filename": "a.pdf"}}
	    ]},
	    {"role": "assistant", "content": "", "tool_calls": [
	      {"id": "call_1", "type": "function", "function": {"name": "get_weather", "arguments": "{\"city\":\"Paris\"}"}},
	      {"id": "call_2", "type": "function", "function": {"name": "get_time", "arguments": ""}}
	    ]},
	    {"role": "tool", "tool_call_id": "call_1", "content": "sunny"},
	    {"role": "tool", "tool_call_id": "call_2", "content": [{"type": "text", "text": "noon"}]},
	    {"role": "user", "content": "thanks"},
	    {"role": "system", "content": "late instruction"}
	  ],
	  "tools": [
	    {"type": "function", "function": {"name": "get_weather", "description": "weather", "parameters": {"type": "object"}, "strict": true}},
	    {"type": "function", "function": {"name": "get_time"}}
	  ],
	  "tool_choice": "required", "parallel_tool_calls": false,
	  "temperature": 0.5, "top_p": 1, "max_tokens": 500, "stop": ["END"], "seed": 7, "presence_penalty": 0.1,
	  "stream": true, "stream_options": {"include_usage": true},
	  "user": "u-1",
	  "response_format": {"type": "json_schema", "json_schema": {"name": "answer", "schema": {"type": "object"}}}
	}`))
	if err != nil {
		t.Fatal(err)
	}
	got, err := BuildRequest(r, "claude-sonnet-4-5")
	if err != nil {
		t.Fatal(err)
	}
	sameJSON(t, got, `{
	  "model": "claude-sonnet-4-5", "max_tokens": 500,
	  "system": [{"type": "text", "text": "be brief"}, {"type": "text", "text": "dev note"}, {"type": "text", "text": "late instruction"}],
	  "messages": [
	    {"role": "user", "content": [
	      {"type": "text", "text": "what is this?"},
	      {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": "iVBORw0K"}},
	      {"type": "image", "source": {"type": "url", "url": "https://example.com/a.jpg"}},
	      {"type": "document", "source": {"type": "base64", "media_type": "application/pdf", "data": "JVBE"}, "title": "a.pdf"}
	    ]},
	    {"role": "assistant", "content": [
	      {"type": "tool_use", "id": "call_1", "name": "get_weather", "input": {"city": "Paris"}},
	      {"type": "tool_use", "id": "call_2", "name": "get_time", "input": {}}
	    ]},
	    {"role": "user", "content": [
	      {"type": "tool_result", "tool_use_id": "call_1", "content": "sunny"},
	      {"type": "tool_result", "tool_use_id": "call_2", "content": "noon"},
	      {"type": "text", "text": "thanks"}
	    ]}
	  ],
	  "tools": [
	    {"name": "get_weather", "description": "weather", "input_schema": {"type": "object"}},
	    {"name": "get_time", "input_schema": {"type": "object", "properties": {}}}
	  ],
	  "tool_choice": {"type": "any", "disable_parallel_tool_use": true},
	  "temperature": 0.5, "top_p": 1, "stop_sequences": ["END"],
	  "stream": true,
	  "metadata": {"user_id": "u-1"},
	  "output_config": {"format": {"type": "json_schema", "schema": {"type": "object"}}}
	}`)
}

func TestBuildRequestMergesAndOrdersToolResults(t *testing.T) {
	toolResult := func(id, s string) *inferencev1.ContentPart {
		return &inferencev1.ContentPart{Part: &inferencev1.ContentPart_ToolResult{ToolResult: &inferencev1.ToolResult{
			ToolCallId: id, IsError: s == "", Content: []*inferencev1.ContentPart{text(s)}}}}
	}
	r := &inferencev1.ChatRequest{Messages: []*inferencev1.Message{
		{Role: inferencev1.Role_ROLE_USER, Content: []*inferencev1.ContentPart{text("go")}},
		{Role: inferencev1.Role_ROLE_ASSISTANT, Content: []*inferencev1.ContentPart{
			reasoning(&inferencev1.ReasoningPart{Text: "signed", Signature: "sig"}),
			reasoning(&inferencev1.ReasoningPart{Text: "unsigned thought from another provider"}),
			reasoning(&inferencev1.ReasoningPart{EncryptedContent: "another provider's opaque reasoning"}),
			text("calling"),
		}, ToolCalls: []*inferencev1.ToolCall{{Id: "a", Name: "f", ArgumentsJson: "{}"}, {Id: "b", Name: "f", ArgumentsJson: " "}}},
		// A user turn whose text comes before its tool result, and a tool message after it.
		{Role: inferencev1.Role_ROLE_USER, Content: []*inferencev1.ContentPart{text("note"), toolResult("a", "1")}},
		{Role: inferencev1.Role_ROLE_TOOL, ToolCallId: "b", Content: []*inferencev1.ContentPart{
			text("two "), {Part: &inferencev1.ContentPart_Image{Image: &inferencev1.Image{Url: "https://x/i.png"}}}}},
		{Role: inferencev1.Role_ROLE_TOOL, ToolCallId: "c"},
	}}
	got, err := BuildRequest(r, "m")
	if err != nil {
		t.Fatal(err)
	}
	sameJSON(t, got, `{"model":"m","max_tokens":4096,"messages":[
	  {"role":"user","content":[{"type":"text","text":"go"}]},
	  {"role":"assistant","content":[
	    {"type":"thinking","thinking":"signed","signature":"sig"},
	    {"type":"text","text":"calling"},
	    {"type":"tool_use","id":"a","name":"f","input":{}},
	    {"type":"tool_use","id":"b","name":"f","input":{}}]},
	  {"role":"user","content":[
	    {"type":"tool_result","tool_use_id":"a","content":"1"},
	    {"type":"tool_result","tool_use_id":"b","content":[{"type":"text","text":"two "},{"type":"image","source":{"type":"url","url":"https://x/i.png"}}]},
	    {"type":"tool_result","tool_use_id":"c"},
	    {"type":"text","text":"note"}]}
	]}`)
}

func TestBuildRequestTools(t *testing.T) {
	r := &inferencev1.ChatRequest{
		Messages: []*inferencev1.Message{{Role: inferencev1.Role_ROLE_USER, Content: []*inferencev1.ContentPart{text("hi")}}},
		Tools: []*inferencev1.Tool{
			{Type: "web_search_20250305", Name: "web_search", RawJson: `{"type":"web_search_20250305","name":"web_search","max_uses":2}`},
			{Type: "web_search", RawJson: `{"type":"web_search","search_context_size":"low","filters":{"allowed_domains":["go.dev"]},"user_location":{"type":"approximate","country":"FR","city":"Paris"}}`},
			{Type: "web_search_preview", RawJson: `{"type":"web_search_preview"}`},
		},
		ToolChoice: &inferencev1.ToolChoice{Mode: inferencev1.ToolChoiceMode_TOOL_CHOICE_MODE_FUNCTION, FunctionName: "web_search"},
	}
	got, err := BuildRequest(r, "m")
	if err != nil {
		t.Fatal(err)
	}
	sameJSON(t, got, `{"model":"m","max_tokens":4096,"messages":[{"role":"user","content":[{"type":"text","text":"hi"}]}],
	  "tools":[
	    {"type":"web_search_20250305","name":"web_search","max_uses":2},
	    {"type":"web_search_20250305","name":"web_search","allowed_domains":["go.dev"],"user_location":{"type":"approximate","city":"Paris","country":"FR"}},
	    {"type":"web_search_20250305","name":"web_search"}],
	  "tool_choice":{"type":"tool","name":"web_search"}}`)

	for _, c := range []struct {
		mode     inferencev1.ToolChoiceMode
		parallel *bool
		want     string
	}{
		{inferencev1.ToolChoiceMode_TOOL_CHOICE_MODE_UNSPECIFIED, nil, `null`},
		{inferencev1.ToolChoiceMode_TOOL_CHOICE_MODE_UNSPECIFIED, ptr(false), `{"type":"auto","disable_parallel_tool_use":true}`},
		{inferencev1.ToolChoiceMode_TOOL_CHOICE_MODE_AUTO, ptr(true), `{"type":"auto"}`},
		{inferencev1.ToolChoiceMode_TOOL_CHOICE_MODE_NONE, ptr(false), `{"type":"none"}`},
	} {
		raw, _ := json.Marshal(buildToolChoice(&inferencev1.ToolChoice{Mode: c.mode}, c.parallel))
		if string(raw) != c.want {
			t.Errorf("tool choice %v/%v = %s, want %s", c.mode, c.parallel, raw, c.want)
		}
	}
	for typ, want := range map[string]bool{
		"web_search_20250305": true, "bash_20250124": true, "text_editor_20250728": true, "mcp_toolset": true,
		"web_search_preview_2025_03_11": false, "function": false, "custom": false, "x_2025030": false, "x-20250305": false,
	} {
		if isAnthropicToolType(typ) != want {
			t.Errorf("isAnthropicToolType(%q) = %v", typ, !want)
		}
	}
}

func TestBuildRequestThinking(t *testing.T) {
	user := &inferencev1.Message{Role: inferencev1.Role_ROLE_USER, Content: []*inferencev1.ContentPart{text("hi")}}
	toolLoop := []*inferencev1.Message{user,
		{Role: inferencev1.Role_ROLE_ASSISTANT, ToolCalls: []*inferencev1.ToolCall{{Id: "a", Name: "f"}}},
		{Role: inferencev1.Role_ROLE_TOOL, ToolCallId: "a", Content: []*inferencev1.ContentPart{text("r")}},
	}
	signedLoop := []*inferencev1.Message{user,
		{Role: inferencev1.Role_ROLE_ASSISTANT, Content: []*inferencev1.ContentPart{reasoning(&inferencev1.ReasoningPart{Text: "t", Signature: "s"})},
			ToolCalls: []*inferencev1.ToolCall{{Id: "a", Name: "f"}}},
		{Role: inferencev1.Role_ROLE_TOOL, ToolCallId: "a", Content: []*inferencev1.ContentPart{text("r")}},
	}
	cases := []struct {
		name      string
		reasoning *inferencev1.Reasoning
		maxTokens *int32
		msgs      []*inferencev1.Message
		opts      BuildOptions
		want      string // max_tokens, thinking and output_config members
	}{
		{"none", nil, nil, nil, BuildOptions{}, `"max_tokens":4096`},
		{"effort none", &inferencev1.Reasoning{Effort: "none"}, nil, nil, BuildOptions{}, `"max_tokens":4096`},
		{"medium effort without a limit", &inferencev1.Reasoning{Effort: "medium", Enabled: true}, nil, nil, BuildOptions{},
			`"max_tokens":12288,"thinking":{"type":"enabled","budget_tokens":8192}`},
		{"high effort under the client's limit", &inferencev1.Reasoning{Effort: "high"}, ptr(int32(3000)), nil, BuildOptions{},
			`"max_tokens":3000,"thinking":{"type":"enabled","budget_tokens":2999}`},
		{"a limit too small to think", &inferencev1.Reasoning{Effort: "low"}, ptr(int32(1000)), nil, BuildOptions{},
			`"max_tokens":1000`},
		{"explicit budget raised to the minimum", &inferencev1.Reasoning{Enabled: true, BudgetTokens: 100}, nil, nil, BuildOptions{DefaultMaxTokens: 2000},
			`"max_tokens":3024,"thinking":{"type":"enabled","budget_tokens":1024}`},
		{"enabled without effort or budget", &inferencev1.Reasoning{Enabled: true}, nil, nil, BuildOptions{},
			`"max_tokens":12288,"thinking":{"type":"enabled","budget_tokens":8192}`},
		{"adaptive", &inferencev1.Reasoning{Effort: "xhigh"}, nil, nil, BuildOptions{AdaptiveThinking: true},
			`"max_tokens":4096,"thinking":{"type":"adaptive"},"output_config":{"effort":"max"}`},
		{"adaptive without effort", &inferencev1.Reasoning{Enabled: true, BudgetTokens: 5000}, nil, nil, BuildOptions{AdaptiveThinking: true},
			`"max_tokens":4096,"thinking":{"type":"adaptive"}`},
		{"tool loop without a signed thinking block", &inferencev1.Reasoning{Effort: "high"}, nil, toolLoop, BuildOptions{},
			`"max_tokens":4096`},
		{"tool loop with a signed thinking block", &inferencev1.Reasoning{Effort: "low"}, nil, signedLoop, BuildOptions{},
			`"max_tokens":6144,"thinking":{"type":"enabled","budget_tokens":2048}`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			msgs := c.msgs
			if msgs == nil {
				msgs = []*inferencev1.Message{user}
			}
			r := &inferencev1.ChatRequest{Messages: msgs, Reasoning: c.reasoning}
			if c.maxTokens != nil {
				r.Sampling = &inferencev1.Sampling{MaxTokens: c.maxTokens}
			}
			got, err := BuildRequestWithOptions(r, "m", c.opts)
			if err != nil {
				t.Fatal(err)
			}
			var w struct {
				MaxTokens    int32           `json:"max_tokens"`
				Thinking     json.RawMessage `json:"thinking"`
				OutputConfig json.RawMessage `json:"output_config"`
			}
			_ = json.Unmarshal(got, &w)
			s := `"max_tokens":` + strings.TrimSpace(string(mustJSON(w.MaxTokens)))
			if w.Thinking != nil {
				s += `,"thinking":` + string(w.Thinking)
			}
			if w.OutputConfig != nil {
				s += `,"output_config":` + string(w.OutputConfig)
			}
			if s != c.want {
				t.Errorf("\n got %s\nwant %s", s, c.want)
			}
		})
	}
}

func mustJSON(v any) []byte {
	b, _ := json.Marshal(v)
	return b
}

func TestBuildRequestErrors(t *testing.T) {
	user := func(parts ...*inferencev1.ContentPart) []*inferencev1.Message {
		return []*inferencev1.Message{{Role: inferencev1.Role_ROLE_USER, Content: parts}}
	}
	cases := []struct {
		name  string
		r     *inferencev1.ChatRequest
		param string
	}{
		{"audio", &inferencev1.ChatRequest{Messages: user(&inferencev1.ContentPart{Part: &inferencev1.ContentPart_Audio{Audio: &inferencev1.Audio{Format: "wav"}}})},
			"messages[0].content[0]"},
		{"file id", &inferencev1.ChatRequest{Messages: user(&inferencev1.ContentPart{Part: &inferencev1.ContentPart_File{File: &inferencev1.File{FileId: "file-1"}}})},
			"messages[0].content[0]"},
		{"spreadsheet", &inferencev1.ChatRequest{Messages: user(&inferencev1.ContentPart{Part: &inferencev1.ContentPart_File{File: &inferencev1.File{MediaType: "application/vnd.ms-excel", Data: []byte{1}}}})},
			"messages[0].content[0]"},
		{"image by relative URL", &inferencev1.ChatRequest{Messages: user(&inferencev1.ContentPart{Part: &inferencev1.ContentPart_Image{Image: &inferencev1.Image{Url: "/a.png"}}})},
			"messages[0].content[0]"},
		{"data URL not base64", &inferencev1.ChatRequest{Messages: user(&inferencev1.ContentPart{Part: &inferencev1.ContentPart_Image{Image: &inferencev1.Image{Url: "data:image/png,xyz"}}})},
			"messages[0].content[0]"},
		{"image in a system message", &inferencev1.ChatRequest{Messages: []*inferencev1.Message{{Role: inferencev1.Role_ROLE_SYSTEM,
			Content: []*inferencev1.ContentPart{{Part: &inferencev1.ContentPart_Image{Image: &inferencev1.Image{Url: "https://x"}}}}}}},
			"messages[0].content[0]"},
		{"arguments not an object", &inferencev1.ChatRequest{Messages: []*inferencev1.Message{{Role: inferencev1.Role_ROLE_ASSISTANT,
			ToolCalls: []*inferencev1.ToolCall{{Id: "a", Name: "f", ArgumentsJson: `[1]`}}}}},
			"messages[0].tool_calls[0].arguments"},
		{"unknown role", &inferencev1.ChatRequest{Messages: []*inferencev1.Message{{}}}, "messages[0].role"},
		{"temperature above 1", &inferencev1.ChatRequest{Messages: user(text("x")), Sampling: &inferencev1.Sampling{Temperature: ptr(1.5)}}, "temperature"},
		{"several choices", &inferencev1.ChatRequest{Messages: user(text("x")), Sampling: &inferencev1.Sampling{N: ptr(int32(2))}}, "n"},
		{"JSON mode", &inferencev1.ChatRequest{Messages: user(text("x")), ResponseFormat: &inferencev1.ResponseFormat{Type: "json_object"}}, "response_format"},
		{"OpenAI custom tool", &inferencev1.ChatRequest{Messages: user(text("x")), Tools: []*inferencev1.Tool{{Type: "custom", Name: "g", RawJson: `{"type":"custom","name":"g","format":{"type":"grammar"}}`}}}, "tools[0]"},
		{"code interpreter", &inferencev1.ChatRequest{Messages: user(text("x")), Tools: []*inferencev1.Tool{{Type: "function"}, {Type: "code_interpreter", RawJson: `{"type":"code_interpreter"}`}}}, "tools[1]"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := BuildRequest(c.r, "m")
			e := mustInvalid(t, err)
			if e == nil || e.Param != c.param {
				t.Fatalf("error = %v, want param %q", err, c.param)
			}
		})
	}
	if _, err := BuildRequest(&inferencev1.ChatRequest{}, "m"); err != nil {
		t.Errorf("an empty request should build (the provider decides): %v", err)
	}
}

func TestBuildRequestFilesAndImages(t *testing.T) {
	r := &inferencev1.ChatRequest{Messages: []*inferencev1.Message{{Role: inferencev1.Role_ROLE_USER, Content: []*inferencev1.ContentPart{
		{Part: &inferencev1.ContentPart_Image{Image: &inferencev1.Image{MediaType: "image/gif", Data: []byte("GIF")}}, CacheControlJson: `{"type":"ephemeral"}`},
		{Part: &inferencev1.ContentPart_File{File: &inferencev1.File{MediaType: "text/plain", Data: []byte("notes"), Filename: "n.txt"}}},
		{Part: &inferencev1.ContentPart_File{File: &inferencev1.File{MediaType: "image/jpeg", Data: []byte{0xff}}}},
		{Part: &inferencev1.ContentPart_File{File: &inferencev1.File{Url: "https://x/d.pdf"}}},
		text(""),
	}}}}
	got, err := BuildRequest(r, "m")
	if err != nil {
		t.Fatal(err)
	}
	sameJSON(t, got, `{"model":"m","max_tokens":4096,"messages":[{"role":"user","content":[
	  {"type":"image","source":{"type":"base64","media_type":"image/gif","data":"R0lG"},"cache_control":{"type":"ephemeral"}},
	  {"type":"document","source":{"type":"text","media_type":"text/plain","data":"notes"},"title":"n.txt"},
	  {"type":"image","source":{"type":"base64","media_type":"image/jpeg","data":"/w=="}},
	  {"type":"document","source":{"type":"url","url":"https://x/d.pdf"}}]}]}`)
}
