package bedrock

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"

	inferencev1 "github.com/tollgate/tollgate/gen/go/tollgate/inference/v1"
	"github.com/tollgate/tollgate/services/kit/errs"
)

func text(s string) *inferencev1.ContentPart {
	return &inferencev1.ContentPart{Part: &inferencev1.ContentPart_Text{Text: s}}
}

func msg(role inferencev1.Role, parts ...*inferencev1.ContentPart) *inferencev1.Message {
	return &inferencev1.Message{Role: role, Content: parts}
}

func toolMsg(id, result string) *inferencev1.Message {
	return &inferencev1.Message{Role: inferencev1.Role_ROLE_TOOL, ToolCallId: id, Content: []*inferencev1.ContentPart{text(result)}}
}

func callMsg(calls ...*inferencev1.ToolCall) *inferencev1.Message {
	return &inferencev1.Message{Role: inferencev1.Role_ROLE_ASSISTANT, ToolCalls: calls}
}

func ptr[T any](v T) *T { return &v }

// sameJSON compares two JSON texts by value.
func sameJSON(t *testing.T, got []byte, want string) {
	t.Helper()
	var g, w any
	if err := json.Unmarshal(got, &g); err != nil {
		t.Fatalf("got invalid JSON %s: %v", got, err)
	}
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatalf("want invalid JSON %s: %v", want, err)
	}
	if !reflect.DeepEqual(g, w) {
		t.Fatalf("body\n got %s\nwant %s", got, want)
	}
}

var weatherTool = &inferencev1.Tool{Name: "get_weather", Description: "Weather of a city",
	ParametersJson: `{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}`}

