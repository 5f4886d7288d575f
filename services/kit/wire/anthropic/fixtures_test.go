package anthropic

import (
	"bytes"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tollgate/tollgate/services/kit/wire/internal/capture"

	inferencev1 "github.com/tollgate/tollgate/gen/go/tollgate/inference/v1"
	"github.com/tollgate/tollgate/services/kit/wire/openai"
)

// fixture is one captured client request and the reply it accepted.
type fixture = capture.Exchange

func loadFixtures(t testing.TB) []fixture { return capture.Load(t, "testdata/fixtures") }

// capturedBody is the fields of a captured request the tests compare
// against the decoded canonical request.
type capturedBody struct {
	Model     string            `json:"model"`
	Messages  []json.RawMessage `json:"messages"`
	System    json.RawMessage   `json:"system"`
	Tools     []json.RawMessage `json:"tools"`
	MaxTokens *int32            `json:"max_tokens"`
	Stream    bool              `json:"stream"`
	Thinking  *struct {
		Type   string `json:"type"`
		Budget int32  `json:"budget_tokens"`
	} `json:"thinking"`
	Metadata *struct {
		UserID string `json:"user_id"`
	} `json:"metadata"`
	ToolChoice json.RawMessage `json:"tool_choice"`
}

// TestFixtureRequests: every captured Messages request decodes into a
// sensible canonical request, re-encodes for an OpenAI provider and for an
// Anthropic one, and passes through with only its model changed.
func TestFixtureRequests(t *testing.T) {
	n := 0
	for _, f := range loadFixtures(t) {
		if f.Method != "POST" || f.Path != "/v1/messages" {
			continue
		}
		n++
		t.Run(f.Source, func(t *testing.T) {
			var want capturedBody
			if err := json.Unmarshal(f.Body, &want); err != nil {
				t.Fatal(err)
			}
			r, err := DecodeRequest(f.Body)
			if err != nil {
				t.Fatalf("decode: %v", err)
			}
			checkDecodedFixture(t, r, &want, f.Body)

			if _, err := openai.BuildChatRequest(r, "gpt-4o", openai.BuildOptions{}); err != nil {
				t.Errorf("openai.BuildChatRequest: %v", err)
			}
			rebuilt, err := BuildRequest(r, "claude-upstream")
			if err != nil {
				t.Fatalf("BuildRequest: %v", err)
			}
			again, err := DecodeRequest(rebuilt)
			if err != nil {
				t.Fatalf("the built body does not decode: %v\n%s", err, rebuilt)
			}
			if again.GetModel() != "claude-upstream" || len(again.GetTools()) != len(r.GetTools()) ||
				again.GetStream() != r.GetStream() || conversationText(again) != conversationText(r) {
				t.Errorf("BuildRequest changed the conversation: %d tools, text of %d bytes; want %d, %d",
					len(again.GetTools()), len(conversationText(again)), len(r.GetTools()), len(conversationText(r)))
			}

			checkPassthrough(t, f.Body, "claude-upstream")
		})
	}
	if n < 10 {
		t.Fatalf("only %d Messages fixtures", n)
	}
}

