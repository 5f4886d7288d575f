package cohere

import (
	"encoding/json"
	"errors"
	"fmt"

	inferencev1 "github.com/tollgate/tollgate/gen/go/tollgate/inference/v1"
	"github.com/tollgate/tollgate/services/kit/wire/internal/jsonx"
)

// ErrNotEvent is returned by StreamParser.Parse for data that is not a
// Cohere chat stream event.
var ErrNotEvent = errors.New("stream data is not a Cohere chat event")

// EventMessageEnd is the last event of a complete stream.
const EventMessageEnd = "message-end"

// maxToolIndex bounds tool call indexes, so a hostile stream cannot make
// the parser allocate without limit.
const maxToolIndex = 1 << 12

// StreamParser turns a Cohere chat stream into canonical chunks. It keeps
// the message id (set on every chunk) and numbers tool calls 0, 1, … in
// the order they start. A StreamParser reads one stream and is not safe
// for concurrent use.
type StreamParser struct {
	id        string
	toolIndex []int32 // by the stream's tool call index; -1 until started
	tools     int32
	usage     *inferencev1.Usage
	ended     bool
}

// NewStreamParser starts parsing one stream.
func NewStreamParser() *StreamParser { return &StreamParser{} }

// Parse reads one event (its SSE event name, which may be empty: the data
// names its type too) and returns one chunk: Raw is data (not copied),
// RawDialect Cohere and RawEvent the event type. Its canonical fields say
// what the event adds: the role (message-start), text, reasoning (thinking
// and tool plans), tool-call fragments, or the finish reason and usage
// (message-end; a stream that ended in ERROR or TIMEOUT also carries an
// Error). Events with nothing canonical (content-end, tool-call-end,
// citations, debug) yield a chunk with only the raw frame.
func (p *StreamParser) Parse(event string, data []byte) ([]*inferencev1.ChatChunk, error) {
	var ev streamEvent
	if text, ok := scanTextDelta(data); ok {
		ev.Type = "content-delta"
		c := p.chunk(event, data, &ev)
		c.Deltas = []*inferencev1.ChoiceDelta{{Text: text}}
		return []*inferencev1.ChatChunk{c}, nil
	}
	if err := json.Unmarshal(data, &ev); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrNotEvent, err)
	}
	if ev.Type == "" {
		ev.Type = event
	}
	c := p.chunk(event, data, &ev)
	d := ev.Delta
	var msg *deltaMessage
	if d != nil {
		msg = d.Message
	}
	switch ev.Type {
	case "message-start":
		if ev.ID != "" {
			p.id, c.Id = ev.ID, ev.ID
		}
		c.Deltas = []*inferencev1.ChoiceDelta{{Role: inferencev1.Role_ROLE_ASSISTANT}}
	case "content-start", "content-delta":
		var content deltaContent
		if msg == nil || !decodeMember(msg.Content, &content) {
			break
		}
		out := &inferencev1.ChoiceDelta{}
		if content.Text != nil {
			out.Text = *content.Text
		}
		if content.Thinking != nil {
			out.Reasoning = *content.Thinking
		}
		if out.Text != "" || out.Reasoning != "" {
			c.Deltas = []*inferencev1.ChoiceDelta{out}
		}
	case "tool-plan-delta":
		if msg != nil && msg.ToolPlan != nil && *msg.ToolPlan != "" {
			c.Deltas = []*inferencev1.ChoiceDelta{{Reasoning: *msg.ToolPlan}}
		}
	case "tool-call-start":
		if ev.Index < 0 || ev.Index >= maxToolIndex {
			return nil, fmt.Errorf("%w: tool call index %d out of range", ErrNotEvent, ev.Index)
		}
		var call deltaToolCall
		if msg == nil || !decodeMember(msg.ToolCalls, &call) {
			break
		}
		for len(p.toolIndex) <= ev.Index {
			p.toolIndex = append(p.toolIndex, -1)
		}
		p.toolIndex[ev.Index] = p.tools
		tc := &inferencev1.ToolCallDelta{Index: p.tools, Id: call.ID}
		if f := call.Function; f != nil {
			tc.Name, tc.ArgumentsJson = f.Name, f.Arguments
		}
		p.tools++
		c.Deltas = []*inferencev1.ChoiceDelta{{ToolCalls: []*inferencev1.ToolCallDelta{tc}}}
	case "tool-call-delta":
		var call deltaToolCall
		if ev.Index < 0 || ev.Index >= len(p.toolIndex) || p.toolIndex[ev.Index] < 0 ||
			msg == nil || !decodeMember(msg.ToolCalls, &call) || call.Function == nil {
			break // arguments of a call that never started
		}
		c.Deltas = []*inferencev1.ChoiceDelta{{ToolCalls: []*inferencev1.ToolCallDelta{{
			Index: p.toolIndex[ev.Index], ArgumentsJson: call.Function.Arguments}}}}
	case EventMessageEnd:
		p.ended = true
		if d == nil {
			break
		}
		c.Deltas = []*inferencev1.ChoiceDelta{{FinishReason: ParseFinishReason(d.FinishReason), ProviderFinishReason: d.FinishReason}}
		if u := usageFromWire(d.Usage); u != nil {
			p.usage, c.Usage = u, u
		}
		if d.FinishReason == "ERROR" || d.FinishReason == "TIMEOUT" {
			c.Error = streamError(d.FinishReason, d.Error)
		}
	}
	return []*inferencev1.ChatChunk{c}, nil
}

