package responses

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"google.golang.org/protobuf/encoding/prototext"
	"google.golang.org/protobuf/proto"

	inferencev1 "github.com/tollgate/tollgate/gen/go/tollgate/inference/v1"
	"github.com/tollgate/tollgate/services/kit/errs"
)

// A conversation as an Anthropic client sends it (system prompt, images,
// tool_result parts inside the user turn, thinking with a signature) is
// written as Responses input items in order.
func TestBuildRequestFromAnthropicShape(t *testing.T) {
	r := &inferencev1.ChatRequest{
		Model: "claude-endpoint",
		Messages: []*inferencev1.Message{
			{Role: inferencev1.Role_ROLE_SYSTEM, Content: []*inferencev1.ContentPart{text("be brief")}},
			{Role: inferencev1.Role_ROLE_USER, Content: []*inferencev1.ContentPart{
				text("look"),
				{Part: &inferencev1.ContentPart_Image{Image: &inferencev1.Image{MediaType: "image/png", Data: []byte{1, 2, 3}}}},
				{Part: &inferencev1.ContentPart_File{File: &inferencev1.File{MediaType: "application/pdf", Data: []byte("%PDF"), Filename: "a.pdf"}}},
			}},
			{Role: inferencev1.Role_ROLE_ASSISTANT,
				Content: []*inferencev1.ContentPart{
					{Part: &inferencev1.ContentPart_Reasoning{Reasoning: &inferencev1.ReasoningPart{Text: "thinking", Signature: "EqQBanthropic"}}},
					{Part: &inferencev1.ContentPart_Reasoning{Reasoning: &inferencev1.ReasoningPart{Text: "openai", EncryptedContent: "gAAAAABopenai"}}},
					text("reading"),
				},
				ToolCalls: []*inferencev1.ToolCall{{Id: "toolu_1", Name: "read", ArgumentsJson: `{"p":"a"}`}, {Id: "toolu_2", Name: "noargs"}}},
			{Role: inferencev1.Role_ROLE_USER, Content: []*inferencev1.ContentPart{
				{Part: &inferencev1.ContentPart_ToolResult{ToolResult: &inferencev1.ToolResult{ToolCallId: "toolu_1", Content: []*inferencev1.ContentPart{text("file a")}}}},
				{Part: &inferencev1.ContentPart_ToolResult{ToolResult: &inferencev1.ToolResult{ToolCallId: "toolu_2", Content: []*inferencev1.ContentPart{
					text("see"), {Part: &inferencev1.ContentPart_Image{Image: &inferencev1.Image{Url: "https://x/y.png"}}}}}}},
				text("and now?"),
			}},
		},
		Tools: []*inferencev1.Tool{
			{Name: "read", Description: "read a file", ParametersJson: `{"type":"object","properties":{"p":{"type":"string","description":"<path>"}}}`},
			{Type: "function", Name: "noargs"},
		},
		ToolChoice: &inferencev1.ToolChoice{Mode: inferencev1.ToolChoiceMode_TOOL_CHOICE_MODE_FUNCTION, FunctionName: "read"},
		Sampling:   &inferencev1.Sampling{MaxTokens: ptr(int32(1024)), Temperature: ptr(0.2), TopK: ptr(int32(5)), Seed: ptr(int64(1))},
		Reasoning:  &inferencev1.Reasoning{Enabled: true, BudgetTokens: 10000},
		Stream:     true,
		Metadata:   map[string]string{"user_id": "u"},
	}
	b, err := BuildRequest(r, "gpt-5")
	if err != nil {
		t.Fatal(err)
	}
	want := `{"model":"gpt-5","input":[` +
		`{"type":"message","role":"system","content":[{"type":"input_text","text":"be brief"}]},` +
		`{"type":"message","role":"user","content":[{"type":"input_text","text":"look"},{"type":"input_image","image_url":"data:image/png;base64,AQID","detail":"auto"},{"type":"input_file","file_data":"data:application/pdf;base64,JVBERg==","filename":"a.pdf"}]},` +
		`{"type":"reasoning","summary":[{"type":"summary_text","text":"openai"}],"encrypted_content":"gAAAAABopenai"},` +
		`{"type":"message","role":"assistant","content":[{"type":"output_text","text":"reading","annotations":[]}]},` +
		`{"type":"function_call","call_id":"toolu_1","name":"read","arguments":"{\"p\":\"a\"}"},` +
		`{"type":"function_call","call_id":"toolu_2","name":"noargs","arguments":"{}"},` +
		`{"type":"function_call_output","call_id":"toolu_1","output":"file a"},` +
		`{"type":"function_call_output","call_id":"toolu_2","output":[{"type":"input_text","text":"see"},{"type":"input_image","image_url":"https://x/y.png","detail":"auto"}]},` +
		`{"type":"message","role":"user","content":[{"type":"input_text","text":"and now?"}]}],` +
		`"tools":[{"type":"function","name":"read","description":"read a file","parameters":{"type":"object","properties":{"p":{"type":"string","description":"<path>"}}},"strict":false},` +
		`{"type":"function","name":"noargs","parameters":{"type":"object","properties":{}},"strict":false}],` +
		`"tool_choice":{"type":"function","name":"read"},"temperature":0.2,"max_output_tokens":1024,` +
		`"reasoning":{"effort":"medium","summary":"auto"},"metadata":{"user_id":"u"},"stream":true,"store":false,"include":["reasoning.encrypted_content"]}`
	if string(b) != want {
		t.Errorf("built\n got %s\nwant %s", b, want)
	}
}

