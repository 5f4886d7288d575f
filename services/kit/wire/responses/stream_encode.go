package responses

import (
	"github.com/tollgate/tollgate/services/kit/wire/internal/jsonx"

	"strconv"
	"strings"

	inferencev1 "github.com/tollgate/tollgate/gen/go/tollgate/inference/v1"
	"github.com/tollgate/tollgate/services/kit/errs"
)

// Frame is one server-sent event: the router writes
// "event: <Event>\ndata: <Data>\n\n".
type Frame struct {
	Event string
	Data  []byte
}

// StreamEncoder turns canonical chunks into a Responses API event stream.
// It opens and closes output items as deltas of a different kind arrive, so
// the client sees what OpenAI sends: response.created and
// response.in_progress first (the OpenAI SDKs' responses.stream() requires
// response.created), response.output_item.added before any delta of an item
// (Codex requires it), the *.done events and output_item.done carrying the
// whole item, and a final response.completed (or response.incomplete) with
// the full output and the usage. Every event's data carries "type" and
// "sequence_number".
//
// Chunks whose Raw is a Responses frame (a same-dialect provider) are
// forwarded byte for byte instead; once that happens, chunks without Raw
// are ignored unless they carry an error.
//
// A StreamEncoder serves one response and is not safe for concurrent use.
// The frames a call returns are valid until the next call.
type StreamEncoder struct {
	cfg    encodeConfig
	head   respHead
	seq    int64
	frames []Frame

	started, finished, raw bool
	truncated              bool // the model stopped early: the last item is incomplete
	items                  []*outItem
	message, reasoning     int // index of the open message / reasoning item, or -1
	calls                  []openCall
	finish                 inferencev1.FinishReason
	usage                  *inferencev1.Usage
}

// openCall ties a canonical tool-call index to its output item.
type openCall struct {
	index int32
	item  int
}

// NewStreamEncoder starts the event stream of one response; model is the
// name the client sees. Pass WithRequest so tool calls keep the client's
// namespaces and custom tools.
func NewStreamEncoder(model string, opts ...EncodeOption) *StreamEncoder {
	return &StreamEncoder{cfg: newEncodeConfig(opts), head: respHead{model: model}, message: -1, reasoning: -1}
}

// Encode turns one canonical chunk into events. Only choice 0 is encoded:
// the Responses API has one output per response.
func (e *StreamEncoder) Encode(c *inferencev1.ChatChunk) []Frame {
	e.frames = e.frames[:0]
	if e.finished {
		return nil
	}
	if c.GetRawDialect() == inferencev1.Dialect_DIALECT_OPENAI_RESPONSES && len(c.GetRaw()) > 0 {
		return e.forward(c)
	}
	if se := c.GetError(); se != nil {
		return e.failWith(failureCode(se.GetCode(), false), se.GetMessage())
	}
	if e.raw {
		return nil
	}
	e.start(c)
	for _, d := range c.GetDeltas() {
		if d.GetIndex() != 0 {
			continue
		}
		if d.GetReasoning() != "" {
			e.reasoningDelta(d.GetReasoning())
		}
		if d.GetReasoningSignature() != "" {
			e.reasoningOpaque(d.GetReasoningSignature())
		}
		if d.GetText() != "" {
			e.textDelta(d.GetText())
		}
		for _, tc := range d.GetToolCalls() {
			e.callDelta(tc)
		}
		if fr := d.GetFinishReason(); fr != inferencev1.FinishReason_FINISH_REASON_UNSPECIFIED {
			e.finish = fr
		}
	}
	if u := c.GetUsage(); u != nil {
		e.usage = u
	}
	return e.frames
}

