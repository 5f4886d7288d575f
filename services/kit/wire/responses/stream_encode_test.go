package responses

import (
	"bytes"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	inferencev1 "github.com/tollgate/tollgate/gen/go/tollgate/inference/v1"
	"github.com/tollgate/tollgate/services/kit/errs"
)

func delta(d *inferencev1.ChoiceDelta) *inferencev1.ChatChunk {
	return &inferencev1.ChatChunk{Id: "gen-1", Created: 1700000000, Deltas: []*inferencev1.ChoiceDelta{d}}
}

func types(t *testing.T, evs []sseEvent) []string { return eventTypes(t, evs) }

func dataOf(t *testing.T, evs []sseEvent, typ string) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, ev := range evs {
		if ev.event == typ {
			var m map[string]any
			if err := json.Unmarshal(ev.data, &m); err != nil {
				t.Fatal(err)
			}
			out = append(out, m)
		}
	}
	return out
}

// Reasoning, then text, then two parallel tool calls, then the finish and
// the usage: each kind opens its own item, announced before its deltas and
// closed with its done events before the next kind starts.
func TestStreamEncoderItems(t *testing.T) {
	chunks := []*inferencev1.ChatChunk{
		delta(&inferencev1.ChoiceDelta{Role: inferencev1.Role_ROLE_ASSISTANT}),
		delta(&inferencev1.ChoiceDelta{Reasoning: "Let me "}),
		delta(&inferencev1.ChoiceDelta{Reasoning: "think.", ReasoningSignature: "sig-1"}),
		delta(&inferencev1.ChoiceDelta{Text: "Checking "}),
		delta(&inferencev1.ChoiceDelta{Text: "both."}),
		delta(&inferencev1.ChoiceDelta{ToolCalls: []*inferencev1.ToolCallDelta{{Index: 0, Id: "call_a", Name: "read"}}}),
		delta(&inferencev1.ChoiceDelta{ToolCalls: []*inferencev1.ToolCallDelta{{Index: 0, ArgumentsJson: `{"path":`}}}),
		delta(&inferencev1.ChoiceDelta{ToolCalls: []*inferencev1.ToolCallDelta{{Index: 1, Id: "call_b", Name: "read", ArgumentsJson: `{"path":"b"}`}}}),
		delta(&inferencev1.ChoiceDelta{ToolCalls: []*inferencev1.ToolCallDelta{{Index: 0, ArgumentsJson: `"a"}`}}}),
		delta(&inferencev1.ChoiceDelta{FinishReason: inferencev1.FinishReason_FINISH_REASON_TOOL_CALLS}),
		{Id: "gen-1", Usage: &inferencev1.Usage{InputTokens: 7, OutputTokens: 5}},
	}
	evs := encodeAll(NewStreamEncoder("ep"), chunks)
	checkFrames(t, evs)
	want := []string{
		"response.created", "response.in_progress",
		"response.output_item.added", "response.reasoning_summary_part.added",
		"response.reasoning_summary_text.delta", "response.reasoning_summary_text.delta",
		"response.reasoning_summary_text.done", "response.reasoning_summary_part.done", "response.output_item.done",
		"response.output_item.added", "response.content_part.added",
		"response.output_text.delta", "response.output_text.delta",
		"response.output_text.done", "response.content_part.done", "response.output_item.done",
		"response.output_item.added", "response.function_call_arguments.delta",
		"response.output_item.added", "response.function_call_arguments.delta",
		"response.function_call_arguments.delta",
		"response.function_call_arguments.done", "response.output_item.done",
		"response.function_call_arguments.done", "response.output_item.done",
		"response.completed",
	}
	if got := types(t, evs); !slices.Equal(got, want) {
		t.Fatalf("events\n got %v\nwant %v", got, want)
	}
	done := dataOf(t, evs, "response.output_item.done")
	rs, msg, a, b := done[0]["item"].(map[string]any), done[1]["item"].(map[string]any), done[2]["item"].(map[string]any), done[3]["item"].(map[string]any)
	if rs["encrypted_content"] != "sig-1" || rs["summary"].([]any)[0].(map[string]any)["text"] != "Let me think." {
		t.Errorf("reasoning item %v", rs)
	}
	if msg["content"].([]any)[0].(map[string]any)["text"] != "Checking both." {
		t.Errorf("message item %v", msg)
	}
	if a["arguments"] != `{"path":"a"}` || a["call_id"] != "call_a" || b["arguments"] != `{"path":"b"}` || b["call_id"] != "call_b" {
		t.Errorf("calls %v %v", a, b)
	}
	// Argument deltas name their own item.
	argDeltas := dataOf(t, evs, "response.function_call_arguments.delta")
	if argDeltas[0]["output_index"] != 2.0 || argDeltas[1]["output_index"] != 3.0 || argDeltas[2]["output_index"] != 2.0 || argDeltas[2]["item_id"] != a["id"] {
		t.Errorf("argument deltas %v", argDeltas)
	}
	final := decodeResp(t, mustField(t, dataOf(t, evs, "response.completed")[0], "response"))
	if final.Status != "completed" || len(final.Output) != 4 || final.Usage == nil || final.Usage.TotalTokens != 12 || final.Model != "ep" || final.ID != "resp_gen-1" {
		t.Errorf("completed response %+v", final)
	}
	created := decodeResp(t, mustField(t, dataOf(t, evs, "response.created")[0], "response"))
	if created.Status != "in_progress" || created.ID != final.ID || created.Usage != nil || len(created.Output) != 0 {
		t.Errorf("created response %+v", created)
	}
}

