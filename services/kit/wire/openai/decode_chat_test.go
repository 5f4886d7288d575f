package openai

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

func text(s string) *inferencev1.ContentPart {
	return &inferencev1.ContentPart{Part: &inferencev1.ContentPart_Text{Text: s}}
}

func TestDecodeChatRequestFull(t *testing.T) {
	body := []byte(`{
	  "model": "gpt-4o",
	  "messages": [
	    {"role": "system", "content": "be brief"},
	    {"role": "developer", "content": [{"type": "text", "text": "dev note"}]},
	    {"role": "user", "name": "ann", "content": [
	      {"type": "text", "text": "what is this?"},
	      {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0K", "detail": "low"}},
	      {"type": "input_audio", "input_audio": {"data": "AAEC", "format": "wav"}},
	      {"type": "file", "file": {"file_data": "data:application/pdf;base64,JVBE", "filename": "a.pdf"}},
	      {"type": "some_future_part", "x": 1}
	    ]},
	    {"role": "assistant", "content": null, "tool_calls": [
	      {"id": "call_1", "type": "function", "function": {"name": "get_weather", "arguments": "{\"city\":\"Paris\"}"}}
	    ]},
	    {"role": "tool", "tool_call_id": "call_1", "content": "sunny"}
	  ],
	  "tools": [
	    {"type": "function", "function": {"name": "get_weather", "description": "weather", "parameters": {"type":"object"}, "strict": true}},
	    {"type": "web_search_preview"}
	  ],
	  "tool_choice": {"type": "function", "function": {"name": "get_weather"}},
	  "temperature": 0.5, "top_p": 1, "max_tokens": 100, "max_completion_tokens": 200,
	  "stop": ["END", "STOP"], "seed": 42, "presence_penalty": -1.5, "frequency_penalty": 0.25, "n": 2,
	  "stream": true, "stream_options": {"include_usage": true},
	  "response_format": {"type": "json_schema", "json_schema": {"name": "answer", "schema": {"type":"object"}, "strict": true}},
	  "reasoning_effort": "low", "user": "u-1", "parallel_tool_calls": false,
	  "metadata": {"team": "search"},
	  "client_request_id": "abc", "usage_context": {"project": "p1"},
	  "logit_bias": {"50256": -100}, "some_new_field": [1, {"deep": true}]
	}`)
	got, extras, err := DecodeChatRequestExtras(body)
	if err != nil {
		t.Fatalf("decode: %v", err)
	}
	want := &inferencev1.ChatRequest{
		Model: "gpt-4o",
		Messages: []*inferencev1.Message{
			{Role: inferencev1.Role_ROLE_SYSTEM, Content: []*inferencev1.ContentPart{text("be brief")}},
			{Role: inferencev1.Role_ROLE_DEVELOPER, Content: []*inferencev1.ContentPart{text("dev note")}},
			{Role: inferencev1.Role_ROLE_USER, Name: "ann", Content: []*inferencev1.ContentPart{
				text("what is this?"),
				{Part: &inferencev1.ContentPart_Image{Image: &inferencev1.Image{Url: "data:image/png;base64,iVBORw0K", MediaType: "image/png", Detail: "low"}}},
				{Part: &inferencev1.ContentPart_Audio{Audio: &inferencev1.Audio{Data: []byte{0, 1, 2}, Format: "wav"}}},
				{Part: &inferencev1.ContentPart_File{File: &inferencev1.File{Filename: "a.pdf", MediaType: "application/pdf", Data: []byte("%PD")}}},
			}},
			{Role: inferencev1.Role_ROLE_ASSISTANT, ToolCalls: []*inferencev1.ToolCall{{Id: "call_1", Name: "get_weather", ArgumentsJson: `{"city":"Paris"}`}}},
			{Role: inferencev1.Role_ROLE_TOOL, ToolCallId: "call_1", Content: []*inferencev1.ContentPart{text("sunny")}},
		},
		Tools: []*inferencev1.Tool{
			{Type: "function", Name: "get_weather", Description: "weather", ParametersJson: `{"type":"object"}`, Strict: true},
			{Type: "web_search_preview", RawJson: `{"type": "web_search_preview"}`},
		},
		ToolChoice: &inferencev1.ToolChoice{Mode: inferencev1.ToolChoiceMode_TOOL_CHOICE_MODE_FUNCTION, FunctionName: "get_weather"},
		Sampling: &inferencev1.Sampling{
			Temperature: ptr(0.5), TopP: ptr(1.0), MaxTokens: ptr(int32(200)), Stop: []string{"END", "STOP"},
			Seed: ptr(int64(42)), PresencePenalty: ptr(-1.5), FrequencyPenalty: ptr(0.25), N: ptr(int32(2)),
		},
		Stream:            true,
		IncludeUsage:      true,
		ResponseFormat:    &inferencev1.ResponseFormat{Type: "json_schema", Name: "answer", SchemaJson: `{"type":"object"}`, Strict: true},
		Reasoning:         &inferencev1.Reasoning{Effort: "low", Enabled: true},
		User:              "u-1",
		ParallelToolCalls: ptr(false),
		Metadata:          map[string]string{"team": "search"},
		Source: &inferencev1.Source{
			Dialect:      inferencev1.Dialect_DIALECT_OPENAI_CHAT,
			OriginalBody: body,
			ClientModel:  "gpt-4o",
		},
	}
	if !proto.Equal(got, want) {
		t.Fatalf("decoded request differs\n got: %s\nwant: %s", prototext.Format(got), prototext.Format(want))
	}
	if extras.ClientRequestID != "abc" || extras.UsageContext["project"] != "p1" || len(extras.UsageContext) != 1 {
		t.Fatalf("extras = %+v", extras)
	}
}

