package router

import (
	inferencev1 "github.com/tollgate/tollgate/gen/go/tollgate/inference/v1"
	"github.com/tollgate/tollgate/services/kit/errs"
	"github.com/tollgate/tollgate/services/kit/wire/responses"
)

// responsesDoor is the OpenAI Responses front door (Codex CLI, the OpenAI
// SDKs' responses.create and responses.stream). It keeps the client's
// request so tool calls are written back in the shape the client declared
// them (namespaced functions, custom tools).
type responsesDoor struct {
	req *inferencev1.ChatRequest
}

func (responsesDoor) dialect() inferencev1.Dialect {
	return inferencev1.Dialect_DIALECT_OPENAI_RESPONSES
}

func (d responsesDoor) encodeResponse(r *inferencev1.ChatResponse, model string) []byte {
	return responses.EncodeResponse(r, model, responses.WithRequest(d.req))
}

func (d responsesDoor) newStream(_ *inferencev1.ChatRequest, model string) streamRenderer {
	return &responsesStream{enc: responses.NewStreamEncoder(model, responses.WithRequest(d.req))}
}

// responsesStream frames an answer as Responses API events
// (response.created … response.completed). A Responses provider's frames
// are forwarded untouched.
type responsesStream struct {
	enc *responses.StreamEncoder
}

func (r *responsesStream) chunk(c *inferencev1.ChatChunk) []byte {
	return responsesFrames(r.enc.Encode(c))
}

func (r *responsesStream) end() []byte { return responsesFrames(r.enc.Finish()) }

// fail ends the stream with response.failed and an "error" event.
func (r *responsesStream) fail(_ int, e *errs.Error) []byte {
	return responsesFrames(r.enc.Fail(e))
}

// responsesFrames writes frames as one SSE byte run, nil for none. The
// encoder reuses its frame slice, so the bytes are copied here.
func responsesFrames(frames []responses.Frame) []byte {
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
