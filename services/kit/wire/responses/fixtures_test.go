package responses

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/tollgate/tollgate/services/kit/wire/internal/capture"

	"google.golang.org/protobuf/encoding/prototext"
	"google.golang.org/protobuf/proto"

	inferencev1 "github.com/tollgate/tollgate/gen/go/tollgate/inference/v1"
	"github.com/tollgate/tollgate/services/kit/wire/anthropic"
	"github.com/tollgate/tollgate/services/kit/wire/openai"
)

// fixture is one captured client request and the reply it accepted.
type fixture = capture.Exchange

func loadFixtures(t testing.TB) []fixture {
	t.Helper()
	var out []fixture
	for _, f := range capture.Load(t, "testdata/fixtures") {
		if f.Method == "POST" && f.Path == "/v1/responses" {
			out = append(out, f)
		}
	}
	return out
}

// capturedRequest is what the tests compare the canonical request against.
type capturedRequest struct {
	Model             string            `json:"model"`
	Stream            bool              `json:"stream"`
	Input             json.RawMessage   `json:"input"`
	Tools             []json.RawMessage `json:"tools"`
	ToolChoice        string            `json:"tool_choice"`
	ParallelToolCalls *bool             `json:"parallel_tool_calls"`
	Temperature       *float64          `json:"temperature"`
}

type capturedItem struct {
	Type    string          `json:"type"`
	Role    string          `json:"role"`
	CallID  string          `json:"call_id"`
	Name    string          `json:"name"`
	Args    string          `json:"arguments"`
	Output  string          `json:"output"`
	Content json.RawMessage `json:"content"`
}

type capturedTool struct {
	Type  string         `json:"type"`
	Name  string         `json:"name"`
	Tools []capturedTool `json:"tools"`
}

// TestFixtureRequests: every captured Responses request decodes into a
// canonical request that matches it, translates fully, re-encodes for an
// OpenAI Chat provider, an Anthropic provider and a Responses provider (and
// back to the same canonical request), and passes through with only its
// model changed.
func TestFixtureRequests(t *testing.T) {
	for _, f := range loadFixtures(t) {
		t.Run(f.Source, func(t *testing.T) {
			var want capturedRequest
			if err := json.Unmarshal(f.Body, &want); err != nil {
				t.Fatal(err)
			}
			r, err := DecodeRequest(f.Body)
			if err != nil {
				t.Fatalf("decode: %v", err)
			}
			checkAgainstCapture(t, r, &want)
			if note := CheckTranslatable(r); note != nil {
				t.Errorf("captured request reported untranslatable: %v", note)
			}

			chat, err := openai.BuildChatRequest(r, "gpt-4o-mini", openai.BuildOptions{})
			if err != nil {
				t.Fatalf("build for an OpenAI Chat provider: %v", err)
			}
			back, err := openai.DecodeChatRequest(chat)
			if err != nil {
				t.Fatalf("chat body does not decode: %v", err)
			}
			if len(back.GetMessages()) != len(r.GetMessages()) || len(back.GetTools()) != len(r.GetTools()) {
				t.Errorf("chat body has %d messages and %d tools, want %d and %d",
					len(back.GetMessages()), len(back.GetTools()), len(r.GetMessages()), len(r.GetTools()))
			}

			// Codex talking to Claude: the main cross-dialect path.
			msgs, err := anthropic.BuildRequest(r, "claude-model")
			if err != nil {
				t.Fatalf("build for an Anthropic provider: %v", err)
			}
			if _, err := anthropic.DecodeRequest(msgs); err != nil {
				t.Fatalf("Anthropic body does not decode: %v", err)
			}

			built, err := BuildRequest(r, "provider-model")
			if err != nil {
				t.Fatalf("build for a Responses provider: %v", err)
			}
			again, err := DecodeRequest(built)
			if err != nil {
				t.Fatalf("built body does not decode: %v\n%s", err, built)
			}
			if again.GetModel() != "provider-model" {
				t.Errorf("built model %q", again.GetModel())
			}
			if err := diffRequests(normalized(r), normalized(again)); err != nil {
				t.Errorf("build and decode changed the request: %v", err)
			}

			checkPassthrough(t, f.Body, "upstream-model")
		})
	}
}