func TestDecodeChatRequestMinimalAndNulls(t *testing.T) {
	got, err := DecodeChatRequest([]byte(`{"model":"m","messages":[{"role":"user","content":"hi"}],
		"temperature":null,"stop":"x","tools":null,"stream":null,"tool_choice":"required"}`))
	if err != nil {
		t.Fatal(err)
	}
	if got.GetSampling().Temperature != nil || len(got.GetSampling().GetStop()) != 1 || got.GetSampling().GetStop()[0] != "x" {
		t.Errorf("sampling = %v", got.GetSampling())
	}
	if got.GetToolChoice().GetMode() != inferencev1.ToolChoiceMode_TOOL_CHOICE_MODE_REQUIRED {
		t.Errorf("tool choice = %v", got.GetToolChoice())
	}
	got, err = DecodeChatRequest([]byte(`{"model":"m","messages":[{"role":"user","content":"hi"}]}`))
	if err != nil || got.Sampling != nil || got.Stream || got.ToolChoice != nil {
		t.Errorf("a minimal request should leave optional parts unset: %v %v", got, err)
	}
}

func TestDecodeChatRequestErrors(t *testing.T) {
	cases := []struct {
		name, body, param, msg string
	}{
		{"empty body", ``, "", "invalid JSON body"},
		{"not JSON", `{"model": "m",`, "", "invalid JSON body"},
		{"trailing garbage", `{"model":"m","messages":[{"role":"user","content":"x"}]} x`, "", "invalid JSON body"},
		{"array body", `[1]`, "", "must be a JSON object"},
		{"missing model", `{"messages":[{"role":"user","content":"x"}]}`, "model", "model is required"},
		{"model not string", `{"model":5,"messages":[{"role":"user","content":"x"}]}`, "model", "model must be a string"},
		{"empty model", `{"model":"","messages":[{"role":"user","content":"x"}]}`, "model", "must not be empty"},
		{"missing messages", `{"model":"m"}`, "messages", "messages is required"},
		{"messages not array", `{"model":"m","messages":{}}`, "messages", "messages must be an array"},
		{"messages empty", `{"model":"m","messages":[]}`, "messages", "at least one message"},
		{"message not object", `{"model":"m","messages":["hi"]}`, "messages[0]", "must be an object"},
		{"bad role", `{"model":"m","messages":[{"role":"user","content":"x"},{"role":"robot","content":"x"}]}`, "messages[1].role", "must be one of"},
		{"role not string", `{"model":"m","messages":[{"role":1,"content":"x"}]}`, "messages[0].role", "must be a string"},
		{"missing role", `{"model":"m","messages":[{"content":"x"}]}`, "messages[0].role", "is required"},
		{"user without content", `{"model":"m","messages":[{"role":"user"}]}`, "messages[0].content", "is required"},
		{"content wrong type", `{"model":"m","messages":[{"role":"user","content":5}]}`, "messages[0].content", "a string or an array"},
		{"part without type", `{"model":"m","messages":[{"role":"user","content":[{"text":"x"}]}]}`, "messages[0].content[0].type", "is required"},
		{"text part not string", `{"model":"m","messages":[{"role":"user","content":[{"type":"text","text":1}]}]}`, "messages[0].content[0].text", "must be a string"},
		{"image without url", `{"model":"m","messages":[{"role":"user","content":[{"type":"image_url","image_url":{}}]}]}`, "messages[0].content[0].image_url.url", "is required"},
		{"bad audio base64", `{"model":"m","messages":[{"role":"user","content":[{"type":"input_audio","input_audio":{"data":"!!","format":"wav"}}]}]}`, "messages[0].content[0].input_audio.data", "base64"},
		{"tool without id", `{"model":"m","messages":[{"role":"tool","content":"x"}]}`, "messages[0].tool_call_id", "is required"},
		{"tool call args not string", `{"model":"m","messages":[{"role":"assistant","tool_calls":[{"id":"1","type":"function","function":{"name":"f","arguments":{}}}]}]}`, "messages[0].tool_calls[0].function.arguments", "must be a string"},
		{"user tool calls", `{"model":"m","messages":[{"role":"user","content":"x","tool_calls":[]}]}`, "messages[0].tool_calls", "only allowed on assistant"},
		{"temperature string", `{"model":"m","messages":[{"role":"user","content":"x"}],"temperature":"hot"}`, "temperature", "must be a number"},
		{"max_tokens float", `{"model":"m","messages":[{"role":"user","content":"x"}],"max_tokens":1.5}`, "max_tokens", "must be an integer"},
		{"max_tokens zero", `{"model":"m","messages":[{"role":"user","content":"x"}],"max_tokens":0}`, "max_tokens", "at least 1"},
		{"max_tokens huge", `{"model":"m","messages":[{"role":"user","content":"x"}],"max_tokens":99999999999}`, "max_tokens", "out of range"},
		{"stop number", `{"model":"m","messages":[{"role":"user","content":"x"}],"stop":5}`, "stop", "a string or an array of strings"},
		{"stop element", `{"model":"m","messages":[{"role":"user","content":"x"}],"stop":["a",1]}`, "stop[1]", "must be a string"},
		{"stream string", `{"model":"m","messages":[{"role":"user","content":"x"}],"stream":"yes"}`, "stream", "must be a boolean"},
		{"include_usage string", `{"model":"m","messages":[{"role":"user","content":"x"}],"stream_options":{"include_usage":1}}`, "stream_options.include_usage", "must be a boolean"},
		{"tool choice bad", `{"model":"m","messages":[{"role":"user","content":"x"}],"tool_choice":"always"}`, "tool_choice", "must be auto"},
		{"tool without name", `{"model":"m","messages":[{"role":"user","content":"x"}],"tools":[{"type":"function","function":{}}]}`, "tools[0].function.name", "is required"},
		{"tool params not object", `{"model":"m","messages":[{"role":"user","content":"x"}],"tools":[{"type":"function","function":{"name":"f","parameters":[]}}]}`, "tools[0].function.parameters", "must be an object"},
		{"response format bad", `{"model":"m","messages":[{"role":"user","content":"x"}],"response_format":{"type":"xml"}}`, "response_format.type", "must be text"},
		{"metadata non-string", `{"model":"m","messages":[{"role":"user","content":"x"}],"metadata":{"a":1}}`, "metadata.a", "must be a string"},
		{"usage_context non-string", `{"model":"m","messages":[{"role":"user","content":"x"}],"usage_context":{"a":[]}}`, "usage_context.a", "must be a string"},
		{"client_request_id number", `{"model":"m","messages":[{"role":"user","content":"x"}],"client_request_id":7}`, "client_request_id", "must be a string"},
		{"bad escape", `{"model":"m\x","messages":[]}`, "", "invalid JSON body"},
		{"control char", "{\"model\":\"m\x01\",\"messages\":[]}", "", "invalid JSON body"},
		{"leading zero", `{"model":"m","messages":[{"role":"user","content":"x"}],"n":01}`, "", "invalid JSON body"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := DecodeChatRequest([]byte(tc.body))
			e := mustInvalid(t, err)
			if e.Param != tc.param {
				t.Errorf("param = %q, want %q (message %q)", e.Param, tc.param, e.Message)
			}
			if !strings.Contains(e.Message, tc.msg) {
				t.Errorf("message %q does not mention %q", e.Message, tc.msg)
			}
		})
	}
}

