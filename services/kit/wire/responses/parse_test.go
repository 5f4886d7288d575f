package responses

import (
	"bytes"
	"errors"
	"testing"

	"google.golang.org/protobuf/encoding/prototext"
	"google.golang.org/protobuf/proto"

	inferencev1 "github.com/tollgate/tollgate/gen/go/tollgate/inference/v1"
	"github.com/tollgate/tollgate/services/kit/errs"
)

func TestParseResponse(t *testing.T) {
	body := []byte(`{"id":"resp_1","object":"response","created_at":1700000000.5,"status":"completed","model":"gpt-5",
	  "output":[
	    {"id":"rs_1","type":"reasoning","summary":[{"type":"summary_text","text":"a"},{"type":"summary_text","text":"b"}],"encrypted_content":"gAAAAx"},
	    {"id":"ws_1","type":"web_search_call","status":"completed","action":{"type":"search","query":"q"}},
	    {"id":"msg_1","type":"message","role":"assistant","status":"completed","content":[{"type":"output_text","text":"hi","annotations":[]},{"type":"refusal","refusal":"no"}]},
	    {"id":"fc_1","type":"function_call","status":"completed","call_id":"c1","name":"f","arguments":"{\"x\":1}"},
	    {"id":"ctc_1","type":"custom_tool_call","status":"completed","call_id":"c2","name":"apply_patch","input":"patch"}],
	  "usage":{"input_tokens":10,"input_tokens_details":{"cached_tokens":4},"output_tokens":6,"output_tokens_details":{"reasoning_tokens":2},"total_tokens":16}}`)
	got, err := ParseResponse(body)
	if err != nil {
		t.Fatal(err)
	}
	want := &inferencev1.ChatResponse{
		Id: "resp_1", Model: "gpt-5", Created: 1700000000,
		Choices: []*inferencev1.Choice{{
			Message: &inferencev1.Message{Role: inferencev1.Role_ROLE_ASSISTANT,
				Content:   []*inferencev1.ContentPart{reasoning("a\n\nb", "gAAAAx"), text("hi"), text("no")},
				ToolCalls: []*inferencev1.ToolCall{{Id: "c1", Name: "f", ArgumentsJson: `{"x":1}`}, {Id: "c2", Name: "apply_patch", ArgumentsJson: `{"input":"patch"}`}},
			},
			FinishReason:         inferencev1.FinishReason_FINISH_REASON_TOOL_CALLS,
			ProviderFinishReason: "completed",
		}},
		Usage: &inferencev1.Usage{InputTokens: 10, OutputTokens: 6, TotalTokens: 16, CacheReadInputTokens: 4, ReasoningTokens: 2},
	}
	if !proto.Equal(got, want) {
		t.Errorf("parsed\n got: %s\nwant: %s", prototext.Format(got), prototext.Format(want))
	}
}

func TestParseResponseStatus(t *testing.T) {
	cases := []struct {
		body     string
		fr       inferencev1.FinishReason
		provider string
	}{
		{`{"status":"incomplete","incomplete_details":{"reason":"max_output_tokens"},"output":[]}`, inferencev1.FinishReason_FINISH_REASON_LENGTH, "max_output_tokens"},
		{`{"status":"incomplete","incomplete_details":{"reason":"content_filter"},"output":[]}`, inferencev1.FinishReason_FINISH_REASON_CONTENT_FILTER, "content_filter"},
		{`{"status":"completed","output":[{"type":"message","content":[{"type":"output_text","text":"x"}]}]}`, inferencev1.FinishReason_FINISH_REASON_STOP, "completed"},
		{`{"status":"in_progress","output":[]}`, inferencev1.FinishReason_FINISH_REASON_UNSPECIFIED, "in_progress"},
	}
	for _, tc := range cases {
		got, err := ParseResponse([]byte(tc.body))
		if err != nil {
			t.Fatalf("%s: %v", tc.body, err)
		}
		if c := got.GetChoices()[0]; c.GetFinishReason() != tc.fr || c.GetProviderFinishReason() != tc.provider {
			t.Errorf("%s: %v %q", tc.body, c.GetFinishReason(), c.GetProviderFinishReason())
		}
	}
	_, err := ParseResponse([]byte(`{"status":"failed","error":{"code":"server_error","message":"boom"},"output":[]}`))
	var e *errs.Error
	if !errors.As(err, &e) || e.Kind != errs.KindUpstream || e.Code != "server_error" || !e.Retryable {
		t.Errorf("failed response: %v", err)
	}
	if _, err := ParseResponse([]byte(`<html>`)); err == nil {
		t.Error("non-JSON body accepted")
	}
}

