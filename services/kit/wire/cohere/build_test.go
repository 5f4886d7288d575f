package cohere

import (
	"encoding/json"
	"errors"
	"reflect"
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

func ptr[T any](v T) *T { return &v }

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
	ParametersJson: `{"type":"object","properties":{"city":{"type":"string"}}}`}

func TestBuildRequest(t *testing.T) {
	tests := []struct {
		name string
		req  *inferencev1.ChatRequest
		want string
	}{{
		name: "tool round trip: plan from reasoning, results as tool messages, sampling",
		req: &inferencev1.ChatRequest{
			Stream: true,
			Messages: []*inferencev1.Message{
				msg(inferencev1.Role_ROLE_SYSTEM, text("Be brief."), text("Use tools.")),
				msg(inferencev1.Role_ROLE_USER, text("Weather in Paris?")),
				{Role: inferencev1.Role_ROLE_ASSISTANT,
					Content:   []*inferencev1.ContentPart{{Part: &inferencev1.ContentPart_Reasoning{Reasoning: &inferencev1.ReasoningPart{Text: "I will look it up."}}}},
					ToolCalls: []*inferencev1.ToolCall{{Id: "call_1", Name: "get_weather", ArgumentsJson: `{"city":"Paris"}`}}},
				{Role: inferencev1.Role_ROLE_TOOL, ToolCallId: "call_1", Content: []*inferencev1.ContentPart{text("sunny")}},
				msg(inferencev1.Role_ROLE_DEVELOPER, text("Answer in French.")),
			},
			Tools:    []*inferencev1.Tool{weatherTool, {Type: "web_search", RawJson: `{"type":"web_search"}`}},
			Sampling: &inferencev1.Sampling{MaxTokens: ptr[int32](300), Temperature: ptr(0.3), TopP: ptr(0.9), TopK: ptr[int32](5), Stop: []string{"END"}, Seed: ptr[int64](7), PresencePenalty: ptr(0.1)},
			User:     "u1",
		},
		want: `{"model":"command-a","stream":true,
			"messages":[
				{"role":"system","content":"Be brief.\n\nUse tools."},
				{"role":"user","content":"Weather in Paris?"},
				{"role":"assistant","tool_plan":"I will look it up.","tool_calls":[{"id":"call_1","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Paris\"}"}}]},
				{"role":"tool","tool_call_id":"call_1","content":"sunny"},
				{"role":"system","content":"Answer in French."}],
			"tools":[{"type":"function","function":{"name":"get_weather","description":"Weather of a city","parameters":{"type":"object","properties":{"city":{"type":"string"}}}}}],
			"max_tokens":300,"temperature":0.3,"p":0.9,"k":5,"stop_sequences":["END"],"seed":7,"presence_penalty":0.1}`,
	}, {
		name: "embedded tool results come first, images as image_url, a forced function is the only tool, required",
		req: &inferencev1.ChatRequest{
			Messages: []*inferencev1.Message{
				msg(inferencev1.Role_ROLE_USER, text("look:"),
					&inferencev1.ContentPart{Part: &inferencev1.ContentPart_Image{Image: &inferencev1.Image{MediaType: "image/png", Data: []byte{1, 2, 3}, Detail: "low"}}},
					&inferencev1.ContentPart{Part: &inferencev1.ContentPart_ToolResult{ToolResult: &inferencev1.ToolResult{ToolCallId: "t1", Content: []*inferencev1.ContentPart{text("a"), text("b")}}}}),
			},
			Tools:      []*inferencev1.Tool{weatherTool, {Name: "other", Strict: true}},
			ToolChoice: &inferencev1.ToolChoice{Mode: inferencev1.ToolChoiceMode_TOOL_CHOICE_MODE_FUNCTION, FunctionName: "get_weather"},
		},
		want: `{"model":"command-a",
			"messages":[
				{"role":"tool","tool_call_id":"t1","content":"ab"},
				{"role":"user","content":[{"type":"text","text":"look:"},{"type":"image_url","image_url":{"url":"data:image/png;base64,AQID","detail":"low"}}]}],
			"tools":[{"type":"function","function":{"name":"get_weather","description":"Weather of a city","parameters":{"type":"object","properties":{"city":{"type":"string"}}}}}],
			"tool_choice":"REQUIRED"}`,
	}, {
		name: "none, strict tools, JSON schema, thinking, text reasoning dropped",
		req: &inferencev1.ChatRequest{
			Messages: []*inferencev1.Message{
				msg(inferencev1.Role_ROLE_USER, text("hi")),
				msg(inferencev1.Role_ROLE_ASSISTANT, &inferencev1.ContentPart{Part: &inferencev1.ContentPart_Reasoning{Reasoning: &inferencev1.ReasoningPart{Text: "hmm"}}}, text("Hello")),
				msg(inferencev1.Role_ROLE_ASSISTANT, &inferencev1.ContentPart{Part: &inferencev1.ContentPart_Reasoning{Reasoning: &inferencev1.ReasoningPart{Text: "only thoughts"}}}),
			},
			Tools:          []*inferencev1.Tool{{Name: "f", Strict: true}},
			ToolChoice:     &inferencev1.ToolChoice{Mode: inferencev1.ToolChoiceMode_TOOL_CHOICE_MODE_NONE},
			ResponseFormat: &inferencev1.ResponseFormat{Type: "json_schema", SchemaJson: `{"type":"object"}`},
			Reasoning:      &inferencev1.Reasoning{BudgetTokens: 2000},
		},
		want: `{"model":"command-a",
			"messages":[{"role":"user","content":"hi"},{"role":"assistant","content":"Hello"}],
			"tools":[{"type":"function","function":{"name":"f","parameters":{"type":"object","properties":{}}}}],
			"tool_choice":"NONE","strict_tools":true,
			"response_format":{"type":"json_object","json_schema":{"type":"object"}},
			"thinking":{"type":"enabled","token_budget":2000}}`,
	}, {
		name: "effort none disables thinking",
		req:  &inferencev1.ChatRequest{Messages: []*inferencev1.Message{msg(inferencev1.Role_ROLE_USER, text("hi"))}, Reasoning: &inferencev1.Reasoning{Effort: "none"}},
		want: `{"model":"command-a","messages":[{"role":"user","content":"hi"}],"thinking":{"type":"disabled"}}`,
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := BuildRequest(tt.req, "command-a")
			if err != nil {
				t.Fatal(err)
			}
			sameJSON(t, got, tt.want)
		})
	}
}