func mustInvalid(t *testing.T, err error) *errs.Error {
	t.Helper()
	if err == nil {
		t.Fatal("expected an error")
	}
	var e *errs.Error
	if !errors.As(err, &e) || e.Kind != errs.KindInvalidArgument {
		t.Fatalf("error %v is not an invalid-argument errs.Error", err)
	}
	return e
}

func TestDecodeChatRequestHostileInput(t *testing.T) {
	deep := strings.Repeat("[", 100000) + strings.Repeat("]", 100000)
	for _, body := range []string{
		deep,
		`{"model":"m","messages":[{"role":"user","content":"x"}],"extra":` + deep + `}`,
		`{"model":"m","messages":` + deep + `}`,
		strings.Repeat(`{"a":`, 50000) + "1" + strings.Repeat("}", 50000),
		`{"model":"m","messages":[{"role":"user","content":"x"}],"extra":` + strings.Repeat("[", 100000),
	} {
		_, err := DecodeChatRequest([]byte(body))
		e := mustInvalid(t, err)
		if e.Param != "" && e.Param != "messages" {
			t.Errorf("unexpected param %q for nested input", e.Param)
		}
	}
	// Nesting within the limit is legal JSON and is accepted.
	ok := `{"model":"m","messages":[{"role":"user","content":"x"}],"extra":` + strings.Repeat("[", 5000) + strings.Repeat("]", 5000) + `}`
	if _, err := DecodeChatRequest([]byte(ok)); err != nil {
		t.Errorf("5000 levels of nesting should decode: %v", err)
	}

	huge := strings.Repeat("a", 8<<20)
	r, err := DecodeChatRequest([]byte(`{"model":"m","messages":[{"role":"user","content":"` + huge + `"}]}`))
	if err != nil || r.GetMessages()[0].GetContent()[0].GetText() != huge {
		t.Fatalf("a large string should decode intact: %v", err)
	}
}