func TestBuildRequest(t *testing.T) {
	tests := []struct {
		name  string
		model string
		req   *inferencev1.ChatRequest
		want  string
	}{{
		name:  "tool round trip with system prompts, sampling and merged turns",
		model: "amazon.nova-pro-v1:0",
		req: &inferencev1.ChatRequest{
			Messages: []*inferencev1.Message{
				msg(inferencev1.Role_ROLE_SYSTEM, text("Be brief.")),
				msg(inferencev1.Role_ROLE_USER, text("Weather in Paris and Rome?")),
				callMsg(&inferencev1.ToolCall{Id: "call_1", Name: "get_weather", ArgumentsJson: `{"city":"Paris"}`},
					&inferencev1.ToolCall{Id: "call_2", Name: "get_weather", ArgumentsJson: `{"city":"Rome"}`}),
				toolMsg("call_1", "sunny"),
				toolMsg("call_2", "rain"),
				msg(inferencev1.Role_ROLE_DEVELOPER, text("Answer in French.")),
				msg(inferencev1.Role_ROLE_USER, text("Thanks")),
			},
			Tools:      []*inferencev1.Tool{weatherTool},
			ToolChoice: &inferencev1.ToolChoice{Mode: inferencev1.ToolChoiceMode_TOOL_CHOICE_MODE_AUTO},
			Sampling:   &inferencev1.Sampling{MaxTokens: ptr[int32](300), Temperature: ptr(0.5), TopP: ptr(0.9), Stop: []string{"END"}, Seed: ptr[int64](7), TopK: ptr[int32](5)},
			User:       "u1",
		},
		want: `{
			"system":[{"text":"Be brief."},{"text":"Answer in French."}],
			"messages":[
				{"role":"user","content":[{"text":"Weather in Paris and Rome?"}]},
				{"role":"assistant","content":[
					{"toolUse":{"toolUseId":"call_1","name":"get_weather","input":{"city":"Paris"}}},
					{"toolUse":{"toolUseId":"call_2","name":"get_weather","input":{"city":"Rome"}}}]},
				{"role":"user","content":[
					{"toolResult":{"toolUseId":"call_1","content":[{"text":"sunny"}]}},
					{"toolResult":{"toolUseId":"call_2","content":[{"text":"rain"}]}},
					{"text":"Thanks"}]}],
			"inferenceConfig":{"maxTokens":300,"temperature":0.5,"topP":0.9,"stopSequences":["END"]},
			"toolConfig":{"tools":[{"toolSpec":{"name":"get_weather","description":"Weather of a city",
				"inputSchema":{"json":{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}}}}],
				"toolChoice":{"auto":{}}}}`,
	}, {
		name:  "claude: thinking budget, top_k, signed reasoning replayed first, unsigned dropped",
		model: "us.anthropic.claude-sonnet-4-20250514-v1:0",
		req: &inferencev1.ChatRequest{
			Messages: []*inferencev1.Message{
				msg(inferencev1.Role_ROLE_USER, text("Hi")),
				msg(inferencev1.Role_ROLE_ASSISTANT, text("Hello"),
					&inferencev1.ContentPart{Part: &inferencev1.ContentPart_Reasoning{Reasoning: &inferencev1.ReasoningPart{Text: "greet", Signature: "sig"}}},
					&inferencev1.ContentPart{Part: &inferencev1.ContentPart_Reasoning{Reasoning: &inferencev1.ReasoningPart{Text: "foreign"}}},
					&inferencev1.ContentPart{Part: &inferencev1.ContentPart_Reasoning{Reasoning: &inferencev1.ReasoningPart{EncryptedContent: "AQID"}}}),
				msg(inferencev1.Role_ROLE_USER, text("Again")),
			},
			Sampling:  &inferencev1.Sampling{TopK: ptr[int32](40)},
			Reasoning: &inferencev1.Reasoning{Effort: "high"},
		},
		want: `{
			"messages":[
				{"role":"user","content":[{"text":"Hi"}]},
				{"role":"assistant","content":[
					{"reasoningContent":{"reasoningText":{"text":"greet","signature":"sig"}}},
					{"reasoningContent":{"redactedContent":"AQID"}},
					{"text":"Hello"}]},
				{"role":"user","content":[{"text":"Again"}]}],
			"inferenceConfig":{"maxTokens":20480},
			"additionalModelRequestFields":{"thinking":{"type":"enabled","budget_tokens":16384},"top_k":40}}`,
	}, {
		name:  "other models: no thinking, no reasoning replay, no top_k",
		model: "meta.llama3-70b-instruct-v1:0",
		req: &inferencev1.ChatRequest{
			Messages: []*inferencev1.Message{
				msg(inferencev1.Role_ROLE_USER, text("Hi")),
				msg(inferencev1.Role_ROLE_ASSISTANT,
					&inferencev1.ContentPart{Part: &inferencev1.ContentPart_Reasoning{Reasoning: &inferencev1.ReasoningPart{Text: "x", Signature: "sig"}}},
					text("Hello")),
			},
			Sampling:  &inferencev1.Sampling{TopK: ptr[int32](40)},
			Reasoning: &inferencev1.Reasoning{Enabled: true},
		},
		want: `{"messages":[{"role":"user","content":[{"text":"Hi"}]},{"role":"assistant","content":[{"text":"Hello"}]}]}`,
	}, {
		name:  "images and documents inline and from S3; cache points; ids made to fit",
		model: "amazon.nova-lite-v1:0",
		req: &inferencev1.ChatRequest{
			Messages: []*inferencev1.Message{
				{Role: inferencev1.Role_ROLE_SYSTEM, Content: []*inferencev1.ContentPart{{Part: &inferencev1.ContentPart_Text{Text: "sys"}, CacheControlJson: `{"type":"ephemeral"}`}}},
				msg(inferencev1.Role_ROLE_USER,
					&inferencev1.ContentPart{Part: &inferencev1.ContentPart_Image{Image: &inferencev1.Image{Url: "data:image/png;base64,AQID"}}},
					&inferencev1.ContentPart{Part: &inferencev1.ContentPart_Image{Image: &inferencev1.Image{Url: "s3://bucket/cat.JPG"}}},
					&inferencev1.ContentPart{Part: &inferencev1.ContentPart_File{File: &inferencev1.File{Filename: "q3 report.v2.pdf", Data: []byte{4, 5}}},
						CacheControlJson: `{"type":"ephemeral"}`},
					text("")),
				callMsg(&inferencev1.ToolCall{Id: "functions.read:0", Name: "read", ArgumentsJson: ""}),
				toolMsg("functions.read:0", ""),
			},
			Tools: []*inferencev1.Tool{{Name: "read"}},
		},
		want: `{
			"system":[{"text":"sys"},{"cachePoint":{"type":"default"}}],
			"messages":[
				{"role":"user","content":[
					{"image":{"format":"png","source":{"bytes":"AQID"}}},
					{"image":{"format":"jpeg","source":{"s3Location":{"uri":"s3://bucket/cat.JPG"}}}},
					{"document":{"format":"pdf","name":"q3 report v2","source":{"bytes":"BAU="}}},
					{"cachePoint":{"type":"default"}}]},
				{"role":"assistant","content":[{"toolUse":{"toolUseId":"functions_read_0","name":"read","input":{}}}]},
				{"role":"user","content":[{"toolResult":{"toolUseId":"functions_read_0","content":[]}}]}],
			"toolConfig":{"tools":[{"toolSpec":{"name":"read","inputSchema":{"json":{"type":"object","properties":{}}}}}]}}`,
	}, {
		name:  "embedded tool results go first in their turn; an error result is marked",
		model: "amazon.nova-lite-v1:0",
		req: &inferencev1.ChatRequest{
			Messages: []*inferencev1.Message{
				msg(inferencev1.Role_ROLE_USER, text("go")),
				callMsg(&inferencev1.ToolCall{Id: "t1", Name: "get_weather", ArgumentsJson: `{}`}),
				msg(inferencev1.Role_ROLE_USER, text("here:"), &inferencev1.ContentPart{Part: &inferencev1.ContentPart_ToolResult{ToolResult: &inferencev1.ToolResult{
					ToolCallId: "t1", IsError: true, Content: []*inferencev1.ContentPart{text("boom")}}}}),
			},
			Tools:      []*inferencev1.Tool{weatherTool},
			ToolChoice: &inferencev1.ToolChoice{Mode: inferencev1.ToolChoiceMode_TOOL_CHOICE_MODE_FUNCTION, FunctionName: "get_weather"},
		},
		want: `{
			"messages":[
				{"role":"user","content":[{"text":"go"}]},
				{"role":"assistant","content":[{"toolUse":{"toolUseId":"t1","name":"get_weather","input":{}}}]},
				{"role":"user","content":[{"toolResult":{"toolUseId":"t1","content":[{"text":"boom"}],"status":"error"}},{"text":"here:"}]}],
			"toolConfig":{"tools":[{"toolSpec":{"name":"get_weather","description":"Weather of a city",
				"inputSchema":{"json":{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}}}}],
				"toolChoice":{"tool":{"name":"get_weather"}}}}`,
	}, {
		name:  "tool_choice none without tool blocks leaves the tools out",
		model: "m",
		req: &inferencev1.ChatRequest{
			Messages:   []*inferencev1.Message{msg(inferencev1.Role_ROLE_USER, text("hi"))},
			Tools:      []*inferencev1.Tool{weatherTool},
			ToolChoice: &inferencev1.ToolChoice{Mode: inferencev1.ToolChoiceMode_TOOL_CHOICE_MODE_NONE},
		},
		want: `{"messages":[{"role":"user","content":[{"text":"hi"}]}]}`,
	}, {
		name:  "tools used earlier but no longer offered are defined; required is any",
		model: "m",
		req: &inferencev1.ChatRequest{
			Messages: []*inferencev1.Message{
				msg(inferencev1.Role_ROLE_USER, text("hi")),
				callMsg(&inferencev1.ToolCall{Id: "a", Name: "old_tool", ArgumentsJson: `{"x":1}`}),
				toolMsg("a", "ok"),
			},
			Tools:      []*inferencev1.Tool{weatherTool},
			ToolChoice: &inferencev1.ToolChoice{Mode: inferencev1.ToolChoiceMode_TOOL_CHOICE_MODE_REQUIRED},
		},
		want: `{
			"messages":[
				{"role":"user","content":[{"text":"hi"}]},
				{"role":"assistant","content":[{"toolUse":{"toolUseId":"a","name":"old_tool","input":{"x":1}}}]},
				{"role":"user","content":[{"toolResult":{"toolUseId":"a","content":[{"text":"ok"}]}}]}],
			"toolConfig":{"tools":[
				{"toolSpec":{"name":"get_weather","description":"Weather of a city","inputSchema":{"json":{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}}}},
				{"toolSpec":{"name":"old_tool","description":"A tool used earlier in this conversation.","inputSchema":{"json":{"type":"object","properties":{}}}}}],
				"toolChoice":{"any":{}}}}`,
	}, {
		name:  "structured output",
		model: "m",
		req: &inferencev1.ChatRequest{
			Messages:       []*inferencev1.Message{msg(inferencev1.Role_ROLE_USER, text("hi"))},
			ResponseFormat: &inferencev1.ResponseFormat{Type: "json_schema", Name: "person", SchemaJson: `{"type":"object"}`},
		},
		want: `{"messages":[{"role":"user","content":[{"text":"hi"}]}],
			"outputConfig":{"textFormat":{"type":"json_schema","structure":{"jsonSchema":{"schema":"{\"type\":\"object\"}","name":"person"}}}}}`,
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := BuildRequest(tt.req, tt.model)
			if err != nil {
				t.Fatal(err)
			}
			sameJSON(t, got, tt.want)
		})
	}
}

