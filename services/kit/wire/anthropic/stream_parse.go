package anthropic

import (
	"encoding/json"
	"errors"
	"fmt"

	inferencev1 "github.com/tollgate/tollgate/gen/go/tollgate/inference/v1"
)

// ErrNotEvent is returned by StreamParser.Parse for data that is not an
// Anthropic stream event.
var ErrNotEvent = errors.New("stream data is not an Anthropic event")

// StreamParser turns an Anthropic event stream into canonical chunks. It
// tracks what the stream has said so far: the message id and model (set on
// every chunk), which content block is a tool call (tool calls are numbered
// 0, 1, … in the order their blocks start, whatever their block index), and
// the usage counts, which Anthropic splits between message_start (input and
// cache counts) and message_delta (output count, sometimes input again).
// A StreamParser reads one stream and is not safe for concurrent use.
type StreamParser struct {
	id, model string
	blocks    []blockKind // by content block index
	toolIndex []int32     // by content block index, for tool_use blocks
	tools     int32
	usage     Usage
	sawUsage  bool
}

// NewStreamParser starts parsing one stream.
func NewStreamParser() *StreamParser { return &StreamParser{} }

// maxBlockIndex bounds content block indexes, so a hostile stream cannot
// make the parser allocate without limit.
const maxBlockIndex = 1 << 16

// Parse reads one event (its SSE event name and data) and returns exactly
// one chunk: Raw is data (not copied: the caller must not reuse data's
// memory), RawDialect Anthropic and RawEvent the event name, so
// same-dialect clients get every frame, ping included. The chunk's
// canonical fields say what the event adds: the role (message_start),
// text, reasoning and signature, tool-call fragments, the finish reason
// and the complete usage (message_delta), or Error (an error event).
// Events with nothing canonical (ping, content_block_stop, message_stop,
// server tool blocks, citations) yield a chunk with only the raw frame,
// which other dialects' encoders skip.
func (p *StreamParser) Parse(event string, data []byte) ([]*inferencev1.ChatChunk, error) {
	switch event {
	case "ping", "content_block_stop", "message_stop":
		// Nothing in these changes the canonical stream, so they are not
		// decoded: passthrough forwards their bytes, translation skips them.
		return []*inferencev1.ChatChunk{{Raw: data, RawDialect: inferencev1.Dialect_DIALECT_ANTHROPIC_MESSAGES,
			RawEvent: event, Id: p.id, Model: p.model}}, nil
	}
	var ev StreamEvent
	if !scanEvent(event, data, &ev) {
		if err := json.Unmarshal(data, &ev); err != nil {
			return nil, fmt.Errorf("%w: %v", ErrNotEvent, err)
		}
	}
	if event == "" {
		event = ev.Type
	}
	c := &inferencev1.ChatChunk{Raw: data, RawDialect: inferencev1.Dialect_DIALECT_ANTHROPIC_MESSAGES, RawEvent: event}
	var err error
	switch ev.Type {
	case "message_start":
		if m := ev.Message; m != nil {
			p.id, p.model = m.ID, m.Model
			p.addUsage(m.Usage)
		}
		c.Deltas = []*inferencev1.ChoiceDelta{{Role: inferencev1.Role_ROLE_ASSISTANT}}
	case "content_block_start":
		err = p.blockStart(&ev, c)
	case "content_block_delta":
		err = p.blockDelta(&ev, c)
	case "message_delta":
		d := &inferencev1.ChoiceDelta{}
		if ev.Delta != nil && ev.Delta.StopReason != nil {
			d.ProviderFinishReason = *ev.Delta.StopReason
			d.FinishReason = ParseStopReason(d.ProviderFinishReason)
		}
		c.Deltas = []*inferencev1.ChoiceDelta{d}
		p.addUsage(ev.Usage)
		c.Usage = p.Usage()
	case "error":
		c.Error = streamError(ev.Error)
	}
	if err != nil {
		return nil, err
	}
	c.Id, c.Model = p.id, p.model
	return []*inferencev1.ChatChunk{c}, nil
}