// parseStream feeds events to a parser and checks each yields one chunk
// carrying the raw event.
func parseStream(t *testing.T, events ...string) []*inferencev1.ChatChunk {
	t.Helper()
	p := NewStreamParser()
	var out []*inferencev1.ChatChunk
	for _, ev := range events {
		cs, err := p.Parse("", []byte(ev))
		if err != nil {
			t.Fatalf("%s: %v", ev, err)
		}
		if len(cs) != 1 || !bytes.Equal(cs[0].GetRaw(), []byte(ev)) || cs[0].GetRawDialect() != inferencev1.Dialect_DIALECT_OPENAI_RESPONSES || cs[0].GetRawEvent() == "" {
			t.Fatalf("%s: chunks %v", ev, cs)
		}
		out = append(out, cs[0])
	}
	return out
}

// accumulated folds chunks into what a consumer would show.
type accumulated struct {
	text, reasoning, signature string
	calls                      map[int32]*inferencev1.ToolCall
	finish                     inferencev1.FinishReason
	provider                   string
	usage                      *inferencev1.Usage
	err                        *inferencev1.StreamError
	id, model                  string
	role                       bool
}

func accumulate(chunks []*inferencev1.ChatChunk) *accumulated {
	a := &accumulated{calls: map[int32]*inferencev1.ToolCall{}}
	for _, c := range chunks {
		a.id, a.model = c.GetId(), c.GetModel()
		for _, d := range c.GetDeltas() {
			a.role = a.role || d.GetRole() == inferencev1.Role_ROLE_ASSISTANT
			a.text += d.GetText()
			a.reasoning += d.GetReasoning()
			a.signature += d.GetReasoningSignature()
			for _, tc := range d.GetToolCalls() {
				call := a.calls[tc.GetIndex()]
				if call == nil {
					call = &inferencev1.ToolCall{}
					a.calls[tc.GetIndex()] = call
				}
				call.Id += tc.GetId()
				call.Name += tc.GetName()
				call.ArgumentsJson += tc.GetArgumentsJson()
			}
			if d.GetFinishReason() != 0 {
				a.finish, a.provider = d.GetFinishReason(), d.GetProviderFinishReason()
			}
		}
		if c.GetUsage() != nil {
			a.usage = c.GetUsage()
		}
		if c.GetError() != nil {
			a.err = c.GetError()
		}
	}
	return a
}

func TestStreamParser(t *testing.T) {
	chunks := parseStream(t,
		`{"type":"response.created","sequence_number":0,"response":{"id":"resp_9","created_at":1700000000,"model":"gpt-5","status":"in_progress","output":[]}}`,
		`{"type":"response.output_item.added","output_index":0,"item":{"id":"rs_1","type":"reasoning","summary":[]}}`,
		`{"type":"response.reasoning_summary_part.added","item_id":"rs_1","output_index":0,"summary_index":0,"part":{"type":"summary_text","text":""}}`,
		`{"type":"response.reasoning_summary_text.delta","item_id":"rs_1","output_index":0,"summary_index":0,"delta":"first"}`,
		`{"type":"response.reasoning_summary_part.added","item_id":"rs_1","output_index":0,"summary_index":1,"part":{"type":"summary_text","text":""}}`,
		`{"type":"response.reasoning_summary_text.delta","item_id":"rs_1","output_index":0,"summary_index":1,"delta":"second"}`,
		`{"type":"response.output_item.done","output_index":0,"item":{"id":"rs_1","type":"reasoning","summary":[{"type":"summary_text","text":"first"},{"type":"summary_text","text":"second"}],"encrypted_content":"gAAAAenc"}}`,
		`{"type":"response.output_item.added","output_index":1,"item":{"id":"msg_1","type":"message","role":"assistant","content":[]}}`,
		`{"type":"response.output_text.delta","item_id":"msg_1","output_index":1,"content_index":0,"delta":"Hel"}`,
		`{"type":"response.output_text.delta","item_id":"msg_1","output_index":1,"content_index":0,"delta":"lo"}`,
		`{"type":"response.output_item.done","output_index":1,"item":{"id":"msg_1","type":"message","role":"assistant","content":[{"type":"output_text","text":"Hello"}]}}`,
		`{"type":"response.output_item.added","output_index":2,"item":{"id":"fc_1","type":"function_call","call_id":"call_1","name":"f","arguments":""}}`,
		`{"type":"response.function_call_arguments.delta","item_id":"fc_1","output_index":2,"delta":"{\"a\":"}`,
		`{"type":"response.function_call_arguments.delta","item_id":"fc_1","output_index":2,"delta":"1}"}`,
		`{"type":"response.function_call_arguments.done","item_id":"fc_1","output_index":2,"arguments":"{\"a\":1}"}`,
		`{"type":"response.output_item.done","output_index":2,"item":{"id":"fc_1","type":"function_call","call_id":"call_1","name":"f","arguments":"{\"a\":1}"}}`,
		`{"type":"response.output_item.added","output_index":3,"item":{"id":"fc_2","type":"function_call","call_id":"call_2","name":"g","arguments":""}}`,
		`{"type":"response.function_call_arguments.done","output_index":3,"arguments":"{}"}`,
		`{"type":"response.completed","response":{"id":"resp_9","status":"completed","output":[],"usage":{"input_tokens":5,"output_tokens":3,"total_tokens":8}}}`,
	)
	a := accumulate(chunks)
	if !a.role || a.id != "resp_9" || a.model != "gpt-5" || chunks[3].GetCreated() != 1700000000 {
		t.Errorf("head: role %v id %q model %q", a.role, a.id, a.model)
	}
	if a.text != "Hello" || a.reasoning != "first\n\nsecond" || a.signature != "gAAAAenc" {
		t.Errorf("text %q reasoning %q signature %q", a.text, a.reasoning, a.signature)
	}
	if c := a.calls[0]; c == nil || c.Id != "call_1" || c.Name != "f" || c.ArgumentsJson != `{"a":1}` {
		t.Errorf("call 0 %v", c)
	}
	if c := a.calls[1]; c == nil || c.Id != "call_2" || c.Name != "g" || c.ArgumentsJson != `{}` {
		t.Errorf("call 1 (arguments only in .done) %v", c)
	}
	if a.finish != inferencev1.FinishReason_FINISH_REASON_TOOL_CALLS || a.provider != "completed" || a.usage.GetTotalTokens() != 8 {
		t.Errorf("finish %v %q usage %v", a.finish, a.provider, a.usage)
	}
}