func TestBuildRequestThinkingInToolLoop(t *testing.T) {
	req := &inferencev1.ChatRequest{
		Messages: []*inferencev1.Message{
			msg(inferencev1.Role_ROLE_USER, text("go")),
			callMsg(&inferencev1.ToolCall{Id: "t1", Name: "get_weather", ArgumentsJson: `{}`}),
			toolMsg("t1", "ok"),
		},
		Tools:     []*inferencev1.Tool{weatherTool},
		Sampling:  &inferencev1.Sampling{MaxTokens: ptr[int32](2000)},
		Reasoning: &inferencev1.Reasoning{BudgetTokens: 5000},
	}
	b, err := BuildRequest(req, "anthropic.claude-3-7-sonnet-20250219-v1:0")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(b), "thinking") {
		t.Fatalf("thinking enabled inside a tool loop whose call has no reasoning block: %s", b)
	}
	req.Messages = req.Messages[:1]
	b, err = BuildRequest(req, "anthropic.claude-3-7-sonnet-20250219-v1:0")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), `"thinking":{"type":"enabled","budget_tokens":1999}`) || !strings.Contains(string(b), `"maxTokens":2000`) {
		t.Fatalf("the budget must fit under the client's max tokens: %s", b)
	}
}

func TestBuildRequestRefusesWhatConverseCannotSay(t *testing.T) {
	user := func(parts ...*inferencev1.ContentPart) []*inferencev1.Message {
		return []*inferencev1.Message{msg(inferencev1.Role_ROLE_USER, parts...)}
	}
	tests := []struct {
		name, param string
		req         *inferencev1.ChatRequest
	}{
		{"n > 1", "n", &inferencev1.ChatRequest{Messages: user(text("x")), Sampling: &inferencev1.Sampling{N: ptr[int32](2)}}},
		{"json mode without schema", "response_format", &inferencev1.ChatRequest{Messages: user(text("x")),
			ResponseFormat: &inferencev1.ResponseFormat{Type: "json_object"}}},
		{"image by URL", "messages[0].content[0]", &inferencev1.ChatRequest{Messages: user(
			&inferencev1.ContentPart{Part: &inferencev1.ContentPart_Image{Image: &inferencev1.Image{Url: "https://x/cat.png"}}})}},
		{"unknown image type", "messages[0].content[1]", &inferencev1.ChatRequest{Messages: user(text("x"),
			&inferencev1.ContentPart{Part: &inferencev1.ContentPart_Image{Image: &inferencev1.Image{MediaType: "image/tiff", Data: []byte{1}}}})}},
		{"audio", "messages[0].content[0]", &inferencev1.ChatRequest{Messages: user(
			&inferencev1.ContentPart{Part: &inferencev1.ContentPart_Audio{Audio: &inferencev1.Audio{Format: "wav", Data: []byte{1}}}})}},
		{"file by provider id", "messages[0].content[0]", &inferencev1.ChatRequest{Messages: user(
			&inferencev1.ContentPart{Part: &inferencev1.ContentPart_File{File: &inferencev1.File{FileId: "file-abc"}}})}},
		{"provider-native tool", "tools[1]", &inferencev1.ChatRequest{Messages: user(text("x")),
			Tools: []*inferencev1.Tool{{Type: "web_search_preview", RawJson: `{"type":"web_search_preview"}`}, {Type: "code_interpreter"}}}},
		{"tool schema not an object", "tools[0].parameters", &inferencev1.ChatRequest{Messages: user(text("x")),
			Tools: []*inferencev1.Tool{{Name: "f", ParametersJson: `[1]`}}}},
		{"arguments not an object", "messages[1].tool_calls[0].function.arguments", &inferencev1.ChatRequest{Messages: []*inferencev1.Message{
			msg(inferencev1.Role_ROLE_USER, text("x")), callMsg(&inferencev1.ToolCall{Id: "a", Name: "f", ArgumentsJson: `{"x":`})}}},
		{"call without id", "messages[1].tool_calls[0].id", &inferencev1.ChatRequest{Messages: []*inferencev1.Message{
			msg(inferencev1.Role_ROLE_USER, text("x")), callMsg(&inferencev1.ToolCall{Name: "f"})}}},
		{"image in system prompt", "messages[0].content[0]", &inferencev1.ChatRequest{Messages: []*inferencev1.Message{msg(inferencev1.Role_ROLE_SYSTEM,
			&inferencev1.ContentPart{Part: &inferencev1.ContentPart_Image{Image: &inferencev1.Image{MediaType: "image/png", Data: []byte{1}}}})}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := BuildRequest(tt.req, "anthropic.claude-3-haiku-20240307-v1:0")
			var e *errs.Error
			if !errors.As(err, &e) || e.Kind != errs.KindInvalidArgument || e.Param != tt.param {
				t.Fatalf("got %#v, want an invalid-argument error naming %q", err, tt.param)
			}
		})
	}
}