// A request decoded from Responses, built again and decoded, is the same
// canonical request.
func TestBuildRequestRoundTrip(t *testing.T) {
	body := []byte(`{"model":"client","instructions":"sys","input":[
	    {"role":"developer","content":"dev"},
	    {"role":"user","content":[{"type":"input_text","text":"look"},{"type":"input_image","image_url":"https://x/y.png","detail":"high"},{"type":"input_file","file_id":"file-1","filename":"f.txt"}]},
	    {"type":"reasoning","id":"rs_1","summary":[{"type":"summary_text","text":"plan"}],"encrypted_content":"gAAAAtoken"},
	    {"type":"message","role":"assistant","content":[{"type":"output_text","text":"ok"}]},
	    {"type":"function_call","call_id":"c1","name":"f","arguments":"{}"},
	    {"type":"function_call_output","call_id":"c1","output":"42"},
	    {"role":"assistant","content":"done"}],
	  "tools":[{"type":"function","name":"f","description":"d","parameters":{"type":"object","properties":{}},"strict":true},{"type":"web_search"}],
	  "tool_choice":"required","temperature":0.7,"top_p":0.9,"max_output_tokens":50,"stream":true,
	  "text":{"format":{"type":"json_schema","name":"s","schema":{"type":"object"},"strict":true}},
	  "reasoning":{"effort":"high"},"user":"u","parallel_tool_calls":true,"metadata":{"k":"v"}}`)
	orig, err := DecodeRequest(body)
	if err != nil {
		t.Fatal(err)
	}
	built, err := BuildRequest(orig, "provider-model")
	if err != nil {
		t.Fatal(err)
	}
	back, err := DecodeRequest(built)
	if err != nil {
		t.Fatalf("built body does not decode: %v\n%s", err, built)
	}
	if back.GetModel() != "provider-model" {
		t.Errorf("model %q", back.GetModel())
	}
	back.Model, back.Source = orig.Model, orig.Source
	if !proto.Equal(orig, back) {
		t.Errorf("round trip changed the request\n got: %s\nwant: %s", prototext.Format(back), prototext.Format(orig))
	}
}

func TestBuildRequestErrors(t *testing.T) {
	user := func(p *inferencev1.ContentPart) []*inferencev1.Message {
		return []*inferencev1.Message{{Role: inferencev1.Role_ROLE_USER, Content: []*inferencev1.ContentPart{p}}}
	}
	cases := []struct {
		name  string
		r     *inferencev1.ChatRequest
		param string
	}{
		{"stop", &inferencev1.ChatRequest{Sampling: &inferencev1.Sampling{Stop: []string{"END"}}}, "stop"},
		{"n", &inferencev1.ChatRequest{Sampling: &inferencev1.Sampling{N: ptr(int32(2))}}, "n"},
		{"audio", &inferencev1.ChatRequest{Messages: user(&inferencev1.ContentPart{Part: &inferencev1.ContentPart_Audio{Audio: &inferencev1.Audio{Data: []byte{1}}}})}, "messages[0].content[0]"},
		{"assistant image", &inferencev1.ChatRequest{Messages: []*inferencev1.Message{{Role: inferencev1.Role_ROLE_ASSISTANT, Content: []*inferencev1.ContentPart{
			{Part: &inferencev1.ContentPart_Image{Image: &inferencev1.Image{Url: "u"}}}}}}}, "messages[0].content[0]"},
		{"role", &inferencev1.ChatRequest{Messages: []*inferencev1.Message{{}}}, "messages[0].role"},
		{"hosted tool without definition", &inferencev1.ChatRequest{Tools: []*inferencev1.Tool{{Type: "computer_20250124"}}}, "tools[0]"},
		{"bad parameters", &inferencev1.ChatRequest{Tools: []*inferencev1.Tool{{Name: "f", ParametersJson: "{"}}}, "tools[0]"},
	}
	for _, tc := range cases {
		_, err := BuildRequest(tc.r, "m")
		var e *errs.Error
		if !errors.As(err, &e) || e.Kind != errs.KindInvalidArgument || e.Param != tc.param {
			t.Errorf("%s: got %v, want InvalidArgument on %q", tc.name, err, tc.param)
		}
	}
}

func TestBuildRequestReasoning(t *testing.T) {
	cases := []struct {
		rc   *inferencev1.Reasoning
		want string // the reasoning member, "" for none
	}{
		{nil, ""},
		{&inferencev1.Reasoning{}, ""},
		{&inferencev1.Reasoning{Effort: "none"}, `{"effort":"none"}`},
		{&inferencev1.Reasoning{Effort: "low", Enabled: true}, `{"effort":"low","summary":"auto"}`},
		{&inferencev1.Reasoning{Enabled: true}, `{"effort":"medium","summary":"auto"}`},
		{&inferencev1.Reasoning{Enabled: true, BudgetTokens: 2048}, `{"effort":"low","summary":"auto"}`},
		{&inferencev1.Reasoning{Enabled: true, BudgetTokens: 32000}, `{"effort":"high","summary":"auto"}`},
	}
	for _, tc := range cases {
		b, err := BuildRequest(&inferencev1.ChatRequest{Reasoning: tc.rc}, "m")
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]json.RawMessage
		_ = json.Unmarshal(b, &m)
		if string(m["reasoning"]) != tc.want {
			t.Errorf("%v: reasoning %s, want %s", tc.rc, m["reasoning"], tc.want)
		}
		_, include := m["include"]
		if include != strings.Contains(tc.want, "summary") {
			t.Errorf("%v: include %s", tc.rc, m["include"])
		}
		if string(m["store"]) != "false" || string(m["input"]) != "[]" {
			t.Errorf("store %s input %s", m["store"], m["input"])
		}
	}
}
