package router

import (
	inferencev1 "github.com/tollgate/tollgate/gen/go/tollgate/inference/v1"
	"github.com/tollgate/tollgate/services/kit/errs"
	"github.com/tollgate/tollgate/services/kit/wire/anthropic"
)

// anthropicDoor is the Anthropic Messages front door (Claude Code, the
// Anthropic SDKs).
type anthropicDoor struct{}

func (anthropicDoor) dialect() inferencev1.Dialect {
	return inferencev1.Dialect_DIALECT_ANTHROPIC_MESSAGES
}

func (anthropicDoor) encodeResponse(r *inferencev1.ChatResponse, model string) []byte {
	return anthropic.EncodeResponse(r, model)
}

func (anthropicDoor) newStream(_ *inferencev1.ChatRequest, model string) streamRenderer {
	return &anthropicStream{enc: anthropic.NewStreamEncoder(model)}
}

// anthropicStream frames an answer as Anthropic's named SSE events. The
// encoder forwards an Anthropic provider's frames untouched and otherwise
// opens and closes content blocks as the canonical deltas arrive.
type anthropicStream struct {
	enc *anthropic.StreamEncoder
}

func (a *anthropicStream) chunk(c *inferencev1.ChatChunk) []byte {
	return anthropicFrames(a.enc.Encode(c))
}

func (a *anthropicStream) end() []byte { return anthropicFrames(a.enc.Finish()) }

// fail ends the stream with Anthropic's in-stream "error" event. An
// Anthropic provider's own error type (overloaded_error…) is kept, since
// clients decide on it whether to retry; other failures are typed by
// their HTTP status.
func (a *anthropicStream) fail(_ int, e *errs.Error) []byte {
	if isAnthropicErrorType(e.Code) {
		return anthropicFrames(a.enc.Encode(&inferencev1.ChatChunk{Error: &inferencev1.StreamError{
			Code: e.Code, Message: e.Message, Retryable: e.Retryable}}))
	}
	return anthropicFrames(a.enc.Fail(e))
}

func isAnthropicErrorType(code string) bool {
	switch code {
	case "invalid_request_error", "authentication_error", "billing_error", "permission_error", "not_found_error",
		"request_too_large", "rate_limit_error", "api_error", "overloaded_error", "timeout_error":
		return true
	}
	return false
}

// anthropicFrames writes frames as one SSE byte run, nil for none.
func anthropicFrames(frames []anthropic.Frame) []byte {
	switch len(frames) {
	case 0:
		return nil
	case 1:
		return sseEvent(frames[0].Event, frames[0].Data)
	}
	n := 0
	for _, f := range frames {
		n += len(f.Event) + len(f.Data) + 16
	}
	b := make([]byte, 0, n)
	for _, f := range frames {
		b = appendSSEEvent(b, f.Event, f.Data)
	}
	return b
}

// appendSSEEvent appends one named SSE event to b.
func appendSSEEvent(b []byte, event string, data []byte) []byte {
	if event != "" {
		b = append(b, "event: "...)
		b = append(b, event...)
		b = append(b, '\n')
	}
	b = append(b, sseDataStart...)
	b = append(b, data...)
	return append(b, sseEnd...)
}
