package anthropic

import (
	"github.com/tollgate/tollgate/services/kit/wire/internal/jsonx"

	"strconv"

	inferencev1 "github.com/tollgate/tollgate/gen/go/tollgate/inference/v1"
	"github.com/tollgate/tollgate/services/kit/errs"
)

// Frame is one server-sent event: the router writes
// "event: <Event>\ndata: <Data>\n\n".
type Frame struct {
	Event string
	Data  []byte
}

// blockKind is the type of the content block a StreamEncoder has open.
type blockKind uint8

const (
	blockNone blockKind = iota
	blockText
	blockThinking
	blockToolUse
)

// StreamEncoder turns canonical chunks into an Anthropic event stream:
// message_start, then content blocks (content_block_start, deltas,
// content_block_stop) opened and closed as text, thinking and tool-call
// deltas arrive, then message_delta (stop reason and usage) and
// message_stop. It is what Anthropic clients need: Claude Code and the SDKs
// reject a stream whose deltas arrive outside an open block or that ends
// without message_stop.
//
// Chunks whose Raw is already an Anthropic frame (a same-dialect provider)
// are forwarded byte for byte instead. A StreamEncoder serves one response
// and is not safe for concurrent use.
type StreamEncoder struct {
	model string
	id    string

	started, done, passthrough bool

	open      blockKind
	openIndex int // the open block's index
	nextIndex int // the index the next block gets

	// toolBlocks maps a canonical tool-call index to its block index.
	toolBlocks []toolBlock
	sawTool    bool

	finish         inferencev1.FinishReason
	providerFinish string
	usage          *inferencev1.Usage
}

type toolBlock struct {
	call  int32
	block int
}

// NewStreamEncoder starts the stream of one response; model is the model
// name the client sees.
func NewStreamEncoder(model string) *StreamEncoder {
	return &StreamEncoder{model: model}
}

// Encode returns the frames for one chunk, possibly none. A chunk carrying
// a StreamError ends the stream with an error event.
func (s *StreamEncoder) Encode(c *inferencev1.ChatChunk) []Frame {
	if c.GetRawDialect() == inferencev1.Dialect_DIALECT_ANTHROPIC_MESSAGES && len(c.GetRaw()) > 0 {
		return s.forward(c)
	}
	if s.done {
		return nil
	}
	if e := c.GetError(); e != nil {
		s.done = true
		return []Frame{{Event: "error", Data: encodeErrorEvent(streamErrorType(e), e.GetMessage())}}
	}
	var out []Frame
	if !s.started {
		out = s.start(c, out)
	}
	if u := c.GetUsage(); u != nil {
		s.usage = u
	}
	for _, d := range c.GetDeltas() {
		if d.GetIndex() != 0 {
			continue // Anthropic has one answer; clients never ask for more
		}
		out = s.delta(d, out)
	}
	return out
}

// forward passes a same-dialect provider frame through unchanged.
func (s *StreamEncoder) forward(c *inferencev1.ChatChunk) []Frame {
	s.passthrough, s.started = true, true
	event := c.GetRawEvent()
	if event == "message_stop" || event == "error" {
		s.done = true
	}
	return []Frame{{Event: event, Data: c.GetRaw()}}
}

func (s *StreamEncoder) start(c *inferencev1.ChatChunk, out []Frame) []Frame {
	s.started = true
	s.id = idOrNew(c.GetId(), "msg_")
	b := make([]byte, 0, 320)
	b = append(b, `{"type":"message_start","message":{"id":`...)
	b = jsonx.AppendString(b, s.id)
	b = append(b, `,"type":"message","role":"assistant","model":`...)
	b = jsonx.AppendString(b, s.model)
	b = append(b, `,"content":[],"stop_reason":null,"stop_sequence":null,"usage":`...)
	b = appendUsage(b, c.GetUsage())
	b = append(b, `}}`...)
	return append(out, Frame{Event: "message_start", Data: b})
}

func (s *StreamEncoder) delta(d *inferencev1.ChoiceDelta, out []Frame) []Frame {
	if r := d.GetReasoning(); r != "" {
		out = s.ensureBlock(blockThinking, out)
		out = append(out, s.blockDelta(s.openIndex, `{"type":"thinking_delta","thinking":`, r))
	}
	if sig := d.GetReasoningSignature(); sig != "" {
		out = s.ensureBlock(blockThinking, out)
		out = append(out, s.blockDelta(s.openIndex, `{"type":"signature_delta","signature":`, sig))
	}
	if t := d.GetText(); t != "" {
		out = s.ensureBlock(blockText, out)
		out = append(out, s.blockDelta(s.openIndex, `{"type":"text_delta","text":`, t))
	}
	for _, tc := range d.GetToolCalls() {
		out = s.toolCall(tc, out)
	}
	if fr := d.GetFinishReason(); fr != inferencev1.FinishReason_FINISH_REASON_UNSPECIFIED {
		s.finish, s.providerFinish = fr, d.GetProviderFinishReason()
	}
	return out
}