func checkAgainstCapture(t *testing.T, r *inferencev1.ChatRequest, want *capturedRequest) {
	t.Helper()
	if r.GetModel() != want.Model || r.GetSource().GetClientModel() != want.Model {
		t.Errorf("model %q / client model %q, want %q", r.GetModel(), r.GetSource().GetClientModel(), want.Model)
	}
	if r.GetStream() != want.Stream || r.GetIncludeUsage() != want.Stream {
		t.Errorf("stream %v include_usage %v, want %v", r.GetStream(), r.GetIncludeUsage(), want.Stream)
	}
	if r.GetSource().GetDialect() != inferencev1.Dialect_DIALECT_OPENAI_RESPONSES {
		t.Errorf("dialect %v", r.GetSource().GetDialect())
	}
	if want.ParallelToolCalls != nil && r.GetParallelToolCalls() != *want.ParallelToolCalls {
		t.Errorf("parallel_tool_calls %v", r.GetParallelToolCalls())
	}
	if want.Temperature != nil && r.GetSampling().GetTemperature() != *want.Temperature {
		t.Errorf("temperature %v", r.GetSampling().GetTemperature())
	}
	if want.ToolChoice == "auto" && r.GetToolChoice().GetMode() != inferencev1.ToolChoiceMode_TOOL_CHOICE_MODE_AUTO {
		t.Errorf("tool choice %v", r.GetToolChoice())
	}

	// Tools: function tools as they are, namespaces flattened, hosted raw.
	var wantTools []string
	for _, raw := range want.Tools {
		var ct capturedTool
		if err := json.Unmarshal(raw, &ct); err != nil {
			t.Fatal(err)
		}
		switch ct.Type {
		case "namespace":
			for _, inner := range ct.Tools {
				wantTools = append(wantTools, "function:"+inner.Name)
			}
		case "function":
			wantTools = append(wantTools, "function:"+ct.Name)
		default:
			wantTools = append(wantTools, ct.Type+":")
		}
	}
	var gotTools []string
	for _, tl := range r.GetTools() {
		gotTools = append(gotTools, tl.GetType()+":"+tl.GetName())
		if tl.GetType() == "function" && !json.Valid([]byte(tl.GetParametersJson())) {
			t.Errorf("tool %s parameters are not JSON", tl.GetName())
		}
		if tl.GetType() != "function" && !json.Valid([]byte(tl.GetRawJson())) {
			t.Errorf("hosted tool %s has no raw definition", tl.GetType())
		}
	}
	if !slices.Equal(gotTools, wantTools) {
		t.Errorf("tools\n got %v\nwant %v", gotTools, wantTools)
	}

	// Messages: one per user/system/developer message item, assistant-side
	// items merged, one tool message per call output.
	if len(want.Input) > 0 && want.Input[0] == '"' {
		var s string
		_ = json.Unmarshal(want.Input, &s)
		msgs := r.GetMessages()
		if len(msgs) != 1 || msgs[0].GetRole() != inferencev1.Role_ROLE_USER || msgs[0].GetContent()[0].GetText() != s {
			t.Errorf("string input decoded as %v", msgs)
		}
		return
	}
	var items []capturedItem
	if err := json.Unmarshal(want.Input, &items); err != nil {
		t.Fatal(err)
	}
	var wantRoles []string
	for _, it := range items {
		switch {
		case it.Type == "function_call":
			if len(wantRoles) == 0 || wantRoles[len(wantRoles)-1] != "ROLE_ASSISTANT" {
				wantRoles = append(wantRoles, "ROLE_ASSISTANT")
			}
		case it.Type == "function_call_output":
			wantRoles = append(wantRoles, "ROLE_TOOL")
		default:
			wantRoles = append(wantRoles, "ROLE_"+strings.ToUpper(it.Role))
		}
	}
	var gotRoles []string
	for _, m := range r.GetMessages() {
		gotRoles = append(gotRoles, m.GetRole().String())
	}
	if !slices.Equal(gotRoles, wantRoles) {
		t.Fatalf("roles\n got %v\nwant %v", gotRoles, wantRoles)
	}
	msgs := r.GetMessages()
	for i, it := range items {
		switch it.Type {
		case "function_call":
			calls := msgs[len(msgs)-2].GetToolCalls() // the fixtures end with call, output
			if len(calls) != 1 || calls[0].GetId() != it.CallID || calls[0].GetName() != it.Name || calls[0].GetArgumentsJson() != it.Args {
				t.Errorf("item %d: tool call decoded as %v", i, calls)
			}
		case "function_call_output":
			m := msgs[len(msgs)-1]
			if m.GetToolCallId() != it.CallID || m.GetName() != "exec_command" || m.GetContent()[0].GetText() != it.Output {
				t.Errorf("item %d: tool output decoded as %v", i, m)
			}
		}
	}
	last := items[len(items)-1]
	if last.Type != "function_call_output" {
		// The user's prompt is the last text of the last message.
		var parts []struct {
			Text string `json:"text"`
		}
		var text string
		if json.Unmarshal(last.Content, &parts) == nil {
			text = parts[len(parts)-1].Text
		} else {
			_ = json.Unmarshal(last.Content, &text)
		}
		content := msgs[len(msgs)-1].GetContent()
		if got := content[len(content)-1].GetText(); got != text {
			t.Errorf("last message text %q, want %q", got, text)
		}
	}
}