func TestToolUseID(t *testing.T) {
	long := strings.Repeat("x", 70)
	for in, want := range map[string]string{
		"call_abc-1":       "call_abc-1",
		"functions.read:0": "functions_read_0",
		long:               "",
	} {
		got := ToolUseID(in)
		if want != "" && got != want {
			t.Errorf("ToolUseID(%q) = %q, want %q", in, got, want)
		}
		if len(got) > 64 || ToolUseID(got) != got || ToolUseID(in) != got {
			t.Errorf("ToolUseID(%q) = %q does not fit or is not stable", in, got)
		}
	}
	if ToolUseID(long) == ToolUseID(long+"y") {
		t.Error("long ids that differ must stay different")
	}
}

func TestConverseURL(t *testing.T) {
	for _, tt := range []struct{ base, model, want string }{
		{RuntimeURL("us-east-1"), "anthropic.claude-3-haiku-20240307-v1:0",
			"https://bedrock-runtime.us-east-1.amazonaws.com/model/anthropic.claude-3-haiku-20240307-v1%3A0/converse"},
		{"http://127.0.0.1:9/", "arn:aws:bedrock:us-east-1:123:inference-profile/us.amazon.nova-pro-v1:0",
			"http://127.0.0.1:9/model/arn%3Aaws%3Abedrock%3Aus-east-1%3A123%3Ainference-profile%2Fus.amazon.nova-pro-v1%3A0/converse"},
	} {
		if got := ConverseURL(tt.base, tt.model, false); got != tt.want {
			t.Errorf("ConverseURL = %q, want %q", got, tt.want)
		}
	}
	if got := ConverseURL("http://h", "m", true); got != "http://h/model/m/converse-stream" {
		t.Errorf("stream URL = %q", got)
	}
	if RuntimeURL("cn-north-1") != "https://bedrock-runtime.cn-north-1.amazonaws.com.cn" {
		t.Error("China regions have their own domain")
	}
}
