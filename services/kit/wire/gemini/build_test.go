package gemini

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	inferencev1 "github.com/tollgate/tollgate/gen/go/tollgate/inference/v1"
	"github.com/tollgate/tollgate/services/kit/errs"
	"github.com/tollgate/tollgate/services/kit/wire/openai"
)

func text(s string) *inferencev1.ContentPart {
	return &inferencev1.ContentPart{Part: &inferencev1.ContentPart_Text{Text: s}}
}

func buildJSON(t *testing.T, r *inferencev1.ChatRequest, model string, opts BuildOptions) map[string]any {
	t.Helper()
	raw, err := BuildRequestWithOptions(r, model, opts)
	if err != nil {
		t.Fatalf("build: %v", err)
	}
	var out map[string]any
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

func compact(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestBuildFromOpenAI: an OpenAI Chat Completions conversation with a tool
// loop becomes the Gemini body Gemini expects.
func TestBuildFromOpenAI(t *testing.T) {
	r, err := openai.DecodeChatRequest([]byte(`{"model":"m","messages":[
	 {"role":"system","content":"Be brief."},
	 {"role":"user","content":[{"type":"text","text":"Weather?"},{"type":"image_url","image_url":{"url":"data:image/png;base64,aGk="}}]},
	 {"role":"assistant","content":null,"tool_calls":[{"id":"call_a","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Paris\"}"}},
	   {"id":"call_b","type":"function","function":{"name":"get_time","arguments":""}}]},
	 {"role":"tool","tool_call_id":"call_a","content":"{\"temp\":14}"},
	 {"role":"tool","tool_call_id":"call_b","content":"noon"},
	 {"role":"user","content":"Thanks"}],
	 "tools":[{"type":"function","function":{"name":"get_weather","description":"Weather","parameters":{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}}},
	   {"type":"function","function":{"name":"get_time","parameters":{"type":"object","properties":{},"additionalProperties":false}}},
	   {"type":"function","function":{"name":"strict_fn","strict":true,"parameters":{"type":"object","properties":{"a":{"type":"string"}},"required":["a"],"additionalProperties":false}}}],
	 "tool_choice":"required","temperature":0.3,"max_completion_tokens":100,"stop":["X"],"seed":1,"n":2,
	 "response_format":{"type":"json_schema","json_schema":{"name":"out","schema":{"type":"object","properties":{"a":{"type":"string"}}}}},
	 "reasoning_effort":"high"}`))
	if err != nil {
		t.Fatal(err)
	}
	got := buildJSON(t, r, "gemini-2.5-flash", BuildOptions{})
	want := map[string]string{
		"systemInstruction": `{"parts":[{"text":"Be brief."}],"role":"user"}`,
		"contents": `[{"parts":[{"text":"Weather?"},{"inlineData":{"data":"aGk=","mimeType":"image/png"}}],"role":"user"},` +
			`{"parts":[{"functionCall":{"args":{"city":"Paris"},"id":"call_a","name":"get_weather"},"thoughtSignature":"skip_thought_signature_validator"},` +
			`{"functionCall":{"args":{},"id":"call_b","name":"get_time"}}],"role":"model"},` +
			`{"parts":[{"functionResponse":{"id":"call_a","name":"get_weather","response":{"temp":14}}},` +
			`{"functionResponse":{"id":"call_b","name":"get_time","response":{"output":"noon"}}},{"text":"Thanks"}],"role":"user"}]`,
		"tools": `[{"functionDeclarations":[{"description":"Weather","name":"get_weather","parameters":{"properties":{"city":{"type":"STRING"}},"required":["city"],"type":"OBJECT"}},` +
			`{"name":"get_time"},` +
			`{"name":"strict_fn","parametersJsonSchema":{"additionalProperties":false,"properties":{"a":{"type":"string"}},"required":["a"],"type":"object"}}]}]`,
		"toolConfig": `{"functionCallingConfig":{"mode":"ANY"}}`,
		"generationConfig": `{"candidateCount":2,"maxOutputTokens":100,"responseMimeType":"application/json",` +
			`"responseSchema":{"properties":{"a":{"type":"STRING"}},"type":"OBJECT"},"seed":1,"stopSequences":["X"],"temperature":0.3,` +
			`"thinkingConfig":{"includeThoughts":true,"thinkingBudget":24576}}`,
	}
	for k, w := range want {
		if g := compact(t, got[k]); g != w {
			t.Errorf("%s\n got %s\nwant %s", k, g, w)
		}
	}
	if len(got) != len(want) {
		t.Errorf("members %v", got)
	}
}

func TestBuildSignaturesAndThinking(t *testing.T) {
	r := &inferencev1.ChatRequest{Messages: []*inferencev1.Message{
		{Role: inferencev1.Role_ROLE_USER, Content: []*inferencev1.ContentPart{text("hi")}},
		{Role: inferencev1.Role_ROLE_ASSISTANT, Content: []*inferencev1.ContentPart{
			{Part: &inferencev1.ContentPart_Reasoning{Reasoning: &inferencev1.ReasoningPart{Text: "hmm", Signature: "sig-r"}}},
		}, ToolCalls: []*inferencev1.ToolCall{{Id: "t1", Name: "f", ArgumentsJson: "{}"}, {Id: "t2", Name: "f", ArgumentsJson: "{}"}}},
		{Role: inferencev1.Role_ROLE_TOOL, ToolCallId: "t1", Content: []*inferencev1.ContentPart{text("a")}},
		{Role: inferencev1.Role_ROLE_USER, Content: []*inferencev1.ContentPart{{Part: &inferencev1.ContentPart_ToolResult{
			ToolResult: &inferencev1.ToolResult{ToolCallId: "t2", IsError: true, Content: []*inferencev1.ContentPart{text("failed")}}}}}},
		{Role: inferencev1.Role_ROLE_ASSISTANT, Content: []*inferencev1.ContentPart{
			{Part: &inferencev1.ContentPart_Reasoning{Reasoning: &inferencev1.ReasoningPart{Text: "x", Signature: "sig-2"}}}, text("done"),
			{Part: &inferencev1.ContentPart_Reasoning{Reasoning: &inferencev1.ReasoningPart{Signature: "sig-end"}}}}},
	}, Reasoning: &inferencev1.Reasoning{Effort: "medium"}}
	got := buildJSON(t, r, "models/gemini-3-pro-preview", BuildOptions{})
	wantContents := `[{"parts":[{"text":"hi"}],"role":"user"},` +
		`{"parts":[{"functionCall":{"args":{},"id":"t1","name":"f"},"thoughtSignature":"sig-r"},{"functionCall":{"args":{},"id":"t2","name":"f"}}],"role":"model"},` +
		`{"parts":[{"functionResponse":{"id":"t1","name":"f","response":{"output":"a"}}},{"functionResponse":{"id":"t2","name":"f","response":{"error":"failed"}}}],"role":"user"},` +
		`{"parts":[{"text":"done","thoughtSignature":"sig-2"},{"text":"","thoughtSignature":"sig-end"}],"role":"model"}]`
	if g := compact(t, got["contents"]); g != wantContents {
		t.Errorf("contents\n got %s\nwant %s", g, wantContents)
	}
	if g := compact(t, got["generationConfig"]); g != `{"thinkingConfig":{"includeThoughts":true,"thinkingLevel":"MEDIUM"}}` {
		t.Errorf("generationConfig %s", g)
	}
	for model, want := range map[string]string{
		"gemini-2.5-pro":   `{"includeThoughts":true,"thinkingBudget":8192}`,
		"gemini-3.8-flash": `{"includeThoughts":true,"thinkingLevel":"MEDIUM"}`,
	} {
		if g := compact(t, buildThinking(r.GetReasoning(), model)); g != want {
			t.Errorf("%s: thinking %s, want %s", model, g, want)
		}
	}
	if g := compact(t, buildThinking(&inferencev1.Reasoning{Effort: "none"}, "gemini-2.5-flash")); g != `{"thinkingBudget":0}` {
		t.Errorf("effort none: %s", g)
	}
	if g := compact(t, buildThinking(&inferencev1.Reasoning{Enabled: true, BudgetTokens: 2000}, "gemini-3-pro")); g != `{"includeThoughts":true,"thinkingBudget":2000}` {
		t.Errorf("budget: %s", g)
	}
	if buildThinking(&inferencev1.Reasoning{}, "gemini-3-pro") != nil {
		t.Error("thinking configured without being asked for")
	}
}

func TestBuildOptionsAndTools(t *testing.T) {
	r := &inferencev1.ChatRequest{
		Messages: []*inferencev1.Message{{Role: inferencev1.Role_ROLE_USER, Content: []*inferencev1.ContentPart{text("x")}}},
		Tools: []*inferencev1.Tool{
			{Type: "function", Name: "f", ParametersJson: `{"type":"object","properties":{"a":{"type":"string"}}}`},
			{Type: "web_search"},
			{Type: "code_execution", RawJson: `{"codeExecution":{}}`},
		},
		ToolChoice: &inferencev1.ToolChoice{Mode: inferencev1.ToolChoiceMode_TOOL_CHOICE_MODE_FUNCTION, FunctionName: "f"},
	}
	got := buildJSON(t, r, "gemini-2.5-flash", BuildOptions{JSONSchema: true})
	if g := compact(t, got["tools"]); g != `[{"functionDeclarations":[{"name":"f","parametersJsonSchema":{"properties":{"a":{"type":"string"}},"type":"object"}}]},{"googleSearch":{}},{"codeExecution":{}}]` {
		t.Errorf("tools %s", g)
	}
	if g := compact(t, got["toolConfig"]); g != `{"functionCallingConfig":{"allowedFunctionNames":["f"],"mode":"ANY"}}` {
		t.Errorf("toolConfig %s", g)
	}
}

func TestBuildErrors(t *testing.T) {
	user := func(parts ...*inferencev1.ContentPart) *inferencev1.Message {
		return &inferencev1.Message{Role: inferencev1.Role_ROLE_USER, Content: parts}
	}
	tests := []struct {
		name  string
		r     *inferencev1.ChatRequest
		param string
	}{
		{"tool result for an unknown call", &inferencev1.ChatRequest{Messages: []*inferencev1.Message{
			{Role: inferencev1.Role_ROLE_TOOL, ToolCallId: "nope", Content: []*inferencev1.ContentPart{text("x")}}}}, "messages[0].tool_call_id"},
		{"image URL without a type", &inferencev1.ChatRequest{Messages: []*inferencev1.Message{user(
			&inferencev1.ContentPart{Part: &inferencev1.ContentPart_Image{Image: &inferencev1.Image{Url: "https://example.com/img"}}})}}, "messages[0].content[0]"},
		{"another provider's file id", &inferencev1.ChatRequest{Messages: []*inferencev1.Message{user(
			&inferencev1.ContentPart{Part: &inferencev1.ContentPart_File{File: &inferencev1.File{FileId: "file-abc"}}})}}, "messages[0].content[0]"},
		{"arguments that are not an object", &inferencev1.ChatRequest{Messages: []*inferencev1.Message{user(text("x")),
			{Role: inferencev1.Role_ROLE_ASSISTANT, ToolCalls: []*inferencev1.ToolCall{{Id: "1", Name: "f", ArgumentsJson: "[1]"}}}}}, "messages[1].tool_calls[0].arguments"},
		{"a foreign hosted tool", &inferencev1.ChatRequest{Messages: []*inferencev1.Message{user(text("x"))},
			Tools: []*inferencev1.Tool{{Type: "computer_20250124", RawJson: `{"type":"computer_20250124"}`}}}, "tools[0]"},
		{"no conversation", &inferencev1.ChatRequest{Messages: []*inferencev1.Message{
			{Role: inferencev1.Role_ROLE_SYSTEM, Content: []*inferencev1.ContentPart{text("sys")}}}}, "messages"},
	}
	for _, tt := range tests {
		_, err := BuildRequest(tt.r, "gemini-2.5-flash")
		var e *errs.Error
		if !errors.As(err, &e) || e.Kind != errs.KindInvalidArgument || e.Param != tt.param {
			t.Errorf("%s: err = %v, want param %q", tt.name, err, tt.param)
		}
	}
}

func TestBuildMedia(t *testing.T) {
	r := &inferencev1.ChatRequest{Messages: []*inferencev1.Message{{Role: inferencev1.Role_ROLE_USER, Content: []*inferencev1.ContentPart{
		{Part: &inferencev1.ContentPart_Image{Image: &inferencev1.Image{Url: "https://example.com/cat.jpg?x=1"}}},
		{Part: &inferencev1.ContentPart_Audio{Audio: &inferencev1.Audio{Format: "wav", Data: []byte{1}}}},
		{Part: &inferencev1.ContentPart_File{File: &inferencev1.File{MediaType: "application/pdf", Data: []byte("%PDF")}}},
		{Part: &inferencev1.ContentPart_File{File: &inferencev1.File{FileId: "files/abc", MediaType: "video/mp4"}}},
	}}}}
	got := compact(t, buildJSON(t, r, "gemini-2.5-flash", BuildOptions{})["contents"])
	want := `[{"parts":[{"fileData":{"fileUri":"https://example.com/cat.jpg?x=1","mimeType":"image/jpeg"}},` +
		`{"inlineData":{"data":"AQ==","mimeType":"audio/wav"}},{"inlineData":{"data":"JVBERg==","mimeType":"application/pdf"}},` +
		`{"fileData":{"fileUri":"https://generativelanguage.googleapis.com/v1beta/files/abc","mimeType":"video/mp4"}}],"role":"user"}]`
	if got != want {
		t.Errorf("contents\n got %s\nwant %s", got, want)
	}
	if !strings.Contains(compact(t, buildJSON(t, &inferencev1.ChatRequest{Messages: []*inferencev1.Message{
		{Role: inferencev1.Role_ROLE_USER, Content: []*inferencev1.ContentPart{text("x")}}},
		ResponseFormat: &inferencev1.ResponseFormat{Type: "json_object"}}, "g", BuildOptions{})), `"responseMimeType":"application/json"`) {
		t.Error("JSON mode lost")
	}
}