// diffRequests names the first difference between two requests, briefly.
func diffRequests(want, got *inferencev1.ChatRequest) error {
	if proto.Equal(want, got) {
		return nil
	}
	short := func(m proto.Message) string {
		s := prototext.Format(m)
		if len(s) > 600 {
			s = s[:600] + "…"
		}
		return s
	}
	if len(want.GetMessages()) != len(got.GetMessages()) {
		return fmt.Errorf("%d messages, want %d", len(got.GetMessages()), len(want.GetMessages()))
	}
	for i := range want.GetMessages() {
		if !proto.Equal(want.GetMessages()[i], got.GetMessages()[i]) {
			return fmt.Errorf("message %d\n got: %s\nwant: %s", i, short(got.GetMessages()[i]), short(want.GetMessages()[i]))
		}
	}
	if len(want.GetTools()) != len(got.GetTools()) {
		return fmt.Errorf("%d tools, want %d", len(got.GetTools()), len(want.GetTools()))
	}
	for i := range want.GetTools() {
		if !proto.Equal(want.GetTools()[i], got.GetTools()[i]) {
			return fmt.Errorf("tool %d\n got: %s\nwant: %s", i, short(got.GetTools()[i]), short(want.GetTools()[i]))
		}
	}
	w, g := proto.Clone(want).(*inferencev1.ChatRequest), proto.Clone(got).(*inferencev1.ChatRequest)
	w.Messages, g.Messages, w.Tools, g.Tools = nil, nil, nil, nil
	return fmt.Errorf("\n got: %s\nwant: %s", short(g), short(w))
}

// normalized is r without what a rebuild legitimately changes: the model,
// the source, and JSON spelling inside schemas and hosted tools.
func normalized(r *inferencev1.ChatRequest) *inferencev1.ChatRequest {
	c := proto.Clone(r).(*inferencev1.ChatRequest)
	c.Model, c.Source = "", nil
	for _, t := range c.GetTools() {
		t.ParametersJson = compact(t.ParametersJson)
		t.RawJson = compact(t.RawJson)
	}
	return c
}

func compact(s string) string {
	if s == "" {
		return s
	}
	var b bytes.Buffer
	if json.Compact(&b, []byte(s)) != nil {
		return s
	}
	return b.String()
}

// checkPassthrough: the rewritten body has the new model and every other
// top-level member byte for byte.
func checkPassthrough(t *testing.T, body []byte, model string) {
	t.Helper()
	out, err := RewriteForUpstream(body, model)
	if err != nil {
		t.Fatalf("rewrite: %v", err)
	}
	var before, after map[string]json.RawMessage
	if err := json.Unmarshal(body, &before); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(out, &after); err != nil {
		t.Fatalf("rewritten body is not JSON: %v", err)
	}
	if string(after["model"]) != `"`+model+`"` {
		t.Errorf("rewritten model %s", after["model"])
	}
	if len(after) != len(before) {
		t.Errorf("rewrite changed the member count: %d -> %d", len(before), len(after))
	}
	for k, v := range before {
		if k != "model" && !bytes.Equal(v, after[k]) {
			t.Errorf("member %q changed", k)
		}
	}
	if len(out)-len(body) != len(model)-len(string(before["model"]))+2 {
		t.Errorf("rewrite changed more than the model: %d -> %d bytes", len(body), len(out))
	}
}

// sseEvent is one event of a captured stream.
type sseEvent struct {
	event string
	data  []byte
}