// Finish closes the open items and ends the stream with response.completed,
// or response.incomplete when the model hit the token limit or a content
// filter. It returns nil when the stream has already ended.
func (e *StreamEncoder) Finish() []Frame {
	e.frames = e.frames[:0]
	if e.finished {
		return nil
	}
	e.finished = true
	if e.raw {
		// The provider's stream ended without its terminal event.
		return e.failFrames("server_error", "the provider's stream ended before the response completed")
	}
	e.start(nil)
	status, incomplete := terminalStatus(e.finish)
	e.truncated = status == "incomplete"
	e.closeAll()
	if status == "failed" {
		return e.failFrames(errGenerationFailed.code, errGenerationFailed.message)
	}
	event := "response.completed"
	if status == "incomplete" {
		event = "response.incomplete"
	}
	e.emitResponse(event, status, incomplete, nil)
	return e.frames
}

// Fail ends the stream after a failure: response.failed carrying the error
// (Codex reads its code: rate_limit_exceeded with "try again in",
// context_length_exceeded, insufficient_quota), then an "error" event, which
// the OpenAI SDKs raise as an APIError. It returns nil when the stream has
// already ended.
func (e *StreamEncoder) Fail(err *errs.Error) []Frame {
	e.frames = e.frames[:0]
	if e.finished {
		return nil
	}
	msg := err.Message
	if err.Kind == errs.KindRateLimited && err.Retry > 0 && !strings.Contains(msg, "try again in") {
		msg += " Please try again in " + strconv.FormatFloat(err.Retry.Seconds(), 'f', -1, 64) + "s."
	}
	return e.failWith(errorCode(err), msg)
}

func (e *StreamEncoder) failWith(code, message string) []Frame {
	if e.finished {
		return nil
	}
	e.finished = true
	return e.failFrames(code, message)
}

func (e *StreamEncoder) failFrames(code, message string) []Frame {
	e.start(nil)
	e.emitResponse("response.failed", "failed", "", &responseFailure{code: code, message: message})
	b := e.begin("error", 64+len(message))
	b = append(b, `,"code":`...)
	b = jsonx.AppendString(b, code)
	b = append(b, `,"message":`...)
	b = jsonx.AppendString(b, message)
	b = append(b, `,"param":null}`...)
	e.push("error", b)
	return e.frames
}

// forward passes a same-dialect provider frame through unchanged.
func (e *StreamEncoder) forward(c *inferencev1.ChatChunk) []Frame {
	if !e.started {
		e.raw, e.started = true, true
		e.head.id, e.head.created = responseID(c.GetId()), createdOrNow(c.GetCreated())
	}
	event := c.GetRawEvent()
	e.seq++
	switch event {
	case "response.completed", "response.incomplete", "response.failed", "error":
		e.finished = true
	}
	e.frames = append(e.frames, Frame{Event: event, Data: c.GetRaw()})
	return e.frames
}

// start emits response.created and response.in_progress before the first
// event, taking the response id and time from the first chunk.
func (e *StreamEncoder) start(c *inferencev1.ChatChunk) {
	if e.started {
		return
	}
	e.started = true
	e.head.id = responseID(c.GetId())
	e.head.created = createdOrNow(c.GetCreated())
	e.emitResponse("response.created", "in_progress", "", nil)
	e.emitResponse("response.in_progress", "in_progress", "", nil)
}

func (e *StreamEncoder) emitResponse(event, status, incomplete string, fail *responseFailure) {
	size := 512
	for _, it := range e.items {
		size += 160 + len(it.text) + len(it.opaque)
	}
	b := e.begin(event, size)
	b = append(b, `,"response":`...)
	u := e.usage
	if status == "in_progress" {
		u = nil
	}
	b = appendResponse(b, &e.head, status, e.items, u, incomplete, fail)
	e.push(event, append(b, '}'))
}

// begin starts an event's data: {"type":…,"sequence_number":…
func (e *StreamEncoder) begin(event string, extra int) []byte {
	b := make([]byte, 0, 64+len(event)+extra)
	b = append(b, `{"type":`...)
	b = jsonx.AppendString(b, event)
	b = append(b, `,"sequence_number":`...)
	b = strconv.AppendInt(b, e.seq, 10)
	e.seq++
	return b
}

func (e *StreamEncoder) push(event string, data []byte) {
	e.frames = append(e.frames, Frame{Event: event, Data: data})
}