func checkDecodedFixture(t *testing.T, r *inferencev1.ChatRequest, want *capturedBody, body []byte) {
	t.Helper()
	src := r.GetSource()
	if src.GetDialect() != inferencev1.Dialect_DIALECT_ANTHROPIC_MESSAGES || src.GetClientModel() != want.Model ||
		!bytes.Equal(src.GetOriginalBody(), body) || r.GetModel() != want.Model {
		t.Errorf("source = %v %q (model %q)", src.GetDialect(), src.GetClientModel(), r.GetModel())
	}
	if r.GetStream() != want.Stream || r.GetIncludeUsage() != want.Stream {
		t.Errorf("stream = %v, include usage %v; want %v", r.GetStream(), r.GetIncludeUsage(), want.Stream)
	}
	wantMsgs := len(want.Messages)
	if len(want.System) > 0 {
		wantMsgs++
		if r.GetMessages()[0].GetRole() != inferencev1.Role_ROLE_SYSTEM || len(r.GetMessages()[0].GetContent()) == 0 {
			t.Errorf("the system prompt is not the first message: %v", r.GetMessages()[0])
		}
	}
	if len(r.GetMessages()) != wantMsgs {
		t.Errorf("%d messages, want %d", len(r.GetMessages()), wantMsgs)
	}
	if len(r.GetTools()) != len(want.Tools) {
		t.Errorf("%d tools, want %d", len(r.GetTools()), len(want.Tools))
	}
	for i, tool := range r.GetTools() {
		if tool.GetType() != "function" || tool.GetName() == "" || !json.Valid([]byte(tool.GetParametersJson())) {
			t.Errorf("tools[%d] = %v", i, tool)
		}
	}
	if want.MaxTokens != nil && r.GetSampling().GetMaxTokens() != *want.MaxTokens {
		t.Errorf("max tokens = %d, want %d", r.GetSampling().GetMaxTokens(), *want.MaxTokens)
	}
	if want.Thinking != nil {
		if !r.GetReasoning().GetEnabled() || r.GetReasoning().GetBudgetTokens() != want.Thinking.Budget {
			t.Errorf("reasoning = %v, want thinking %+v", r.GetReasoning(), *want.Thinking)
		}
	}
	if want.Metadata != nil && r.GetUser() != want.Metadata.UserID {
		t.Errorf("user = %q, want %q", r.GetUser(), want.Metadata.UserID)
	}
	if len(want.ToolChoice) > 0 && r.GetToolChoice() == nil {
		t.Error("tool_choice was not decoded")
	}
	if !strings.Contains(conversationText(r), "hi") && !strings.Contains(conversationText(r), "hello.txt") {
		t.Errorf("the user's prompt is missing from %q", conversationText(r))
	}
}

// conversationText is every text of a request's messages (including tool
// results and tool-call arguments), system messages first, for comparing
// round trips through BuildRequest, which hoists system messages.
func conversationText(r *inferencev1.ChatRequest) string {
	var sys, rest strings.Builder
	var parts func(b *strings.Builder, ps []*inferencev1.ContentPart)
	parts = func(b *strings.Builder, ps []*inferencev1.ContentPart) {
		for _, p := range ps {
			b.WriteString(p.GetText())
			parts(b, p.GetToolResult().GetContent())
		}
	}
	for _, m := range r.GetMessages() {
		b := &rest
		if m.GetRole() == inferencev1.Role_ROLE_SYSTEM {
			b = &sys
		}
		parts(b, m.GetContent())
		for _, tc := range m.GetToolCalls() {
			b.WriteString(tc.GetName())
			b.WriteString(tc.GetArgumentsJson())
		}
	}
	return sys.String() + "|" + rest.String()
}

// checkPassthrough: the rewritten body differs from the original only in
// the top-level model.
func checkPassthrough(t *testing.T, body []byte, model string) {
	t.Helper()
	out, err := RewriteForUpstream(body, model)
	if err != nil {
		t.Fatalf("rewrite: %v", err)
	}
	var in, got map[string]json.RawMessage
	if err := json.Unmarshal(body, &in); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("rewritten body is not JSON: %v", err)
	}
	if string(got["model"]) != `"`+model+`"` || len(got) != len(in) {
		t.Fatalf("rewritten model = %s, %d keys (want %d)", got["model"], len(got), len(in))
	}
	for k, v := range in {
		if k != "model" && !bytes.Equal(v, got[k]) {
			t.Errorf("member %q changed", k)
		}
	}
	if len(out)-len(body) != len(model)-len(string(in["model"]))+2 {
		t.Errorf("rewrite changed %d bytes beyond the model", len(out)-len(body))
	}
}

