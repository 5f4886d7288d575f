package responses

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

func reasoning(t, enc string) *inferencev1.ContentPart {
	return &inferencev1.ContentPart{Part: &inferencev1.ContentPart_Reasoning{Reasoning: &inferencev1.ReasoningPart{Text: t, EncryptedContent: enc}}}
}

func TestDecodeRequestFull(t *testing.T) {
	body := []byte(`{
	  "model": "gpt-5",
	  "instructions": "be brief",
	  "input": [
	    {"type": "message", "role": "developer", "content": [{"type": "input_text", "text": "dev note"}]},
	    {"role": "user", "content": [
	      {"type": "input_text", "text": "what is this?"},
	      {"type": "input_image", "image_url": "data:image/png;base64,iVBORw0K", "detail": "low"},
	      {"type": "input_file", "file_data": "data:application/pdf;base64,JVBE", "filename": "a.pdf"},
	      {"type": "input_file", "file_id": "file-1"},
	      {"type": "input_audio", "input_audio": {"data": "AAEC", "format": "wav"}}
	    ]},
	    {"type": "reasoning", "id": "rs_1", "summary": [{"type": "summary_text", "text": "think"}, {"type": "summary_text", "text": "more"}], "encrypted_content": "gAAAAenc"},
	    {"type": "message", "id": "msg_1", "role": "assistant", "status": "completed", "content": [{"type": "output_text", "text": "checking", "annotations": []}]},
	    {"type": "function_call", "id": "fc_1", "status": "completed", "call_id": "call_1", "name": "get_weather", "arguments": "{\"city\":\"Paris\"}"},
	    {"type": "custom_tool_call", "call_id": "call_2", "name": "apply_patch", "input": "*** Begin Patch"},
	    {"type": "function_call_output", "call_id": "call_1", "output": "sunny"},
	    {"type": "custom_tool_call_output", "call_id": "call_2", "output": [{"type": "input_text", "text": "done"}]},
	    {"type": "web_search_call", "id": "ws_1", "status": "completed", "action": {"type": "search", "query": "x"}},
	    {"role": "user", "content": "thanks"}
	  ],
	  "tools": [
	    {"type": "function", "name": "get_weather", "description": "weather", "parameters": {"type":"object"}, "strict": true},
	    {"type": "namespace", "name": "agents", "description": "sub-agents", "tools": [
	      {"type": "function", "name": "spawn_agent", "description": "spawn", "strict": false, "parameters": {"type":"object","properties":{}}}
	    ]},
	    {"type": "custom", "name": "apply_patch", "description": "patch files", "format": {"type": "grammar", "syntax": "lark", "definition": "start: /.+/"}},
	    {"type": "web_search", "external_web_access": false}
	  ],
	  "tool_choice": {"type": "function", "name": "get_weather"},
	  "parallel_tool_calls": false,
	  "reasoning": {"effort": "high", "summary": "auto"},
	  "temperature": 0.5, "top_p": 1, "max_output_tokens": 200,
	  "stream": true,
	  "text": {"format": {"type": "json_schema", "name": "answer", "schema": {"type":"object"}, "strict": true}, "verbosity": "low"},
	  "metadata": {"team": "search"},
	  "safety_identifier": "u-1",
	  "store": false, "include": ["reasoning.encrypted_content"], "prompt_cache_key": "k", "client_metadata": {"a": "b"},
	  "truncation": "auto", "service_tier": "priority", "some_new_field": [1, {"deep": true}]
	}`)
	got, err := DecodeRequest(body)
	if err != nil {
		t.Fatalf("decode: %v", err)
	}
	want := &inferencev1.ChatRequest{
		Model: "gpt-5",
		Messages: []*inferencev1.Message{
			{Role: inferencev1.Role_ROLE_SYSTEM, Content: []*inferencev1.ContentPart{text("be brief")}},
			{Role: inferencev1.Role_ROLE_DEVELOPER, Content: []*inferencev1.ContentPart{text("dev note")}},
			{Role: inferencev1.Role_ROLE_USER, Content: []*inferencev1.ContentPart{
				text("what is this?"),
				{Part: &inferencev1.ContentPart_Image{Image: &inferencev1.Image{Url: "data:image/png;base64,iVBORw0K", MediaType: "image/png", Detail: "low"}}},
				{Part: &inferencev1.ContentPart_File{File: &inferencev1.File{Filename: "a.pdf", MediaType: "application/pdf", Data: []byte("%PD")}}},
				{Part: &inferencev1.ContentPart_File{File: &inferencev1.File{FileId: "file-1"}}},
				{Part: &inferencev1.ContentPart_Audio{Audio: &inferencev1.Audio{Data: []byte{0, 1, 2}, Format: "wav"}}},
			}},
			{Role: inferencev1.Role_ROLE_ASSISTANT,
				Content: []*inferencev1.ContentPart{reasoning("think\n\nmore", "gAAAAenc"), text("checking")},
				ToolCalls: []*inferencev1.ToolCall{
					{Id: "call_1", Name: "get_weather", ArgumentsJson: `{"city":"Paris"}`},
					{Id: "call_2", Name: "apply_patch", ArgumentsJson: `{"input":"*** Begin Patch"}`},
				}},
			{Role: inferencev1.Role_ROLE_TOOL, ToolCallId: "call_1", Name: "get_weather", Content: []*inferencev1.ContentPart{text("sunny")}},
			{Role: inferencev1.Role_ROLE_TOOL, ToolCallId: "call_2", Name: "apply_patch", Content: []*inferencev1.ContentPart{text("done")}},
			{Role: inferencev1.Role_ROLE_USER, Content: []*inferencev1.ContentPart{text("thanks")}},
		},
		Tools: []*inferencev1.Tool{
			{Type: "function", Name: "get_weather", Description: "weather", ParametersJson: `{"type":"object"}`, Strict: true},
			{Type: "function", Name: "spawn_agent", Description: "spawn", ParametersJson: `{"type":"object","properties":{}}`},
			{Type: "function", Name: "apply_patch", Description: "patch files\n\nThe input must follow this lark grammar:\nstart: /.+/", ParametersJson: customParameters},
			{Type: "web_search", RawJson: `{"type": "web_search", "external_web_access": false}`},
		},
		ToolChoice:        &inferencev1.ToolChoice{Mode: inferencev1.ToolChoiceMode_TOOL_CHOICE_MODE_FUNCTION, FunctionName: "get_weather"},
		ParallelToolCalls: ptr(false),
		Reasoning:         &inferencev1.Reasoning{Effort: "high", Enabled: true},
		Sampling:          &inferencev1.Sampling{Temperature: ptr(0.5), TopP: ptr(1.0), MaxTokens: ptr(int32(200))},
		Stream:            true,
		IncludeUsage:      true,
		ResponseFormat:    &inferencev1.ResponseFormat{Type: "json_schema", Name: "answer", SchemaJson: `{"type":"object"}`, Strict: true},
		Metadata:          map[string]string{"team": "search"},
		User:              "u-1",
		Source:            &inferencev1.Source{Dialect: inferencev1.Dialect_DIALECT_OPENAI_RESPONSES, OriginalBody: body, ClientModel: "gpt-5"},
	}
	if !proto.Equal(got, want) {
		t.Errorf("decoded\n got: %s\nwant: %s", prototext.Format(got), prototext.Format(want))
	}
	if &got.Source.OriginalBody[0] != &body[0] {
		t.Error("OriginalBody is a copy; it should alias the body")
	}
	if note := CheckTranslatable(got); note != nil {
		t.Errorf("fully translatable request reported: %v", note)
	}
}