// beginItemEvent starts an event about item n: …,"item_id":…,"output_index":n
func (e *StreamEncoder) beginItemEvent(event string, n int, extra int) []byte {
	b := e.begin(event, 48+len(e.items[n].id)+extra)
	b = append(b, `,"item_id":`...)
	b = jsonx.AppendString(b, e.items[n].id)
	b = append(b, `,"output_index":`...)
	return strconv.AppendInt(b, int64(n), 10)
}

func (e *StreamEncoder) addItem(it *outItem) int {
	n := len(e.items)
	it.open = true
	e.items = append(e.items, it)
	b := e.begin("response.output_item.added", 160+len(it.name))
	b = append(b, `,"output_index":`...)
	b = strconv.AppendInt(b, int64(n), 10)
	b = append(b, `,"item":`...)
	b = appendItem(b, it, "in_progress")
	e.push("response.output_item.added", append(b, '}'))
	return n
}

func (e *StreamEncoder) itemDone(n int) {
	it := e.items[n]
	it.open = false
	status := "completed"
	if e.truncated && n == len(e.items)-1 {
		status = "incomplete"
	}
	b := e.begin("response.output_item.done", 160+len(it.text)+len(it.opaque))
	b = append(b, `,"output_index":`...)
	b = strconv.AppendInt(b, int64(n), 10)
	b = append(b, `,"item":`...)
	b = appendItem(b, it, status)
	e.push("response.output_item.done", append(b, '}'))
}

func (e *StreamEncoder) textDelta(text string) {
	if e.message < 0 {
		e.closeAll()
		e.message = e.addItem(&outItem{kind: kindMessage, id: itemID("msg", e.head.id, len(e.items))})
		b := e.beginItemEvent("response.content_part.added", e.message, 96)
		b = append(b, `,"content_index":0,"part":{"type":"output_text","text":"","annotations":[],"logprobs":[]}}`...)
		e.push("response.content_part.added", b)
	}
	it := e.items[e.message]
	it.text = append(it.text, text...)
	b := e.beginItemEvent("response.output_text.delta", e.message, 48+len(text))
	b = append(b, `,"content_index":0,"delta":`...)
	b = jsonx.AppendString(b, text)
	e.push("response.output_text.delta", append(b, `,"logprobs":[]}`...))
}

func (e *StreamEncoder) closeMessage() {
	n := e.message
	if n < 0 {
		return
	}
	e.message = -1
	it := e.items[n]
	b := e.beginItemEvent("response.output_text.done", n, 48+len(it.text))
	b = append(b, `,"content_index":0,"text":`...)
	b = appendBytesString(b, it.text)
	e.push("response.output_text.done", append(b, `,"logprobs":[]}`...))
	b = e.beginItemEvent("response.content_part.done", n, 96+len(it.text))
	b = append(b, `,"content_index":0,"part":`...)
	b = appendOutputText(b, it.text)
	e.push("response.content_part.done", append(b, '}'))
	e.itemDone(n)
}

// openReasoning opens a reasoning item unless one is open.
func (e *StreamEncoder) openReasoning() *outItem {
	if e.reasoning < 0 {
		e.closeAll()
		e.reasoning = e.addItem(&outItem{kind: kindReasoning, id: itemID("rs", e.head.id, len(e.items))})
	}
	return e.items[e.reasoning]
}

func (e *StreamEncoder) reasoningDelta(text string) {
	it := e.openReasoning()
	if !it.hasSummary {
		it.hasSummary = true
		b := e.beginItemEvent("response.reasoning_summary_part.added", e.reasoning, 64)
		b = append(b, `,"summary_index":0,"part":{"type":"summary_text","text":""}}`...)
		e.push("response.reasoning_summary_part.added", b)
	}
	it.text = append(it.text, text...)
	b := e.beginItemEvent("response.reasoning_summary_text.delta", e.reasoning, 48+len(text))
	b = append(b, `,"summary_index":0,"delta":`...)
	b = jsonx.AppendString(b, text)
	e.push("response.reasoning_summary_text.delta", append(b, '}'))
}