// toolCall opens a tool_use block for a call seen for the first time and
// streams its argument fragments as input_json_delta. Fragments of a call
// whose block was already closed (a provider interleaving parallel calls)
// still name that block's index, which the SDKs accumulate by.
func (s *StreamEncoder) toolCall(tc *inferencev1.ToolCallDelta, out []Frame) []Frame {
	block, known := 0, false
	for _, tb := range s.toolBlocks {
		if tb.call == tc.GetIndex() {
			block, known = tb.block, true
			break
		}
	}
	if !known {
		out = s.closeBlock(out)
		block = s.nextIndex
		s.nextIndex++
		s.open, s.openIndex, s.sawTool = blockToolUse, block, true
		s.toolBlocks = append(s.toolBlocks, toolBlock{call: tc.GetIndex(), block: block})
		b := make([]byte, 0, 128)
		b = append(b, `{"type":"content_block_start","index":`...)
		b = strconv.AppendInt(b, int64(block), 10)
		b = append(b, `,"content_block":{"type":"tool_use","id":`...)
		b = jsonx.AppendString(b, idOrNew(tc.GetId(), "toolu_"))
		b = append(b, `,"name":`...)
		b = jsonx.AppendString(b, tc.GetName())
		b = append(b, `,"input":{}}}`...)
		out = append(out, Frame{Event: "content_block_start", Data: b})
	}
	if args := tc.GetArgumentsJson(); args != "" {
		out = append(out, s.blockDelta(block, `{"type":"input_json_delta","partial_json":`, args))
	}
	return out
}

// ensureBlock opens a block of kind unless one is open already.
func (s *StreamEncoder) ensureBlock(kind blockKind, out []Frame) []Frame {
	if s.open == kind {
		return out
	}
	out = s.closeBlock(out)
	s.open, s.openIndex = kind, s.nextIndex
	s.nextIndex++
	b := make([]byte, 0, 112)
	b = append(b, `{"type":"content_block_start","index":`...)
	b = strconv.AppendInt(b, int64(s.openIndex), 10)
	if kind == blockThinking {
		b = append(b, `,"content_block":{"type":"thinking","thinking":"","signature":""}}`...)
	} else {
		b = append(b, `,"content_block":{"type":"text","text":""}}`...)
	}
	return append(out, Frame{Event: "content_block_start", Data: b})
}

func (s *StreamEncoder) closeBlock(out []Frame) []Frame {
	if s.open == blockNone {
		return out
	}
	s.open = blockNone
	b := make([]byte, 0, 48)
	b = append(b, `{"type":"content_block_stop","index":`...)
	b = strconv.AppendInt(b, int64(s.openIndex), 10)
	b = append(b, '}')
	return append(out, Frame{Event: "content_block_stop", Data: b})
}

// blockDelta writes a content_block_delta whose delta is prefix (an open
// object ending with its last key) followed by the string value.
func (s *StreamEncoder) blockDelta(index int, prefix, value string) Frame {
	b := make([]byte, 0, 80+len(prefix)+len(value))
	b = append(b, `{"type":"content_block_delta","index":`...)
	b = strconv.AppendInt(b, int64(index), 10)
	b = append(b, `,"delta":`...)
	b = append(b, prefix...)
	b = jsonx.AppendString(b, value)
	b = append(b, `}}`...)
	return Frame{Event: "content_block_delta", Data: b}
}

// Finish ends a stream that completed: it closes the open block and writes
// message_delta, with the stop reason and the usage reported so far, and
// message_stop. It returns nothing once the stream has ended (after an
// error, a forwarded message_stop, or a previous Finish), and nothing for a
// forwarded stream, whose own frames are authoritative.
func (s *StreamEncoder) Finish() []Frame {
	if s.done || s.passthrough {
		return nil
	}
	s.done = true
	var out []Frame
	if !s.started {
		out = s.start(&inferencev1.ChatChunk{}, out)
	}
	out = s.closeBlock(out)
	b := make([]byte, 0, 200)
	b = append(b, `{"type":"message_delta","delta":{"stop_reason":`...)
	b = jsonx.AppendString(b, stopReasonName(s.finish, s.providerFinish, s.sawTool))
	b = append(b, `,"stop_sequence":null},"usage":`...)
	if s.usage != nil {
		b = appendUsage(b, s.usage)
	} else {
		b = append(b, `{"output_tokens":0}`...)
	}
	b = append(b, '}')
	return append(out,
		Frame{Event: "message_delta", Data: b},
		Frame{Event: "message_stop", Data: []byte(`{"type":"message_stop"}`)})
}

// Fail ends the stream with an error event, which the SDKs raise as an API
// error of e's type. It returns nothing once the stream has ended.
func (s *StreamEncoder) Fail(e *errs.Error) []Frame {
	if s.done {
		return nil
	}
	s.done = true
	return []Frame{EncodeStreamError(e)}
}

// Done reports whether the stream has ended (message_stop or an error was
// written).
func (s *StreamEncoder) Done() bool { return s.done }
