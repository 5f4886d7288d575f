package bedrock

import (
	"encoding/json"
	"errors"
	"fmt"

	inferencev1 "github.com/tollgate/tollgate/gen/go/tollgate/inference/v1"
	"github.com/tollgate/tollgate/services/kit/wire/internal/jsonx"
)

// ErrNotEvent is returned by StreamParser.Parse for a payload that is not
// a ConverseStream event.
var ErrNotEvent = errors.New("stream payload is not a Bedrock ConverseStream event")

// Event types of a ConverseStream (the :event-type header of each
// event-stream message).
const (
	EventMessageStart      = "messageStart"
	EventContentBlockStart = "contentBlockStart"
	EventContentBlockDelta = "contentBlockDelta"
	EventContentBlockStop  = "contentBlockStop"
	EventMessageStop       = "messageStop"
	EventMetadata          = "metadata"
)

// maxBlockIndex bounds content block indexes, so a hostile stream cannot
// make the parser allocate without limit.
const maxBlockIndex = 1 << 16

// StreamParser turns the events of a ConverseStream into canonical
// chunks. It numbers tool calls 0, 1, … in the order their blocks start,
// whatever their block index (text blocks have no start event, only
// deltas). A StreamParser reads one stream and is not safe for concurrent
// use.
type StreamParser struct {
	toolIndex []int32 // by content block index; -1 for blocks that are not tool calls
	tools     int32
	usage     *inferencev1.Usage
	stopped   bool
}

// NewStreamParser starts parsing one stream.
func NewStreamParser() *StreamParser { return &StreamParser{} }

// Parse reads one event (its :event-type and JSON payload) and returns one
// chunk: Raw is payload (not copied), RawDialect Bedrock and RawEvent the
// event type. Its canonical fields say what the event adds: the role
// (messageStart), text, reasoning and signature, tool-call fragments, the
// finish reason (messageStop) or the usage (metadata, which follows
// messageStop). Events with nothing canonical (contentBlockStop, redacted
// reasoning, unknown events) yield a chunk with only the raw frame.
func (p *StreamParser) Parse(event string, payload []byte) ([]*inferencev1.ChatChunk, error) {
	c := &inferencev1.ChatChunk{Raw: payload, RawDialect: inferencev1.Dialect_DIALECT_BEDROCK_CONVERSE, RawEvent: event}
	if event == EventContentBlockDelta {
		if text, ok := scanTextDelta(payload); ok {
			c.Deltas = []*inferencev1.ChoiceDelta{{Text: text}}
			return []*inferencev1.ChatChunk{c}, nil
		}
	}
	var ev streamEvent
	if err := json.Unmarshal(payload, &ev); err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrNotEvent, event, err)
	}
	switch event {
	case EventMessageStart:
		c.Deltas = []*inferencev1.ChoiceDelta{{Role: inferencev1.Role_ROLE_ASSISTANT}}
	case EventContentBlockStart:
		if err := p.blockStart(&ev, c); err != nil {
			return nil, err
		}
	case EventContentBlockDelta:
		p.blockDelta(&ev, c)
	case EventMessageStop:
		p.stopped = true
		c.Deltas = []*inferencev1.ChoiceDelta{{FinishReason: ParseStopReason(ev.StopReason), ProviderFinishReason: ev.StopReason}}
	case EventMetadata:
		if ev.Usage != nil {
			p.usage = usageFromWire(ev.Usage)
			c.Usage = p.usage
		}
	}
	return []*inferencev1.ChatChunk{c}, nil
}

func (p *StreamParser) blockStart(ev *streamEvent, c *inferencev1.ChatChunk) error {
	i := ev.ContentBlockIndex
	if i < 0 || i >= maxBlockIndex {
		return fmt.Errorf("%w: content block index %d out of range", ErrNotEvent, i)
	}
	if ev.Start == nil || ev.Start.ToolUse == nil {
		return nil
	}
	for len(p.toolIndex) <= i {
		p.toolIndex = append(p.toolIndex, -1)
	}
	p.toolIndex[i] = p.tools
	c.Deltas = []*inferencev1.ChoiceDelta{{ToolCalls: []*inferencev1.ToolCallDelta{{
		Index: p.tools, Id: ev.Start.ToolUse.ToolUseID, Name: ev.Start.ToolUse.Name}}}}
	p.tools++
	return nil
}

func (p *StreamParser) blockDelta(ev *streamEvent, c *inferencev1.ChatChunk) {
	d := ev.Delta
	if d == nil {
		return
	}
	switch {
	case d.Text != nil:
		c.Deltas = []*inferencev1.ChoiceDelta{{Text: *d.Text}}
	case d.ToolUse != nil:
		i := ev.ContentBlockIndex
		if i < 0 || i >= len(p.toolIndex) || p.toolIndex[i] < 0 {
			return // input for a block that never started as a tool call
		}
		c.Deltas = []*inferencev1.ChoiceDelta{{ToolCalls: []*inferencev1.ToolCallDelta{{
			Index: p.toolIndex[i], ArgumentsJson: d.ToolUse.Input}}}}
	case d.ReasoningContent != nil:
		r := d.ReasoningContent
		out := &inferencev1.ChoiceDelta{}
		if r.Text != nil {
			out.Reasoning = *r.Text
		}
		if r.Signature != nil {
			out.ReasoningSignature = *r.Signature
		}
		if out.Reasoning != "" || out.ReasoningSignature != "" {
			c.Deltas = []*inferencev1.ChoiceDelta{out}
		}
	}
}

// Stopped reports whether messageStop was seen: a stream that ends before
// it was cut short.
func (p *StreamParser) Stopped() bool { return p.stopped }

// Usage is the usage the stream reported (nil before its metadata event).
func (p *StreamParser) Usage() *inferencev1.Usage { return p.usage }

// Exception converts an exception message of the stream (:message-type
// exception, its :exception-type and JSON payload) into the terminal
// chunk carrying the error; see StreamError for what is retryable.
func (p *StreamParser) Exception(exceptionType string, payload []byte) *inferencev1.ChatChunk {
	var ev streamEvent
	_ = json.Unmarshal(payload, &ev) // a malformed payload still ends the stream with the type's error
	msg := ev.Message
	if msg == "" {
		msg = ev.OriginalMessage
	}
	return &inferencev1.ChatChunk{Raw: payload, RawDialect: inferencev1.Dialect_DIALECT_BEDROCK_CONVERSE,
		RawEvent: exceptionType, Error: StreamError(exceptionType, msg)}
}

// scanTextDelta reads a text contentBlockDelta
// ({"contentBlockIndex":N,"delta":{"text":"…"},"p":"…"}) without
// reflection: it is most of a stream's events. It reports false for
// anything else, and the caller falls back to encoding/json.
func scanTextDelta(payload []byte) (string, bool) {
	var top [1][]byte
	if jsonx.ReadObjectMembers(payload, deltaKey, top[:]) != nil || !jsonx.Present(top[0]) {
		return "", false
	}
	var d [1][]byte
	if jsonx.ReadObjectMembers(top[0], textKey, d[:]) != nil || !jsonx.Present(d[0]) {
		return "", false
	}
	text, err := jsonx.ReadString(d[0])
	return text, err == nil
}

var (
	deltaKey = []string{"delta"}
	textKey  = []string{"text"}
)
