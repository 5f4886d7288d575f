package router

import (
	inferencev1 "github.com/tollgate/tollgate/gen/go/tollgate/inference/v1"
	"github.com/tollgate/tollgate/services/kit/errs"
	"github.com/tollgate/tollgate/services/kit/wire/gemini"
)

// geminiDoor is the Gemini generateContent front door (Gemini CLI, the
// genai SDKs). A stream is framed as server-sent events when the client
// asked for alt=sse, and as one JSON array of responses otherwise, as
// Google's servers do.
type geminiDoor struct {
	sse bool
}

func (geminiDoor) dialect() inferencev1.Dialect { return inferencev1.Dialect_DIALECT_GEMINI }

func (geminiDoor) encodeResponse(r *inferencev1.ChatResponse, model string) []byte {
	return gemini.EncodeResponse(r, model)
}

func (d geminiDoor) newStream(_ *inferencev1.ChatRequest, model string) streamRenderer {
	return &geminiStream{enc: gemini.NewStreamEncoder(model), array: !d.sse}
}

// geminiStream frames one streamed answer. The encoder forwards a Gemini
// provider's frames untouched and otherwise writes partial responses as
// the canonical deltas arrive, the last one with the finish reason, the
// function calls and the usage.
type geminiStream struct {
	enc *gemini.StreamEncoder
	// array frames the responses as the elements of one JSON array
	// ("[", elements separated by ",", "]") instead of SSE events.
	array bool
	// opened is set once the array's "[" went out, closed once its "]" did.
	opened, closed bool
}

func (g *geminiStream) chunk(c *inferencev1.ChatChunk) []byte {
	return g.frames(g.enc.Encode(c), false)
}

func (g *geminiStream) end() []byte { return g.frames(g.enc.Finish(), true) }

// fail ends the stream with Google's error body as its last frame (array
// element), which the genai SDKs raise as an API error of its status.
func (g *geminiStream) fail(_ int, e *errs.Error) []byte {
	return g.frames(g.enc.Fail(e), true)
}

// frames writes frames as one byte run; closing also ends the JSON array.
// It returns nil when there is nothing to write.
func (g *geminiStream) frames(frames []gemini.Frame, closing bool) []byte {
	if !g.array {
		if len(frames) == 0 {
			return nil
		}
		n := 0
		for _, f := range frames {
			n += len(f.Data) + 16
		}
		b := make([]byte, 0, n)
		for _, f := range frames {
			b = gemini.AppendSSE(b, f)
		}
		return b
	}
	if g.closed || len(frames) == 0 && !closing {
		return nil
	}
	n := 4
	for _, f := range frames {
		n += len(f.Data) + 4
	}
	b := make([]byte, 0, n)
	for _, f := range frames {
		if g.opened {
			b = append(b, ",\r\n"...)
		} else {
			b = append(b, '[')
			g.opened = true
		}
		b = append(b, f.Data...)
	}
	if closing {
		if !g.opened {
			b = append(b, '[')
			g.opened = true
		}
		b = append(b, ']')
		g.closed = true
	}
	return b
}