// Thinking of another provider comes back from a Responses client as a
// reasoning item whose encrypted_content is that provider's signature; it is
// read back as the signature, while OpenAI's own tokens stay encrypted
// content.
func TestDecodeReasoningTokens(t *testing.T) {
	r, err := DecodeRequest([]byte(`{"model":"m","input":[
	  {"type":"reasoning","summary":[{"type":"summary_text","text":"claude thought"}],"encrypted_content":"EqQBCkYIBRgC"},
	  {"type":"reasoning","summary":[],"encrypted_content":"redacted-data"},
	  {"type":"reasoning","summary":[{"type":"summary_text","text":"openai"}],"encrypted_content":"gAAAAABtoken"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	parts := r.GetMessages()[0].GetContent()
	want := []*inferencev1.ReasoningPart{
		{Text: "claude thought", Signature: "EqQBCkYIBRgC"},
		{EncryptedContent: "redacted-data"},
		{Text: "openai", EncryptedContent: "gAAAAABtoken"},
	}
	for i, w := range want {
		if !proto.Equal(parts[i].GetReasoning(), w) {
			t.Errorf("part %d: %v, want %v", i, parts[i].GetReasoning(), w)
		}
	}
}

func TestDecodeRequestStringForms(t *testing.T) {
	got, err := DecodeRequest([]byte(`{"model":"m","input":"hi","instructions":null,"reasoning":{"summary":"auto"},"text":{"format":{"type":"text"}}}`))
	if err != nil {
		t.Fatal(err)
	}
	want := []*inferencev1.Message{{Role: inferencev1.Role_ROLE_USER, Content: []*inferencev1.ContentPart{text("hi")}}}
	if len(got.Messages) != 1 || !proto.Equal(got.Messages[0], want[0]) {
		t.Errorf("messages %v", got.Messages)
	}
	if got.Reasoning != nil || got.Stream || got.GetResponseFormat().GetType() != "text" {
		t.Errorf("reasoning %v stream %v format %v", got.Reasoning, got.Stream, got.ResponseFormat)
	}
	// Only previous_response_id: valid for passthrough, untranslatable.
	r, err := DecodeRequest([]byte(`{"model":"m","previous_response_id":"resp_1"}`))
	if err != nil {
		t.Fatal(err)
	}
	if note := CheckTranslatable(r); note == nil || note.Param != "previous_response_id" {
		t.Errorf("note %v", note)
	}
}

func TestDecodeRequestErrors(t *testing.T) {
	cases := []struct {
		body, param string
	}{
		{`{"input":"x"}`, "model"},
		{`{"model":""}`, "model"},
		{`{"model":1,"input":"x"}`, "model"},
		{`{"model":"m"}`, "input"},
		{`{"model":"m","input":5}`, "input"},
		{`{"model":"m","input":[{"content":"x"}]}`, "input[0].type"},
		{`{"model":"m","input":[{"role":"tool","content":"x"}]}`, "input[0].role"},
		{`{"model":"m","input":[{"role":"user"}]}`, "input[0].content"},
		{`{"model":"m","input":[{"role":"user","content":[{"type":"input_text"}]}]}`, "input[0].content[0].text"},
		{`{"model":"m","input":[{"role":"user","content":[{"type":"input_image"}]}]}`, "input[0].content[0]"},
		{`{"model":"m","input":[{"role":"user","content":[{"type":"input_file","file_data":"%%%"}]}]}`, "input[0].content[0].file_data"},
		{`{"model":"m","input":[{"type":"function_call","name":"f"}]}`, "input[0].call_id"},
		{`{"model":"m","input":[{"type":"function_call","call_id":"c"}]}`, "input[0].name"},
		{`{"model":"m","input":[{"type":"function_call","call_id":"c","name":"f","arguments":{}}]}`, "input[0].arguments"},
		{`{"model":"m","input":[{"type":"function_call_output","call_id":"c"}]}`, "input[0].output"},
		{`{"model":"m","input":[{"type":"reasoning","summary":[{"type":"summary_text","text":1}]}]}`, "input[0].summary[0].text"},
		{`{"model":"m","input":"x","tools":[{"type":"function"}]}`, "tools[0].name"},
		{`{"model":"m","input":"x","tools":[{"type":"function","name":"f","parameters":[]}]}`, "tools[0].parameters"},
		{`{"model":"m","input":"x","tools":[{"type":"namespace","name":"n","tools":[{"type":"function","name":""}]}]}`, "tools[0].tools[0].name"},
		{`{"model":"m","input":"x","tool_choice":"sometimes"}`, "tool_choice"},
		{`{"model":"m","input":"x","tool_choice":{"type":"function"}}`, "tool_choice.name"},
		{`{"model":"m","input":"x","temperature":"hot"}`, "temperature"},
		{`{"model":"m","input":"x","max_output_tokens":0}`, "max_output_tokens"},
		{`{"model":"m","input":"x","stream":"yes"}`, "stream"},
		{`{"model":"m","input":"x","text":{"format":{"type":"xml"}}}`, "text.format.type"},
		{`{"model":"m","input":"x","text":{"format":{"type":"json_schema"}}}`, "text.format.name"},
		{`{"model":"m","input":"x","reasoning":{"effort":3}}`, "reasoning.effort"},
		{`{"model":"m","input":"x","metadata":{"a":1}}`, "metadata.a"},
		{`{"model":"m","input":"x","background":"yes"}`, "background"},
		{`{"model":"m","input":"x"} x`, ""},
		{`{"model":"m",}`, ""},
		{`[]`, ""},
	}
	for _, tc := range cases {
		_, err := DecodeRequest([]byte(tc.body))
		var e *errs.Error
		if !errors.As(err, &e) || e.Kind != errs.KindInvalidArgument || e.Param != tc.param {
			t.Errorf("%s: got %v (param %q), want InvalidArgument on %q", tc.body, err, paramOf(e), tc.param)
		}
	}
}

func paramOf(e *errs.Error) string {
	if e == nil {
		return ""
	}
	return e.Param
}

// Parts of a request only OpenAI can read decode (passthrough works) but
// are reported by CheckTranslatable, naming the field.
func TestCheckTranslatable(t *testing.T) {
	cases := []struct {
		body, param string
	}{
		{`{"model":"m","input":"x","previous_response_id":"resp_1"}`, "previous_response_id"},
		{`{"model":"m","input":"x","conversation":"conv_1"}`, "conversation"},
		{`{"model":"m","prompt":{"id":"pmpt_1"}}`, "prompt"},
		{`{"model":"m","input":"x","background":true}`, "background"},
		{`{"model":"m","input":[{"role":"user","content":"a"},{"type":"compaction","encrypted_content":"x"}]}`, "input[1]"},
		{`{"model":"m","input":[{"type":"item_reference","id":"msg_1"}]}`, "input[0]"},
		{`{"model":"m","input":[{"type":"local_shell_call","call_id":"c","action":{}}]}`, "input[0]"},
		{`{"model":"m","input":[{"role":"user","content":[{"type":"input_text","text":"a"},{"type":"input_image","file_id":"file-1"}]}]}`, "input[0].content[1]"},
		{`{"model":"m","input":[{"role":"user","content":[{"type":"input_video","video_url":"u"}]}]}`, "input[0].content[0]"},
		{`{"model":"m","input":[{"type":"function_call_output","call_id":"c","output":[{"type":"input_image","file_id":"f"}]}]}`, "input[0].output[0]"},
		{`{"model":"m","input":"x","tool_choice":{"type":"web_search_preview"}}`, "tool_choice"},
		{`{"model":"m","input":"x","tool_choice":{"type":"allowed_tools","mode":"auto","tools":[]}}`, "tool_choice"},
		{`{"model":"m","input":"x","tools":[{"type":"function","name":"f"},{"type":"namespace","name":"n","tools":[{"type":"function","name":"f"}]}]}`, "tools"},
		{`{"model":"m","instructions":[{"type":"item_reference","id":"x"}],"input":"x"}`, "instructions[0]"},
	}
	for _, tc := range cases {
		r, err := DecodeRequest([]byte(tc.body))
		if err != nil {
			t.Errorf("%s: decode failed: %v", tc.body, err)
			continue
		}
		note := CheckTranslatable(r)
		if note == nil || note.Kind != errs.KindInvalidArgument || note.Param != tc.param {
			t.Errorf("%s: got %v, want InvalidArgument on %q", tc.body, note, tc.param)
			continue
		}
		if !strings.Contains(note.Message, tc.param) {
			t.Errorf("%s: message %q does not name %q", tc.body, note.Message, tc.param)
		}
	}
	// Requests of other dialects have nothing to check.
	if CheckTranslatable(&inferencev1.ChatRequest{Source: &inferencev1.Source{Dialect: inferencev1.Dialect_DIALECT_OPENAI_CHAT, OriginalBody: []byte(`{`)}}) != nil {
		t.Error("a chat request was checked")
	}
	if CheckTranslatable(nil) != nil {
		t.Error("nil request reported")
	}
}

func TestIndexTools(t *testing.T) {
	idx := indexTools([]byte(`{"model":"m","tools":[{"type":"function","name":"plain"},
	  {"type":"namespace","name":"ns","tools":[{"type":"function","name":"inner"}]},
	  {"type":"custom","name":"free"}]}`))
	if idx.namespaceOf("inner") != "ns" || idx.namespaceOf("plain") != "" || !idx.isCustom("free") || idx.isCustom("plain") {
		t.Errorf("index %+v", idx)
	}
	if x := indexTools([]byte(`not json`)); x.namespaces != nil || x.custom != nil {
		t.Errorf("bad body indexed %+v", x)
	}
}