func (p *StreamParser) blockStart(ev *StreamEvent, c *inferencev1.ChatChunk) error {
	if ev.Index < 0 || ev.Index >= maxBlockIndex {
		return fmt.Errorf("%w: content block index %d out of range", ErrNotEvent, ev.Index)
	}
	for len(p.blocks) <= ev.Index {
		p.blocks = append(p.blocks, blockNone)
		p.toolIndex = append(p.toolIndex, 0)
	}
	b := ev.ContentBlock
	if b == nil {
		return nil
	}
	d := &inferencev1.ChoiceDelta{}
	switch b.Type {
	case "text":
		p.blocks[ev.Index] = blockText
		if b.Text != nil {
			d.Text = *b.Text
		}
	case "thinking":
		p.blocks[ev.Index] = blockThinking
		if b.Thinking != nil {
			d.Reasoning = *b.Thinking
		}
		if b.Signature != nil {
			d.ReasoningSignature = *b.Signature
		}
	case "tool_use":
		p.blocks[ev.Index] = blockToolUse
		p.toolIndex[ev.Index] = p.tools
		tc := &inferencev1.ToolCallDelta{Index: p.tools, Id: b.ID, Name: b.Name}
		if in := string(b.Input); in != "" && in != "{}" {
			tc.ArgumentsJson = in // a provider that sends the whole input at once
		}
		p.tools++
		d.ToolCalls = []*inferencev1.ToolCallDelta{tc}
	default:
		return nil // redacted_thinking, server tool blocks: no canonical delta
	}
	if d.Text != "" || d.Reasoning != "" || d.ReasoningSignature != "" || d.ToolCalls != nil {
		c.Deltas = []*inferencev1.ChoiceDelta{d}
	}
	return nil
}

func (p *StreamParser) blockDelta(ev *StreamEvent, c *inferencev1.ChatChunk) error {
	if ev.Delta == nil || ev.Index < 0 || ev.Index >= len(p.blocks) {
		return nil // a delta for a block that never started carries nothing usable
	}
	kind := p.blocks[ev.Index]
	d := &inferencev1.ChoiceDelta{}
	switch ev.Delta.Type {
	case "text_delta":
		if kind != blockText {
			return nil
		}
		d.Text = ev.Delta.Text
	case "thinking_delta":
		d.Reasoning = ev.Delta.Thinking
	case "signature_delta":
		d.ReasoningSignature = ev.Delta.Signature
	case "input_json_delta":
		if kind != blockToolUse {
			return nil // a server tool's input
		}
		d.ToolCalls = []*inferencev1.ToolCallDelta{{Index: p.toolIndex[ev.Index], ArgumentsJson: ev.Delta.PartialJSON}}
	default:
		return nil // citations_delta and future kinds
	}
	c.Deltas = []*inferencev1.ChoiceDelta{d}
	return nil
}

// addUsage merges reported counts: each count keeps its latest report
// (Anthropic's counts are cumulative).
func (p *StreamParser) addUsage(u *Usage) {
	if u == nil {
		return
	}
	p.sawUsage = true
	for _, f := range [...]struct{ dst, src **int64 }{
		{&p.usage.InputTokens, &u.InputTokens},
		{&p.usage.OutputTokens, &u.OutputTokens},
		{&p.usage.CacheReadInputTokens, &u.CacheReadInputTokens},
		{&p.usage.CacheCreationInputTokens, &u.CacheCreationInputTokens},
	} {
		if *f.src != nil {
			*f.dst = *f.src
		}
	}
}

// Usage is the usage reported so far in canonical form, nil before any:
// what to meter when a stream breaks before message_delta.
func (p *StreamParser) Usage() *inferencev1.Usage {
	if !p.sawUsage {
		return nil
	}
	return usageFromWire(&p.usage)
}

// streamError converts an error event; overload, rate limits, timeouts and
// internal errors are retryable.
func streamError(e *ErrorDetail) *inferencev1.StreamError {
	if e == nil {
		return &inferencev1.StreamError{Code: "api_error", Message: "the provider reported an error", Retryable: true}
	}
	out := &inferencev1.StreamError{Code: e.Type, Message: e.Message}
	if out.Code == "" {
		out.Code = "api_error"
	}
	if out.Message == "" {
		out.Message = "the provider reported " + out.Code
	}
	switch out.Code {
	case "overloaded_error", "rate_limit_error", "api_error", "timeout_error":
		out.Retryable = true
	}
	return out
}