func parseSSE(t testing.TB, text string) []sseEvent {
	t.Helper()
	var out []sseEvent
	for _, block := range strings.Split(strings.ReplaceAll(text, "\r\n", "\n"), "\n\n") {
		var ev sseEvent
		for _, line := range strings.Split(block, "\n") {
			switch {
			case strings.HasPrefix(line, "event:"):
				ev.event = strings.TrimSpace(strings.TrimPrefix(line, "event:"))
			case strings.HasPrefix(line, "data:"):
				ev.data = append(ev.data, strings.TrimPrefix(strings.TrimPrefix(line, "data:"), " ")...)
			}
		}
		if len(ev.data) > 0 {
			out = append(out, ev)
		}
	}
	return out
}

func eventTypes(t testing.TB, evs []sseEvent) []string {
	t.Helper()
	out := make([]string, len(evs))
	for i, ev := range evs {
		var head struct {
			Type string `json:"type"`
		}
		if err := json.Unmarshal(ev.data, &head); err != nil {
			t.Fatalf("event %d is not JSON: %v", i, err)
		}
		out[i] = head.Type
	}
	return out
}

// fixtureChunks is the canonical stream a provider of another dialect would
// produce for what the fixture's captured stream says: the text in the same
// deltas, or the same function call.
func fixtureChunks(t testing.TB, evs []sseEvent) []*inferencev1.ChatChunk {
	t.Helper()
	chunks := []*inferencev1.ChatChunk{{Id: "chatcmpl-1", Created: 1795557312,
		Deltas: []*inferencev1.ChoiceDelta{{Role: inferencev1.Role_ROLE_ASSISTANT}}}}
	finish := inferencev1.FinishReason_FINISH_REASON_STOP
	for _, ev := range evs {
		var e struct {
			Type  string `json:"type"`
			Delta string `json:"delta"`
			Item  struct {
				Type   string `json:"type"`
				CallID string `json:"call_id"`
				Name   string `json:"name"`
			} `json:"item"`
		}
		if err := json.Unmarshal(ev.data, &e); err != nil {
			t.Fatal(err)
		}
		d := &inferencev1.ChoiceDelta{}
		switch {
		case e.Type == "response.output_text.delta":
			d.Text = e.Delta
		case e.Type == "response.output_item.added" && e.Item.Type == "function_call":
			d.ToolCalls = []*inferencev1.ToolCallDelta{{Id: e.Item.CallID, Name: e.Item.Name}}
			finish = inferencev1.FinishReason_FINISH_REASON_TOOL_CALLS
		case e.Type == "response.function_call_arguments.delta":
			d.ToolCalls = []*inferencev1.ToolCallDelta{{ArgumentsJson: e.Delta}}
		default:
			continue
		}
		chunks = append(chunks, &inferencev1.ChatChunk{Id: "chatcmpl-1", Deltas: []*inferencev1.ChoiceDelta{d}})
	}
	return append(chunks, &inferencev1.ChatChunk{Id: "chatcmpl-1",
		Deltas: []*inferencev1.ChoiceDelta{{FinishReason: finish}},
		Usage:  &inferencev1.Usage{InputTokens: 10, OutputTokens: 3, TotalTokens: 13}})
}

func encodeAll(enc *StreamEncoder, chunks []*inferencev1.ChatChunk) []sseEvent {
	var out []sseEvent
	for _, c := range chunks {
		for _, f := range enc.Encode(c) {
			out = append(out, sseEvent{event: f.Event, data: bytes.Clone(f.Data)})
		}
	}
	for _, f := range enc.Finish() {
		out = append(out, sseEvent{event: f.Event, data: bytes.Clone(f.Data)})
	}
	return out
}

// TestFixtureStreams: for the same content, the stream encoder produces
// exactly the event sequence of each full captured stream the client
// accepted, and contains every event (with every member) of the minimal
// streams the clients still accepted.
func TestFixtureStreams(t *testing.T) {
	full, minimal := 0, 0
	for _, f := range loadFixtures(t) {
		if !strings.HasPrefix(strings.TrimSpace(f.ResponseBody), "event:") && !strings.HasPrefix(strings.TrimSpace(f.ResponseBody), "data:") {
			continue
		}
		t.Run(f.Source, func(t *testing.T) {
			captured := parseSSE(t, f.ResponseBody)
			got := encodeAll(NewStreamEncoder("client-model"), fixtureChunks(t, captured))
			checkFrames(t, got)
			gotTypes, wantTypes := eventTypes(t, got), eventTypes(t, captured)
			if strings.HasPrefix(f.Source, "minimal-accepted/") {
				minimal++
				checkContains(t, captured, got)
				return
			}
			full++
			if !slices.Equal(gotTypes, wantTypes) {
				t.Errorf("event sequence\n got %v\nwant %v", gotTypes, wantTypes)
			}
			checkContains(t, captured, got)
		})
	}
	if full == 0 || minimal == 0 {
		t.Fatalf("checked %d full and %d minimal streams", full, minimal)
	}
}