func TestFixtureCountTokensAndModels(t *testing.T) {
	seen := 0
	for _, f := range loadFixtures(t) {
		switch f.Path {
		case "/v1/messages/count_tokens":
			seen++
			r, err := DecodeCountTokensRequest(f.Body)
			if err != nil {
				t.Fatalf("%s: %v", f.Source, err)
			}
			n := EstimateInputTokens(r)
			if n < 1 {
				t.Errorf("%s: estimate %d", f.Source, n)
			}
			var accepted, ours map[string]int64
			if json.Unmarshal([]byte(f.ResponseBody), &accepted) != nil || json.Unmarshal(EncodeCountTokensResponse(n), &ours) != nil {
				t.Fatalf("%s: count_tokens bodies are not JSON", f.Source)
			}
			if _, ok := ours["input_tokens"]; !ok || len(ours) != len(accepted) {
				t.Errorf("%s: %v does not have the shape of %v", f.Source, ours, accepted)
			}
		case "/v1/models":
			seen++
			var accepted struct {
				Data []struct {
					ID string `json:"id"`
				} `json:"data"`
			}
			if err := json.Unmarshal([]byte(f.ResponseBody), &accepted); err != nil {
				t.Fatal(err)
			}
			var ids []string
			for _, m := range accepted.Data {
				ids = append(ids, m.ID)
			}
			created := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC).Unix()
			if got := string(EncodeModelList(ids, created)); got != f.ResponseBody {
				t.Errorf("%s: model list\n got %s\nwant %s", f.Source, got, f.ResponseBody)
			}
		}
	}
	if seen < 4 {
		t.Fatalf("only %d count_tokens/models fixtures", seen)
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
	for _, frame := range strings.Split(strings.TrimSpace(text), "\n\n") {
		var ev sseEvent
		for _, line := range strings.Split(frame, "\n") {
			if v, ok := strings.CutPrefix(line, "event: "); ok {
				ev.event = v
			} else if v, ok := strings.CutPrefix(line, "data: "); ok {
				ev.data = []byte(v)
			}
		}
		if ev.event == "" || ev.data == nil {
			t.Fatalf("malformed SSE frame %q", frame)
		}
		out = append(out, ev)
	}
	return out
}

// TestFixtureStreams: each accepted stream parses into canonical chunks;
// re-encoding their canonical content (as for a provider of another
// dialect) yields the same event sequence, pings aside, with the same
// text, tool calls and stop reason; forwarding their raw frames yields the
// accepted bytes; and an OpenAI client gets the same text.
func TestFixtureStreams(t *testing.T) {
	n := 0
	for _, f := range loadFixtures(t) {
		if !strings.HasPrefix(f.ResponseBody, "event:") {
			continue
		}
		n++
		t.Run(f.Source, func(t *testing.T) {
			events := parseSSE(t, f.ResponseBody)
			p := NewStreamParser()
			var chunks []*inferencev1.ChatChunk
			for _, ev := range events {
				cs, err := p.Parse(ev.event, ev.data)
				if err != nil {
					t.Fatalf("parse %s: %v", ev.event, err)
				}
				chunks = append(chunks, cs...)
			}
			if len(chunks) != len(events) {
				t.Fatalf("%d chunks for %d events", len(chunks), len(events))
			}

			// Cross dialect: canonical content only.
			var model string
			var wantEvents []string
			for _, ev := range events {
				if ev.event != "ping" {
					wantEvents = append(wantEvents, ev.event)
				}
				if ev.event == "message_start" {
					var ms StreamEvent
					_ = json.Unmarshal(ev.data, &ms)
					model = ms.Message.Model
				}
			}
			enc := NewStreamEncoder(model)
			var frames []Frame
			for _, c := range chunks {
				canon := &inferencev1.ChatChunk{Id: c.GetId(), Model: c.GetModel(), Deltas: c.GetDeltas(), Usage: c.GetUsage()}
				frames = append(frames, enc.Encode(canon)...)
			}
			frames = append(frames, enc.Finish()...)
			var gotEvents []string
			for _, fr := range frames {
				gotEvents = append(gotEvents, fr.Event)
				if !json.Valid(fr.Data) {
					t.Fatalf("frame %s is not JSON: %s", fr.Event, fr.Data)
				}
			}
			if !slices.Equal(gotEvents, wantEvents) {
				t.Fatalf("events\n got %v\nwant %v", gotEvents, wantEvents)
			}
			if got, want := streamSummary(t, framesAsEvents(frames)), streamSummary(t, events); got != want {
				t.Errorf("re-encoded stream differs:\n got %s\nwant %s", got, want)
			}

			// Same dialect: raw frames forwarded byte for byte.
			pass := NewStreamEncoder("client-model")
			var raw strings.Builder
			for _, c := range chunks {
				for _, fr := range pass.Encode(c) {
					raw.WriteString("event: " + fr.Event + "\ndata: " + string(fr.Data) + "\n\n")
				}
			}
			if extra := pass.Finish(); len(extra) != 0 {
				t.Errorf("Finish after a forwarded stream added %d frames", len(extra))
			}
			if raw.String() != f.ResponseBody {
				t.Errorf("forwarded stream differs from the provider's:\n got %q\nwant %q", raw.String(), f.ResponseBody)
			}

			// An OpenAI client of an Anthropic provider.
			var text strings.Builder
			for _, c := range chunks {
				if data := openai.EncodeChunk(c, "gpt", true); data != nil {
					var oc openai.ChatCompletionChunk
					if err := json.Unmarshal(data, &oc); err != nil {
						t.Fatal(err)
					}
					for _, ch := range oc.Choices {
						if ch.Delta.Content.Text != nil {
							text.WriteString(*ch.Delta.Content.Text)
						}
					}
				}
			}
			if summary := streamSummary(t, events); strings.Contains(summary, "text:") && !strings.Contains(summary, "text:"+text.String()+";") {
				t.Errorf("OpenAI client text %q not in %s", text.String(), summary)
			}
		})
	}
	if n < 6 {
		t.Fatalf("only %d streaming fixtures", n)
	}
}