func mustField(t *testing.T, m map[string]any, k string) []byte {
	t.Helper()
	b, err := json.Marshal(m[k])
	if err != nil || m[k] == nil {
		t.Fatalf("no %s in %v", k, m)
	}
	return b
}

func TestStreamEncoderIncomplete(t *testing.T) {
	evs := encodeAll(NewStreamEncoder("ep"), []*inferencev1.ChatChunk{
		delta(&inferencev1.ChoiceDelta{Text: "cut"}),
		delta(&inferencev1.ChoiceDelta{FinishReason: inferencev1.FinishReason_FINISH_REASON_LENGTH}),
	})
	last := evs[len(evs)-1]
	if last.event != "response.incomplete" {
		t.Fatalf("last event %s", last.event)
	}
	r := decodeResp(t, mustField(t, dataOf(t, evs, "response.incomplete")[0], "response"))
	if r.Status != "incomplete" || r.IncompleteDetails == nil || r.IncompleteDetails.Reason != "max_output_tokens" || r.Output[0]["status"] != "incomplete" {
		t.Errorf("incomplete response %+v", r)
	}
	if it := dataOf(t, evs, "response.output_item.done")[0]["item"].(map[string]any); it["status"] != "incomplete" {
		t.Errorf("cut message done as %v", it["status"])
	}
}

func TestStreamEncoderEmptyAndFinishTwice(t *testing.T) {
	enc := NewStreamEncoder("ep")
	var evs []sseEvent
	for _, f := range enc.Finish() {
		evs = append(evs, sseEvent{event: f.Event, data: bytes.Clone(f.Data)})
	}
	if got := types(t, evs); !slices.Equal(got, []string{"response.created", "response.in_progress", "response.completed"}) {
		t.Errorf("empty stream %v", got)
	}
	if enc.Finish() != nil || enc.Encode(delta(&inferencev1.ChoiceDelta{Text: "late"})) != nil || enc.Fail(errs.Invalid("", "x")) != nil {
		t.Error("frames after the end")
	}
}

// Fail ends the stream with response.failed and an "error" event; a rate
// limit carries the retry hint Codex parses.
func TestStreamEncoderFail(t *testing.T) {
	enc := NewStreamEncoder("ep")
	var evs []sseEvent
	collect := func(fs []Frame) {
		for _, f := range fs {
			evs = append(evs, sseEvent{event: f.Event, data: bytes.Clone(f.Data)})
		}
	}
	collect(enc.Encode(delta(&inferencev1.ChoiceDelta{Text: "part"})))
	collect(enc.Fail(errs.RateLimited(1500*time.Millisecond, "the provider is rate limiting requests")))
	checkFrames(t, evs)
	got := types(t, evs)
	if !slices.Equal(got[len(got)-2:], []string{"response.failed", "error"}) {
		t.Fatalf("events %v", got)
	}
	failed := decodeResp(t, mustField(t, dataOf(t, evs, "response.failed")[0], "response"))
	if failed.Status != "failed" || failed.Error == nil || failed.Error.Code != "rate_limit_exceeded" ||
		!strings.Contains(failed.Error.Message, "Please try again in 1.5s.") {
		t.Errorf("failed response %+v", failed.Error)
	}
	if len(failed.Output) != 1 || failed.Output[0]["status"] != "incomplete" {
		t.Errorf("partial output %v", failed.Output)
	}
	ev := dataOf(t, evs, "error")[0]
	if ev["code"] != "rate_limit_exceeded" || ev["message"] != failed.Error.Message {
		t.Errorf("error event %v", ev)
	}
	if enc.Finish() != nil {
		t.Error("Finish after Fail")
	}

	// Before anything was sent: still starts with response.created.
	evs = nil
	enc = NewStreamEncoder("ep")
	collect(enc.Fail(&errs.Error{Kind: errs.KindUpstream, Message: "boom"}))
	if got := types(t, evs); !slices.Equal(got, []string{"response.created", "response.in_progress", "response.failed", "error"}) {
		t.Errorf("early failure %v", got)
	}
	if ev := dataOf(t, evs, "error")[0]; ev["code"] != "server_error" {
		t.Errorf("error event %v", ev)
	}

	// A chunk carrying a provider stream error fails the same way.
	evs = nil
	enc = NewStreamEncoder("ep")
	collect(enc.Encode(&inferencev1.ChatChunk{Error: &inferencev1.StreamError{Code: "context_length_exceeded", Message: "too long"}}))
	failed = decodeResp(t, mustField(t, dataOf(t, evs, "response.failed")[0], "response"))
	if failed.Error.Code != "context_length_exceeded" || failed.Error.Message != "too long" {
		t.Errorf("stream error %+v", failed.Error)
	}
}