// checkFrames: every frame's data is JSON whose type is the event name, with
// sequence numbers counting up from 0.
func checkFrames(t *testing.T, frames []sseEvent) {
	t.Helper()
	for i, f := range frames {
		var head struct {
			Type string `json:"type"`
			Seq  *int   `json:"sequence_number"`
		}
		if err := json.Unmarshal(f.data, &head); err != nil {
			t.Fatalf("frame %d (%s) is not JSON: %v\n%s", i, f.event, err, f.data)
		}
		if head.Type != f.event || head.Seq == nil || *head.Seq != i {
			t.Errorf("frame %d: event %q type %q sequence %v", i, f.event, head.Type, head.Seq)
		}
	}
}

// checkContains: each captured event has a counterpart of the same type, in
// order, holding every member the captured one has, with the same values
// for the members that identify shapes and content.
func checkContains(t *testing.T, captured, got []sseEvent) {
	t.Helper()
	gotTypes := eventTypes(t, got)
	j := 0
	for _, ev := range captured {
		var want map[string]any
		if err := json.Unmarshal(ev.data, &want); err != nil {
			t.Fatal(err)
		}
		for j < len(got) && gotTypes[j] != want["type"] {
			j++
		}
		if j == len(got) {
			t.Errorf("no %v event in the encoder's output (in order)", want["type"])
			return
		}
		var have map[string]any
		_ = json.Unmarshal(got[j].data, &have)
		if err := shapeContains("", want, have); err != nil {
			t.Errorf("%v: %v", want["type"], err)
		}
		j++
	}
}

// compared are the members whose values must match, not just exist: the
// rest (ids, times, token counts) legitimately differ.
var compared = map[string]bool{"type": true, "role": true, "status": true, "object": true, "text": true,
	"name": true, "arguments": true, "call_id": true, "output_index": true, "content_index": true}

// echoed are the response members that repeat request parameters. The
// encoder answers for a provider of another dialect and does not echo them
// (null or neutral values): the captured clients read none of them, as the
// minimal accepted streams show.
var echoed = map[string]bool{"temperature": true, "top_p": true, "tools": true, "reasoning": true,
	"tool_choice": true, "parallel_tool_calls": true, "store": true, "text": true, "truncation": true,
	"instructions": true, "max_output_tokens": true, "metadata": true, "user": true}

func shapeContains(path string, want, have any) error {
	switch w := want.(type) {
	case map[string]any:
		h, ok := have.(map[string]any)
		if !ok {
			return fmt.Errorf("%s: want an object, have %T", path, have)
		}
		for k, wv := range w {
			hv, ok := h[k]
			if !ok {
				return fmt.Errorf("%s.%s missing", path, k)
			}
			if path == ".response" && echoed[k] || path == "" && echoed[k] {
				continue // present, possibly null: see echoed
			}
			if compared[k] && !isContainer(wv) && fmt.Sprint(wv) != fmt.Sprint(hv) {
				return fmt.Errorf("%s.%s = %v, want %v", path, k, hv, wv)
			}
			if err := shapeContains(path+"."+k, wv, hv); err != nil {
				return err
			}
		}
	case []any:
		h, ok := have.([]any)
		if !ok || len(h) < len(w) {
			return fmt.Errorf("%s: want %d elements, have %v", path, len(w), have)
		}
		for i := range w {
			if err := shapeContains(fmt.Sprintf("%s[%d]", path, i), w[i], h[i]); err != nil {
				return err
			}
		}
	case nil:
	default:
		if have == nil && w != nil {
			return fmt.Errorf("%s: want %v, have null", path, w)
		}
	}
	return nil
}

func isContainer(v any) bool {
	switch v.(type) {
	case map[string]any, []any:
		return true
	}
	return false
}