func (p *StreamParser) chunk(event string, data []byte, ev *streamEvent) *inferencev1.ChatChunk {
	if event == "" {
		event = ev.Type
	}
	return &inferencev1.ChatChunk{Id: p.id, Raw: data, RawDialect: inferencev1.Dialect_DIALECT_COHERE_CHAT, RawEvent: event}
}

// decodeMember reads raw into v when it is an object; an absent, null or
// array value (message-start's empty lists) reads as nothing.
func decodeMember(raw json.RawMessage, v any) bool {
	return len(raw) > 0 && raw[0] == '{' && json.Unmarshal(raw, v) == nil
}

// Ended reports whether message-end was seen: a stream that stops before
// it was cut short.
func (p *StreamParser) Ended() bool { return p.ended }

// Usage is the usage the stream reported (nil before message-end).
func (p *StreamParser) Usage() *inferencev1.Usage { return p.usage }

// streamError is the error of a stream that ended in ERROR or TIMEOUT;
// both are the provider's failure, so retryable.
func streamError(finish, message string) *inferencev1.StreamError {
	code := "provider_error"
	if finish == "TIMEOUT" {
		code = "provider_timeout"
	}
	if message == "" {
		message = "the provider stopped with " + finish
	}
	return &inferencev1.StreamError{Code: code, Message: "provider error: " + message, Retryable: true}
}

// scanTextDelta reads a text content-delta event
// ({"type":"content-delta","index":0,"delta":{"message":{"content":{"text":"…"}}}})
// without reflection: it is most of a stream's events. It reports false
// for anything else, and the caller falls back to encoding/json.
func scanTextDelta(data []byte) (string, bool) {
	var top [2][]byte
	if jsonx.ReadObjectMembers(data, typeDeltaKeys, top[:]) != nil || string(top[0]) != `"content-delta"` || !jsonx.Present(top[1]) {
		return "", false
	}
	v := top[1]
	for _, key := range nestedKeys {
		var next [1][]byte
		if jsonx.ReadObjectMembers(v, key, next[:]) != nil || !jsonx.Present(next[0]) {
			return "", false
		}
		v = next[0]
	}
	text, err := jsonx.ReadString(v)
	return text, err == nil
}

var (
	typeDeltaKeys = []string{"type", "delta"}
	nestedKeys    = [][]string{{"message"}, {"content"}, {"text"}}
)