// Items that arrive whole, without deltas (the minimal streams clients
// accept), still yield their content.
func TestStreamParserWholeItems(t *testing.T) {
	a := accumulate(parseStream(t,
		`{"type":"response.output_item.done","output_index":0,"item":{"type":"reasoning","id":"rs_1","summary":[{"type":"summary_text","text":"why"}]}}`,
		`{"type":"response.output_item.done","output_index":1,"item":{"type":"message","id":"msg_min","role":"assistant","content":[{"type":"output_text","text":"whole"}]}}`,
		`{"type":"response.output_item.done","output_index":2,"item":{"type":"function_call","id":"fc_1","call_id":"c","name":"f","arguments":"{\"x\":2}"}}`,
		`{"type":"response.output_item.done","output_index":3,"item":{"type":"custom_tool_call","id":"ctc_1","call_id":"c2","name":"apply_patch","input":"p"}}`,
		`{"type":"response.incomplete","response":{"status":"incomplete","incomplete_details":{"reason":"max_output_tokens"}}}`,
	))
	if a.text != "whole" || a.reasoning != "why" || a.calls[0].GetArgumentsJson() != `{"x":2}` || a.calls[0].GetName() != "f" || a.calls[1].GetArgumentsJson() != `{"input":"p"}` {
		t.Errorf("accumulated %+v calls %v", a, a.calls)
	}
	if a.finish != inferencev1.FinishReason_FINISH_REASON_LENGTH || a.provider != "max_output_tokens" {
		t.Errorf("finish %v %q", a.finish, a.provider)
	}
}

func TestStreamParserErrors(t *testing.T) {
	cases := []struct {
		event     string
		code, msg string
		retryable bool
	}{
		{`{"type":"response.failed","response":{"status":"failed","error":{"code":"rate_limit_exceeded","message":"Please try again in 2s."}}}`, "rate_limit_exceeded", "Please try again in 2s.", true},
		{`{"type":"response.failed","response":{"status":"failed","error":{"code":"context_length_exceeded","message":"too long"}}}`, "context_length_exceeded", "too long", false},
		{`{"type":"error","code":"server_error","message":"oops","param":null,"sequence_number":3}`, "server_error", "oops", true},
		{`{"type":"error","error":{"type":"invalid_request_error","code":"invalid_prompt","message":"bad"}}`, "invalid_prompt", "bad", false},
		{`{"type":"error"}`, "upstream_error", "the provider failed while streaming the response", true},
	}
	for _, tc := range cases {
		a := accumulate(parseStream(t, tc.event))
		if a.err == nil || a.err.GetCode() != tc.code || a.err.GetMessage() != tc.msg || a.err.GetRetryable() != tc.retryable {
			t.Errorf("%s: %v", tc.event, a.err)
		}
	}
	p := NewStreamParser()
	for _, bad := range []string{`not json`, `{"type":1}`, `{"type":"response.output_text.delta","delta":5}`, `{"type":"response.completed"}`} {
		if _, err := p.Parse("", []byte(bad)); !errors.Is(err, ErrNotEvent) {
			t.Errorf("%s: %v", bad, err)
		}
	}
	if cs, err := p.Parse("", []byte("[DONE]")); cs != nil || err != nil {
		t.Errorf("[DONE]: %v %v", cs, err)
	}
	// The SSE event name wins for RawEvent; the data's type for meaning.
	cs, err := p.Parse("response.output_text.delta", []byte(`{"type":"response.output_text.delta","delta":"x"}`))
	if err != nil || cs[0].GetRawEvent() != "response.output_text.delta" || cs[0].GetDeltas()[0].GetText() != "x" {
		t.Errorf("named event: %v %v", cs, err)
	}
}
