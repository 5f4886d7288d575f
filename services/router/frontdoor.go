package router

import (
	"context"
	"io"
	"time"

	"google.golang.org/genproto/googleapis/api/httpbody"
	"google.golang.org/grpc"

	inferencev1 "github.com/tollgate/tollgate/gen/go/tollgate/inference/v1"
	"github.com/tollgate/tollgate/services/kit/config"
	"github.com/tollgate/tollgate/services/kit/errs"
)

const (
	contentTypeJSON = "application/json"
	contentTypeSSE  = "text/event-stream"
	// mdHTTPStatus asks the facade to answer with this status (see facade.MDHTTPStatus).
	mdHTTPStatus = "x-tollgate-http-status"
)

var (
	sseDone      = []byte("data: [DONE]\n\n")
	sseDataStart = []byte("data: ")
	sseEnd       = []byte("\n\n")
)

// frontDoor is one client dialect's side of a chat exchange: how answers
// that did not arrive in this dialect are rendered, and how a stream is
// framed. Decoding stays with each RPC (paths and bodies differ).
type frontDoor interface {
	dialect() inferencev1.Dialect
	// encodeResponse renders a non-streamed answer the provider gave in another dialect.
	encodeResponse(r *inferencev1.ChatResponse, model string) []byte
	// newStream starts rendering one streamed answer.
	newStream(req *inferencev1.ChatRequest, model string) streamRenderer
}

// streamRenderer frames one streamed answer in a client dialect.
type streamRenderer interface {
	// chunk renders one provider chunk (forwarded raw when it is already in
	// the client's dialect, translated otherwise); nil skips it.
	chunk(c *inferencev1.ChatChunk) []byte
	// end closes a successful stream.
	end() []byte
	// fail reports a failure after the first byte went out.
	fail(status int, e *errs.Error) []byte
}

// serveChat runs an admitted-to-be chat request from any dialect: admission,
// provider call with fallbacks, rendering in the client's dialect, usage.
func (s *Service) serveChat(ctx context.Context, c *call, door frontDoor, cr *inferencev1.ChatRequest, out grpc.ServerStream, send func(*httpbody.HttpBody) error) error {
	if err := s.admit(ctx, c, cr.GetModel(), config.TaskChat); err != nil {
		return s.rawError(out, send, c, err)
	}
	c.inChars = inputChars(cr)
	clientModel := cr.GetModel()

	if !cr.GetStream() {
		resp, err := s.chatUnary(ctx, c, cr)
		if err != nil {
			return s.rawError(out, send, c, err)
		}
		c.usage = resp.GetUsage()
		c.outChars = outputChars(resp)
		data := resp.GetRaw()
		if resp.GetRawDialect() != door.dialect() || len(data) == 0 {
			data = door.encodeResponse(resp, modelName(resp.GetModel(), clientModel))
		}
		if c.payload != nil {
			c.payload.response = data
		}
		c.firstByte = time.Since(c.start)
		return send(&httpbody.HttpBody{ContentType: contentTypeJSON, Data: data})
	}

	c.streaming = true
	st, err := s.openChatStream(ctx, c, cr)
	if err != nil {
		return s.rawError(out, send, c, err)
	}
	defer st.cancel()
	render := door.newStream(cr, clientModel)
	if c.payload != nil {
		c.payload.stream, c.payload.door, c.payload.model = &assembler{}, door, clientModel
	}
	// The frames of chunks that arrived together go out as one write; held
	// is empty whenever next may wait for the adapter.
	held := make([][]byte, 0, 8)
	for {
		chunk, err := st.next()
		if err == io.EOF {
			break
		}
		if err == nil && chunk.GetError() != nil {
			// A provider's own error frame in the client's dialect goes out as
			// the provider wrote it (its type tells the client whether to retry).
			se := chunk.GetError()
			te := &errs.Error{Kind: errs.KindUpstream, Code: se.GetCode(), Message: se.GetMessage(), Retryable: se.GetRetryable()}
			c.err, c.status = te, te.HTTPStatus()
			if chunk.GetRawDialect() == door.dialect() && len(chunk.GetRaw()) > 0 {
				if frame := render.chunk(chunk); frame != nil {
					return sendFrames(send, append(held, frame))
				}
			}
			return sendFrames(send, append(held, render.fail(c.status, te)))
		}
		if err != nil {
			te := errs.From(err)
			c.err, c.status = te, te.HTTPStatus()
			return sendFrames(send, append(held, render.fail(c.status, te)))
		}
		c.observeChunk(chunk)
		if c.payload != nil {
			c.payload.stream.add(chunk)
		}
		if frame := render.chunk(chunk); frame != nil {
			if c.firstByte == 0 {
				c.firstByte = time.Since(c.start)
			}
			held = append(held, frame)
		}
		if st.more() {
			continue // arrived with this one: next has it without waiting
		}
		if err := sendFrames(send, held); err != nil {
			return err
		}
		held = held[:0]
	}
	if tail := render.end(); len(tail) > 0 {
		return send(&httpbody.HttpBody{ContentType: contentTypeSSE, Data: tail})
	}
	return nil
}

// sendFrames sends stream frames as one body, so that the facade writes and
// flushes them once; nothing is sent for no frames.
func sendFrames(send func(*httpbody.HttpBody) error, frames [][]byte) error {
	var data []byte
	switch len(frames) {
	case 0:
		return nil
	case 1:
		data = frames[0] // already its own slice: no copy
	default:
		n := 0
		for _, f := range frames {
			n += len(f)
		}
		data = make([]byte, 0, n)
		for _, f := range frames {
			data = append(data, f...)
		}
	}
	return send(&httpbody.HttpBody{ContentType: contentTypeSSE, Data: data})
}

// sseData frames data as one unnamed SSE event.
func sseData(data []byte) []byte {
	b := make([]byte, 0, len(data)+len(sseDataStart)+len(sseEnd))
	b = append(b, sseDataStart...)
	b = append(b, data...)
	return append(b, sseEnd...)
}

// sseEvent frames data as one named SSE event.
func sseEvent(event string, data []byte) []byte {
	if event == "" {
		return sseData(data)
	}
	b := make([]byte, 0, len(event)+len(data)+16)
	b = append(b, "event: "...)
	b = append(b, event...)
	b = append(b, '\n')
	b = append(b, sseDataStart...)
	b = append(b, data...)
	return append(b, sseEnd...)
}