func TestDecodeChatRequestEscapesAndUTF8(t *testing.T) {
	r, err := DecodeChatRequest([]byte(`{"mod\u0065l":"m\u00e9","messages":[{"role":"user","content":"a\nb \ud83d\ude00 \"q\""}]}`))
	if err != nil {
		t.Fatal(err)
	}
	if r.GetModel() != "mé" || r.GetMessages()[0].GetContent()[0].GetText() != "a\nb 😀 \"q\"" {
		t.Errorf("escapes decoded wrongly: %q %q", r.GetModel(), r.GetMessages()[0].GetContent()[0].GetText())
	}
	// Invalid UTF-8 would make the protobuf unmarshalable; it is replaced.
	r, err = DecodeChatRequest([]byte("{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"bad \xff byte\"}]}"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := proto.Marshal(r); err != nil {
		t.Errorf("decoded request does not marshal: %v", err)
	}
	// Keys are case-sensitive, as OpenAI's are.
	if _, err := DecodeChatRequest([]byte(`{"Model":"m","messages":[{"role":"user","content":"x"}]}`)); err == nil {
		t.Error(`"Model" must not count as "model"`)
	}
}

func TestDecodeGatewayExtras(t *testing.T) {
	id, uc, err := DecodeGatewayExtras([]byte(`{"input":"x","client_request_id":"r-1","usage_context":{"a":"b"}}`))
	if err != nil || id != "r-1" || uc["a"] != "b" {
		t.Fatalf("got %q %v %v", id, uc, err)
	}
	id, uc, err = DecodeGatewayExtras([]byte(`{"input":"x"}`))
	if err != nil || id != "" || uc != nil {
		t.Fatalf("absent extras: %q %v %v", id, uc, err)
	}
	_, _, err = DecodeGatewayExtras([]byte(`{"usage_context":"x"}`))
	if e := mustInvalid(t, err); e.Param != "usage_context" {
		t.Errorf("param = %q", e.Param)
	}
}