func framesAsEvents(frames []Frame) []sseEvent {
	out := make([]sseEvent, len(frames))
	for i, f := range frames {
		out[i] = sseEvent{event: f.Event, data: f.Data}
	}
	return out
}

// streamSummary renders what a client reads from a stream: each block's
// type and accumulated content, and the stop reason and output tokens.
func streamSummary(t testing.TB, events []sseEvent) string {
	t.Helper()
	var b strings.Builder
	var cur strings.Builder
	for _, ev := range events {
		var e StreamEvent
		if err := json.Unmarshal(ev.data, &e); err != nil {
			t.Fatalf("%s: %v", ev.event, err)
		}
		switch e.Type {
		case "content_block_start":
			cur.Reset()
			b.WriteString(e.ContentBlock.Type + ":")
			if e.ContentBlock.Type == "tool_use" {
				b.WriteString(e.ContentBlock.ID + "/" + e.ContentBlock.Name + "/")
			}
		case "content_block_delta":
			cur.WriteString(e.Delta.Text + e.Delta.PartialJSON + e.Delta.Thinking)
		case "content_block_stop":
			b.WriteString(cur.String() + ";")
		case "message_delta":
			b.WriteString("stop=" + *e.Delta.StopReason)
		}
	}
	return b.String()
}

// TestFixtureUnaryResponses: an accepted unary reply survives
// ParseResponse and EncodeResponse with the same content, stop reason and
// usage.
func TestFixtureUnaryResponses(t *testing.T) {
	n := 0
	for _, f := range loadFixtures(t) {
		if f.Path != "/v1/messages" || !strings.HasPrefix(f.ResponseBody, "{") {
			continue
		}
		n++
		r, err := ParseResponse([]byte(f.ResponseBody))
		if err != nil {
			t.Fatalf("%s: %v", f.Source, err)
		}
		var want, got map[string]any
		_ = json.Unmarshal([]byte(f.ResponseBody), &want)
		if err := json.Unmarshal(EncodeResponse(r, want["model"].(string)), &got); err != nil {
			t.Fatalf("%s: %v", f.Source, err)
		}
		delete(want["usage"].(map[string]any), "service_tier")
		wantJSON, _ := json.Marshal(want)
		gotJSON, _ := json.Marshal(got)
		if string(gotJSON) != string(wantJSON) {
			t.Errorf("%s:\n got %s\nwant %s", f.Source, gotJSON, wantJSON)
		}
	}
	if n < 3 {
		t.Fatalf("only %d unary fixtures", n)
	}
}