func TestBuildRequestRefusesWhatCohereCannotSay(t *testing.T) {
	user := func(parts ...*inferencev1.ContentPart) []*inferencev1.Message {
		return []*inferencev1.Message{msg(inferencev1.Role_ROLE_USER, parts...)}
	}
	tests := []struct {
		name, param string
		req         *inferencev1.ChatRequest
	}{
		{"n > 1", "n", &inferencev1.ChatRequest{Messages: user(text("x")), Sampling: &inferencev1.Sampling{N: ptr[int32](3)}}},
		{"file", "messages[0].content[1]", &inferencev1.ChatRequest{Messages: user(text("x"),
			&inferencev1.ContentPart{Part: &inferencev1.ContentPart_File{File: &inferencev1.File{Filename: "a.pdf", Data: []byte{1}}}})}},
		{"audio", "messages[0].content[0]", &inferencev1.ChatRequest{Messages: user(
			&inferencev1.ContentPart{Part: &inferencev1.ContentPart_Audio{Audio: &inferencev1.Audio{Data: []byte{1}}}})}},
		{"image in a tool result", "messages[0].content[0].content[0]", &inferencev1.ChatRequest{Messages: user(
			&inferencev1.ContentPart{Part: &inferencev1.ContentPart_ToolResult{ToolResult: &inferencev1.ToolResult{ToolCallId: "t",
				Content: []*inferencev1.ContentPart{{Part: &inferencev1.ContentPart_Image{Image: &inferencev1.Image{Url: "https://x/y.png"}}}}}}})}},
		{"provider-native tool", "tools[0]", &inferencev1.ChatRequest{Messages: user(text("x")), Tools: []*inferencev1.Tool{{Type: "computer_use"}}}},
		{"forced function not offered", "tool_choice", &inferencev1.ChatRequest{Messages: user(text("x")), Tools: []*inferencev1.Tool{weatherTool},
			ToolChoice: &inferencev1.ToolChoice{Mode: inferencev1.ToolChoiceMode_TOOL_CHOICE_MODE_FUNCTION, FunctionName: "nope"}}},
		{"image in system", "messages[0].content[0]", &inferencev1.ChatRequest{Messages: []*inferencev1.Message{msg(inferencev1.Role_ROLE_SYSTEM,
			&inferencev1.ContentPart{Part: &inferencev1.ContentPart_Image{Image: &inferencev1.Image{Url: "https://x/y.png"}}})}}},
		{"unknown response format", "response_format", &inferencev1.ChatRequest{Messages: user(text("x")), ResponseFormat: &inferencev1.ResponseFormat{Type: "grammar"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := BuildRequest(tt.req, "command-a")
			var e *errs.Error
			if !errors.As(err, &e) || e.Kind != errs.KindInvalidArgument || e.Param != tt.param {
				t.Fatalf("got %#v, want an invalid-argument error naming %q", err, tt.param)
			}
		})
	}
}
