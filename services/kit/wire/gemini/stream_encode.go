package gemini

import (
	"github.com/tollgate/tollgate/services/kit/wire/internal/jsonx"

	"strconv"

	inferencev1 "github.com/tollgate/tollgate/gen/go/tollgate/inference/v1"
	"github.com/tollgate/tollgate/services/kit/errs"
)

// Frame is one server-sent event. Gemini's streams name no events: Event
// is always empty, and the router writes only "data: <Data>\n\n".
type Frame struct {
	Event string
	Data  []byte
}

// AppendSSE appends f as Google's servers write stream events:
// "data: <Data>\r\n\r\n" (the genai SDKs accept "\n\n" as well).
func AppendSSE(dst []byte, f Frame) []byte {
	if f.Event != "" {
		dst = append(dst, "event: "...)
		dst = append(dst, f.Event...)
		dst = append(dst, '\r', '\n')
	}
	dst = append(dst, "data: "...)
	dst = append(dst, f.Data...)
	return append(dst, "\r\n\r\n"...)
}

// StreamEncoder turns canonical chunks into a Gemini stream
// (:streamGenerateContent?alt=sse): each frame is a partial
// GenerateContentResponse whose candidates hold the parts that just
// arrived (text, thought text), and the last frame, written by Finish,
// carries the function calls, the finish reason and usageMetadata. That
// last frame is what Gemini CLI needs: it retries a stream that ends
// without a finish reason, or with one but no text or call.
//
// Function calls are whole in Gemini (args is one JSON object), so tool-call
// fragments are collected and written complete at the end; a call whose
// arguments are not a JSON object is left out and the candidate finishes
// with MALFORMED_FUNCTION_CALL. A reasoning signature is written as the
// thoughtSignature of the next part, where Gemini puts it.
//
// Chunks whose Raw is already a Gemini frame (a same-dialect provider) are
// forwarded byte for byte instead. A StreamEncoder serves one response and
// is not safe for concurrent use.
type StreamEncoder struct {
	model, id         string
	done, passthrough bool
	candidates        []streamCandidate
	usage             *inferencev1.Usage
}

// streamCandidate is what one candidate still owes the client.
type streamCandidate struct {
	index            int32
	finish           inferencev1.FinishReason
	providerFinish   string
	calls            []pendingCall
	pendingSignature string
}

// pendingCall is a tool call being collected from its fragments.
type pendingCall struct {
	index               int32
	id, name, signature string
	args                []byte
}

// NewStreamEncoder starts the stream of one response; model is the
// modelVersion the client sees.
func NewStreamEncoder(model string) *StreamEncoder {
	return &StreamEncoder{model: model}
}

// Encode returns the frames for one chunk, possibly none. A chunk carrying
// a StreamError ends the stream with an error frame.
func (s *StreamEncoder) Encode(c *inferencev1.ChatChunk) []Frame {
	if c.GetRawDialect() == inferencev1.Dialect_DIALECT_GEMINI && len(c.GetRaw()) > 0 {
		if s.done {
			return nil
		}
		s.passthrough = true
		if c.GetError() != nil {
			s.done = true
		}
		return []Frame{{Event: c.GetRawEvent(), Data: c.GetRaw()}}
	}
	if s.done {
		return nil
	}
	if e := c.GetError(); e != nil {
		s.done = true
		return []Frame{streamErrorFrame(e)}
	}
	if s.id == "" {
		s.id = c.GetId()
	}
	if u := c.GetUsage(); u != nil {
		s.usage = u
	}
	var b []byte
	n := 0
	for _, d := range c.GetDeltas() {
		cand := s.candidate(d.GetIndex())
		for _, tc := range d.GetToolCalls() {
			cand.addCall(tc)
		}
		if fr := d.GetFinishReason(); fr != inferencev1.FinishReason_FINISH_REASON_UNSPECIFIED {
			cand.finish, cand.providerFinish = fr, d.GetProviderFinishReason()
		}
		if d.GetReasoning() == "" && d.GetText() == "" {
			if sig := d.GetReasoningSignature(); sig != "" {
				cand.pendingSignature = sig
			}
			continue
		}
		if b == nil {
			b = make([]byte, 0, 160+len(s.model)+chunkTextSize(c))
			b = append(b, `{"candidates":[`...)
		}
		if n > 0 {
			b = append(b, ',')
		}
		n++
		b = append(b, `{"content":{"parts":[`...)
		w := partWriter{pendingSignature: cand.pendingSignature}
		if r := d.GetReasoning(); r != "" {
			b = w.thought(b, r)
		}
		if sig := d.GetReasoningSignature(); sig != "" {
			w.pendingSignature = sig
		}
		if t := d.GetText(); t != "" {
			b = w.text(b, t)
		}
		cand.pendingSignature = w.pendingSignature
		b = append(b, `],"role":"model"},"index":`...)
		b = strconv.AppendInt(b, int64(cand.index), 10)
		b = append(b, '}')
	}
	if b == nil {
		return nil
	}
	b = append(b, ']')
	b = s.appendTrailer(b)
	return []Frame{{Data: b}}
}