// TestFixtureStreamsParse: the captured streams, read as a provider's
// answer, give the canonical content, finish reason and usage, and every
// frame comes back out of the encoder byte for byte for a same-dialect
// client.
func TestFixtureStreamsParse(t *testing.T) {
	for _, f := range loadFixtures(t) {
		if !strings.Contains(f.ResponseBody, "response.completed") {
			continue
		}
		t.Run(f.Source, func(t *testing.T) {
			captured := parseSSE(t, f.ResponseBody)
			p := NewStreamParser()
			enc := NewStreamEncoder("client-model")
			var text, args, callID, name string
			var finish inferencev1.FinishReason
			var usage *inferencev1.Usage
			for i, ev := range captured {
				chunks, err := p.Parse(ev.event, ev.data)
				if err != nil {
					t.Fatalf("event %d: %v", i, err)
				}
				if len(chunks) != 1 || !bytes.Equal(chunks[0].GetRaw(), ev.data) {
					t.Fatalf("event %d: %d chunks, raw kept %v", i, len(chunks), len(chunks) > 0 && bytes.Equal(chunks[0].GetRaw(), ev.data))
				}
				c := chunks[0]
				for _, d := range c.GetDeltas() {
					text += d.GetText()
					for _, tc := range d.GetToolCalls() {
						args += tc.GetArgumentsJson()
						callID += tc.GetId()
						name += tc.GetName()
					}
					if d.GetFinishReason() != 0 {
						finish = d.GetFinishReason()
					}
				}
				if c.GetUsage() != nil {
					usage = c.GetUsage()
				}
				frames := enc.Encode(c)
				if len(frames) != 1 || !bytes.Equal(frames[0].Data, ev.data) || frames[0].Event != eventTypes(t, []sseEvent{ev})[0] {
					t.Fatalf("event %d not forwarded byte for byte: %v", i, frames)
				}
			}
			if enc.Finish() != nil {
				t.Error("Finish after a forwarded response.completed added frames")
			}
			wantFinish := inferencev1.FinishReason_FINISH_REASON_STOP
			if strings.Contains(f.ResponseBody, `"function_call"`) {
				wantFinish = inferencev1.FinishReason_FINISH_REASON_TOOL_CALLS
				if callID == "" || name != "exec_command" || !json.Valid([]byte(args)) {
					t.Errorf("tool call id %q name %q args %q", callID, name, args)
				}
			} else if text != "hello from capture" {
				t.Errorf("text %q", text)
			}
			if finish != wantFinish {
				t.Errorf("finish %v, want %v", finish, wantFinish)
			}
			if strings.Contains(f.ResponseBody, `"input_tokens"`) && (usage.GetInputTokens() == 0 || usage.GetTotalTokens() != usage.GetInputTokens()+usage.GetOutputTokens()) {
				t.Errorf("usage %v", usage)
			}
		})
	}
}

// TestFixtureUnaryResponses: EncodeResponse writes every member the
// captured unary replies have, and ParseResponse reads those replies.
func TestFixtureUnaryResponses(t *testing.T) {
	n := 0
	for _, f := range loadFixtures(t) {
		body := strings.TrimSpace(f.ResponseBody)
		if !strings.HasPrefix(body, "{") {
			continue
		}
		n++
		t.Run(f.Source, func(t *testing.T) {
			parsed, err := ParseResponse([]byte(body))
			if err != nil {
				t.Fatal(err)
			}
			if got := parsed.GetChoices()[0].GetMessage().GetContent()[0].GetText(); got != "hello from capture" {
				t.Errorf("parsed text %q", got)
			}
			if parsed.GetUsage().GetTotalTokens() != 13 || parsed.GetChoices()[0].GetFinishReason() != inferencev1.FinishReason_FINISH_REASON_STOP {
				t.Errorf("parsed usage %v finish %v", parsed.GetUsage(), parsed.GetChoices()[0].GetFinishReason())
			}
			out := EncodeResponse(parsed, "gpt-4o-mini")
			var want, have map[string]any
			if err := json.Unmarshal([]byte(body), &want); err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal(out, &have); err != nil {
				t.Fatalf("encoded response is not JSON: %v", err)
			}
			if err := shapeContains("", want, have); err != nil {
				t.Errorf("encoded response lacks what the client accepted: %v\n%s", err, out)
			}
		})
	}
	if n == 0 {
		t.Fatal("no unary fixtures")
	}
}