// reasoningOpaque attaches the provider's opaque reasoning token (an
// encrypted_content, or another provider's signature) to the reasoning
// item, which returns it in encrypted_content when it is done.
func (e *StreamEncoder) reasoningOpaque(token string) {
	it := e.openReasoning()
	it.opaque += token
}

func (e *StreamEncoder) closeReasoning() {
	n := e.reasoning
	if n < 0 {
		return
	}
	e.reasoning = -1
	it := e.items[n]
	if it.hasSummary {
		b := e.beginItemEvent("response.reasoning_summary_text.done", n, 48+len(it.text))
		b = append(b, `,"summary_index":0,"text":`...)
		b = appendBytesString(b, it.text)
		e.push("response.reasoning_summary_text.done", append(b, '}'))
		b = e.beginItemEvent("response.reasoning_summary_part.done", n, 64+len(it.text))
		b = append(b, `,"summary_index":0,"part":`...)
		b = appendSummaryText(b, it.text)
		e.push("response.reasoning_summary_part.done", append(b, '}'))
	}
	e.itemDone(n)
}

func (e *StreamEncoder) callDelta(tc *inferencev1.ToolCallDelta) {
	n := -1
	for _, c := range e.calls {
		if c.index == tc.GetIndex() {
			n = c.item
			break
		}
	}
	if n < 0 {
		// A new call: text and reasoning end, earlier calls may still grow.
		e.closeMessage()
		e.closeReasoning()
		it := callItem(&e.cfg, &e.head, len(e.items), tc.GetId(), tc.GetName(), nil)
		n = e.addItem(it)
		e.calls = append(e.calls, openCall{index: tc.GetIndex(), item: n})
	}
	it := e.items[n]
	args := tc.GetArgumentsJson()
	if args == "" {
		return
	}
	it.text = append(it.text, args...)
	if it.kind == kindCustomCall || !it.open {
		// Custom input is sent whole once the JSON arguments are complete.
		return
	}
	b := e.beginItemEvent("response.function_call_arguments.delta", n, 16+len(args))
	b = append(b, `,"delta":`...)
	b = jsonx.AppendString(b, args)
	e.push("response.function_call_arguments.delta", append(b, '}'))
}

func (e *StreamEncoder) closeCalls() {
	for _, c := range e.calls {
		it := e.items[c.item]
		if !it.open {
			continue
		}
		if it.kind == kindCustomCall {
			input := customInput(it.text)
			b := e.beginItemEvent("response.custom_tool_call_input.delta", c.item, 16+len(input))
			b = append(b, `,"delta":`...)
			b = jsonx.AppendString(b, input)
			e.push("response.custom_tool_call_input.delta", append(b, '}'))
			b = e.beginItemEvent("response.custom_tool_call_input.done", c.item, 16+len(input))
			b = append(b, `,"input":`...)
			b = jsonx.AppendString(b, input)
			e.push("response.custom_tool_call_input.done", append(b, '}'))
		} else {
			b := e.beginItemEvent("response.function_call_arguments.done", c.item, 32+len(it.name)+len(it.text))
			b = append(b, `,"name":`...)
			b = jsonx.AppendString(b, it.name)
			b = append(b, `,"arguments":`...)
			b = appendBytesString(b, it.text)
			e.push("response.function_call_arguments.done", append(b, '}'))
		}
		e.itemDone(c.item)
	}
}

// closeAll closes every open item, in output order.
func (e *StreamEncoder) closeAll() {
	e.closeReasoning()
	e.closeMessage()
	e.closeCalls()
}

// errorCode is the Responses error code for a Tollgate error.
func errorCode(err *errs.Error) string {
	if err.Code != "" {
		return err.Code
	}
	return failureCode("", err.Kind == errs.KindRateLimited)
}

func failureCode(code string, rateLimited bool) string {
	switch {
	case code != "":
		return code
	case rateLimited:
		return "rate_limit_exceeded"
	}
	return "server_error"
}