// Custom tool calls arrive as JSON arguments {"input": …} and leave as
// custom_tool_call items with the free-form input; namespaced functions
// carry their namespace.
func TestStreamEncoderToolShapes(t *testing.T) {
	req, err := DecodeRequest([]byte(`{"model":"m","input":"x","tools":[
	  {"type":"namespace","name":"ns","description":"d","tools":[{"type":"function","name":"inner"}]},
	  {"type":"custom","name":"apply_patch"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	evs := encodeAll(NewStreamEncoder("ep", WithRequest(req)), []*inferencev1.ChatChunk{
		delta(&inferencev1.ChoiceDelta{ToolCalls: []*inferencev1.ToolCallDelta{{Index: 0, Id: "c1", Name: "apply_patch", ArgumentsJson: `{"input":"line1\n`}}}),
		delta(&inferencev1.ChoiceDelta{ToolCalls: []*inferencev1.ToolCallDelta{{Index: 0, ArgumentsJson: `line2"}`}}}),
		delta(&inferencev1.ChoiceDelta{ToolCalls: []*inferencev1.ToolCallDelta{{Index: 1, Id: "c2", Name: "inner", ArgumentsJson: `{}`}}}),
	})
	checkFrames(t, evs)
	added := dataOf(t, evs, "response.output_item.added")
	if it := added[0]["item"].(map[string]any); it["type"] != "custom_tool_call" || it["input"] != "" {
		t.Errorf("custom call announced as %v", it)
	}
	if it := added[1]["item"].(map[string]any); it["type"] != "function_call" || it["namespace"] != "ns" {
		t.Errorf("namespaced call announced as %v", it)
	}
	if d := dataOf(t, evs, "response.custom_tool_call_input.done"); len(d) != 1 || d[0]["input"] != "line1\nline2" {
		t.Errorf("custom input done %v", d)
	}
	done := dataOf(t, evs, "response.output_item.done")
	if it := done[0]["item"].(map[string]any); it["input"] != "line1\nline2" || it["call_id"] != "c1" {
		t.Errorf("custom call done %v", it)
	}
	for _, ev := range evs {
		if ev.event == "response.function_call_arguments.delta" && bytes.Contains(ev.data, []byte("line1")) {
			t.Error("custom input streamed as function arguments")
		}
	}
}

// A same-dialect provider's frames are forwarded byte for byte; the
// encoder adds nothing after the provider's terminal event, and fails the
// stream if the provider stopped without one.
func TestStreamEncoderPassthrough(t *testing.T) {
	raw := func(event, data string) *inferencev1.ChatChunk {
		return &inferencev1.ChatChunk{Id: "resp_up", Raw: []byte(data), RawEvent: event, RawDialect: inferencev1.Dialect_DIALECT_OPENAI_RESPONSES,
			Deltas: []*inferencev1.ChoiceDelta{{Text: "ignored"}}}
	}
	enc := NewStreamEncoder("ep")
	in := []*inferencev1.ChatChunk{
		raw("response.created", `{"type":"response.created","sequence_number":0,"response":{"id":"resp_up"}}`),
		raw("response.output_text.delta", `{"type":"response.output_text.delta","sequence_number":1,"delta":"hi"}`),
	}
	for _, c := range in {
		fs := enc.Encode(c)
		if len(fs) != 1 || fs[0].Event != c.RawEvent || !bytes.Equal(fs[0].Data, c.Raw) {
			t.Fatalf("frame %v not forwarded", fs)
		}
	}
	if fs := enc.Encode(delta(&inferencev1.ChoiceDelta{Text: "synthesized"})); fs != nil {
		t.Errorf("a chunk without raw was encoded in passthrough: %v", fs)
	}
	fs := enc.Finish()
	if len(fs) != 2 || fs[0].Event != "response.failed" || fs[1].Event != "error" || !bytes.Contains(fs[0].Data, []byte(`"sequence_number":2`)) ||
		!bytes.Contains(fs[0].Data, []byte(`"id":"resp_up"`)) {
		t.Errorf("truncated passthrough ended with %v", fs)
	}

	enc = NewStreamEncoder("ep")
	enc.Encode(raw("response.completed", `{"type":"response.completed","sequence_number":0,"response":{}}`))
	if enc.Finish() != nil {
		t.Error("frames after the provider's response.completed")
	}
}

func TestErrorFrame(t *testing.T) {
	f := ErrorFrame(errs.Invalid("input[0].role", "bad role"))
	var m map[string]any
	if err := json.Unmarshal(f.Data, &m); err != nil || f.Event != "error" {
		t.Fatalf("%s %v", f.Data, err)
	}
	if m["type"] != "error" || m["code"] != "invalid_request" || m["message"] != "bad role" || m["param"] != "input[0].role" || m["sequence_number"] != 0.0 {
		t.Errorf("error frame %v", m)
	}
}

// What a Responses client keeps of an answer is the output items of
// response.completed, sent back as input on the next turn (Codex does this
// with store false). Items the encoder wrote for another provider's answer
// must decode into the same assistant turn: reasoning with its signature,
// text, and the calls with their ids.
func TestOutputItemsReplayAsInput(t *testing.T) {
	req, err := DecodeRequest([]byte(`{"model":"m","input":"x","tools":[
	  {"type":"namespace","name":"ns","description":"d","tools":[{"type":"function","name":"inner"}]},
	  {"type":"custom","name":"apply_patch"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	evs := encodeAll(NewStreamEncoder("ep", WithRequest(req)), []*inferencev1.ChatChunk{
		delta(&inferencev1.ChoiceDelta{Reasoning: "thinking", ReasoningSignature: "EqQBsig"}),
		delta(&inferencev1.ChoiceDelta{Text: "On it."}),
		delta(&inferencev1.ChoiceDelta{ToolCalls: []*inferencev1.ToolCallDelta{{Index: 0, Id: "toolu_1", Name: "inner", ArgumentsJson: `{"a":1}`}}}),
		delta(&inferencev1.ChoiceDelta{ToolCalls: []*inferencev1.ToolCallDelta{{Index: 1, Id: "toolu_2", Name: "apply_patch", ArgumentsJson: `{"input":"diff"}`}}}),
	})
	var completed struct {
		Response struct {
			Output []json.RawMessage `json:"output"`
		} `json:"response"`
	}
	if err := json.Unmarshal(evs[len(evs)-1].data, &completed); err != nil {
		t.Fatal(err)
	}
	body := []byte(`{"model":"m","input":[` + string(bytes.Join(asBytes(completed.Response.Output), []byte(","))) + `]}`)
	next, err := DecodeRequest(body)
	if err != nil {
		t.Fatalf("output items do not decode as input: %v\n%s", err, body)
	}
	want := &inferencev1.Message{Role: inferencev1.Role_ROLE_ASSISTANT,
		Content: []*inferencev1.ContentPart{
			{Part: &inferencev1.ContentPart_Reasoning{Reasoning: &inferencev1.ReasoningPart{Text: "thinking", Signature: "EqQBsig"}}},
			text("On it."),
		},
		ToolCalls: []*inferencev1.ToolCall{
			{Id: "toolu_1", Name: "inner", ArgumentsJson: `{"a":1}`},
			{Id: "toolu_2", Name: "apply_patch", ArgumentsJson: `{"input":"diff"}`},
		}}
	if len(next.GetMessages()) != 1 || !proto.Equal(next.GetMessages()[0], want) {
		t.Errorf("replayed turn\n got %v\nwant %v", next.GetMessages(), want)
	}
}

func asBytes(raws []json.RawMessage) [][]byte {
	out := make([][]byte, len(raws))
	for i, r := range raws {
		out[i] = r
	}
	return out
}