func chunkTextSize(c *inferencev1.ChatChunk) int {
	n := 0
	for _, d := range c.GetDeltas() {
		n += len(d.GetText()) + len(d.GetReasoning()) + len(d.GetReasoningSignature()) + 64
	}
	return n
}

// appendTrailer writes modelVersion and responseId and closes the object.
func (s *StreamEncoder) appendTrailer(b []byte) []byte {
	if s.id == "" {
		s.id = idOrNew("")
	}
	b = append(b, `,"modelVersion":`...)
	b = jsonx.AppendString(b, s.model)
	b = append(b, `,"responseId":`...)
	b = jsonx.AppendString(b, s.id)
	return append(b, '}')
}

func (s *StreamEncoder) candidate(index int32) *streamCandidate {
	for i := range s.candidates {
		if s.candidates[i].index == index {
			return &s.candidates[i]
		}
	}
	s.candidates = append(s.candidates, streamCandidate{index: index})
	return &s.candidates[len(s.candidates)-1]
}

// addCall merges a tool-call fragment into the call of its index.
func (c *streamCandidate) addCall(tc *inferencev1.ToolCallDelta) {
	var call *pendingCall
	for i := range c.calls {
		if c.calls[i].index == tc.GetIndex() {
			call = &c.calls[i]
			break
		}
	}
	if call == nil {
		c.calls = append(c.calls, pendingCall{index: tc.GetIndex()})
		call = &c.calls[len(c.calls)-1]
	}
	if id := tc.GetId(); id != "" {
		call.id = id
	}
	if name := tc.GetName(); name != "" {
		call.name = name
	}
	if sig := tc.GetSignature(); sig != "" {
		call.signature = sig
	}
	call.args = append(call.args, tc.GetArgumentsJson()...)
}

// Finish ends a stream that completed: one frame with each candidate's
// function calls, waiting signature, finish reason and the usage reported
// so far. It returns nothing once the stream has ended (after an error or
// a previous Finish), and nothing for a forwarded stream, whose own frames
// are authoritative.
func (s *StreamEncoder) Finish() []Frame {
	if s.done || s.passthrough {
		return nil
	}
	s.done = true
	if len(s.candidates) == 0 {
		s.candidates = append(s.candidates, streamCandidate{})
	}
	size := 256
	for i := range s.candidates {
		for _, call := range s.candidates[i].calls {
			size += 64 + len(call.args) + len(call.name) + len(call.id) + len(call.signature)
		}
	}
	b := make([]byte, 0, size)
	b = append(b, `{"candidates":[`...)
	for i := range s.candidates {
		if i > 0 {
			b = append(b, ',')
		}
		b = s.appendFinalCandidate(b, &s.candidates[i])
	}
	b = append(b, ']')
	if s.usage != nil {
		b = append(b, `,"usageMetadata":`...)
		b = appendUsageMetadata(b, s.usage)
	}
	b = s.appendTrailer(b)
	return []Frame{{Data: b}}
}

func (s *StreamEncoder) appendFinalCandidate(b []byte, c *streamCandidate) []byte {
	b = append(b, `{"content":{"parts":[`...)
	w := partWriter{pendingSignature: c.pendingSignature}
	malformed := false
	for _, call := range c.calls {
		var ok bool
		if b, ok = w.functionCall(b, call.id, call.name, string(call.args), call.signature); !ok {
			malformed = true
		}
	}
	b = w.finish(b, true)
	b = append(b, `],"role":"model"},"finishReason":`...)
	reason := finishReasonName(c.finish, c.providerFinish)
	if malformed {
		reason = "MALFORMED_FUNCTION_CALL"
	}
	b = jsonx.AppendString(b, reason)
	b = append(b, `,"index":`...)
	b = strconv.AppendInt(b, int64(c.index), 10)
	return append(b, '}')
}

// Fail ends the stream with an error frame, which the genai SDKs raise as
// an API error of e's status. It returns nothing once the stream has ended.
func (s *StreamEncoder) Fail(e *errs.Error) []Frame {
	if s.done {
		return nil
	}
	s.done = true
	return []Frame{ErrorFrame(e)}
}

// Done reports whether the stream has ended (its last frame or an error
// was written).
func (s *StreamEncoder) Done() bool { return s.done }
