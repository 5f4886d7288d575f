package router

import (
	inferencev1 "github.com/tollgate/tollgate/gen/go/tollgate/inference/v1"
	"github.com/tollgate/tollgate/services/kit/errs"
	"github.com/tollgate/tollgate/services/kit/wire/openai"
)

// openAIChatDoor is the OpenAI Chat Completions front door.
type openAIChatDoor struct{}

func (openAIChatDoor) dialect() inferencev1.Dialect { return inferencev1.Dialect_DIALECT_OPENAI_CHAT }

func (openAIChatDoor) encodeResponse(r *inferencev1.ChatResponse, model string) []byte {
	return openai.EncodeChatResponse(r, model)
}

func (openAIChatDoor) newStream(req *inferencev1.ChatRequest, model string) streamRenderer {
	return &openAIStream{model: model, wantsUsage: req.GetIncludeUsage()}
}

type openAIStream struct {
	model      string
	wantsUsage bool
}

// chunk forwards raw OpenAI chunks. The router always asks providers for
// usage, so a usage-only chunk the client did not ask for is dropped.
func (o *openAIStream) chunk(c *inferencev1.ChatChunk) []byte {
	usageOnly := c.GetUsage() != nil && len(c.GetDeltas()) == 0
	if usageOnly && !o.wantsUsage {
		return nil
	}
	if c.GetRawDialect() == inferencev1.Dialect_DIALECT_OPENAI_CHAT && len(c.GetRaw()) > 0 {
		return sseData(c.GetRaw())
	}
	data := openai.EncodeChunk(c, modelName(c.GetModel(), o.model), o.wantsUsage)
	if data == nil {
		return nil
	}
	return sseData(data)
}

func (o *openAIStream) end() []byte { return sseDone }

// fail sends OpenAI's in-stream error event.
func (o *openAIStream) fail(status int, e *errs.Error) []byte {
	return sseData(openai.EncodeError(status, e))
}
