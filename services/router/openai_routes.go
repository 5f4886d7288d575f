package router

import (
	"context"
	"io"
	"strconv"
	"time"

	"google.golang.org/genproto/googleapis/api/httpbody"
	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"

	inferencev1 "github.com/tollgate/tollgate/gen/go/tollgate/inference/v1"
	routerv1 "github.com/tollgate/tollgate/gen/go/tollgate/router/v1"
	"github.com/tollgate/tollgate/services/kit/config"
	"github.com/tollgate/tollgate/services/kit/errs"
	"github.com/tollgate/tollgate/services/kit/wire/openai"
	"github.com/tollgate/tollgate/services/router/httperr"
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

// CreateChatCompletion serves OpenAI Chat Completions, unary or SSE as the body asks.
func (s *Service) CreateChatCompletion(req *routerv1.CreateChatCompletionRequest, out grpc.ServerStreamingServer[routerv1.CreateChatCompletionResponse]) error {
	ctx := out.Context()
	c := newCall(ctx, inferencev1.Dialect_DIALECT_OPENAI_CHAT)
	defer s.finish(c)
	send := func(b *httpbody.HttpBody) error { return out.Send(&routerv1.CreateChatCompletionResponse{Body: b}) }

	body := req.GetBody().GetData()
	if err := checkBody(body); err != nil {
		return s.rawError(out, send, c, err)
	}
	cr, extras, err := openai.DecodeChatRequestExtras(body)
	if err != nil {
		return s.rawError(out, send, c, err)
	}
	c.clientRequestID, c.usageContext = extras.ClientRequestID, extras.UsageContext
	c.payloadRequest = body
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
		if resp.GetRawDialect() != inferencev1.Dialect_DIALECT_OPENAI_CHAT || len(data) == 0 {
			data = openai.EncodeChatResponse(resp, modelName(resp.GetModel(), clientModel))
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
	clientWantsUsage := cr.GetIncludeUsage()
	for {
		chunk, err := st.next()
		if err == io.EOF {
			break
		}
		if err == nil && chunk.GetError() != nil {
			se := chunk.GetError()
			err = &errs.Error{Kind: errs.KindUpstream, Code: se.GetCode(), Message: se.GetMessage()}
		}
		if err != nil {
			// The status line is gone; OpenAI streams report late failures as an error event.
			te := errs.From(err)
			c.err, c.status = te, te.HTTPStatus()
			return send(sseFrame(openai.EncodeError(c.status, te)))
		}
		c.observeChunk(chunk)
		frame := openAIChunkFrame(chunk, clientModel, clientWantsUsage)
		if frame == nil {
			continue
		}
		if c.firstByte == 0 {
			c.firstByte = time.Since(c.start)
		}
		if err := send(frame); err != nil {
			return err
		}
	}
	return send(&httpbody.HttpBody{ContentType: contentTypeSSE, Data: sseDone})
}

// openAIChunkFrame renders one chunk as an SSE frame, or nil to skip it: the
// router always asks providers for usage, so a usage-only chunk the client
// did not ask for is dropped.
func openAIChunkFrame(chunk *inferencev1.ChatChunk, clientModel string, clientWantsUsage bool) *httpbody.HttpBody {
	usageOnly := chunk.GetUsage() != nil && len(chunk.GetDeltas()) == 0
	if usageOnly && !clientWantsUsage {
		return nil
	}
	if chunk.GetRawDialect() == inferencev1.Dialect_DIALECT_OPENAI_CHAT && len(chunk.GetRaw()) > 0 {
		return sseFrame(chunk.GetRaw())
	}
	if len(chunk.GetDeltas()) == 0 && chunk.GetUsage() == nil {
		return nil
	}
	return sseFrame(openai.EncodeChunk(chunk, modelName(chunk.GetModel(), clientModel), clientWantsUsage))
}

func sseFrame(data []byte) *httpbody.HttpBody {
	b := make([]byte, 0, len(data)+len(sseDataStart)+len(sseEnd))
	b = append(b, sseDataStart...)
	b = append(b, data...)
	b = append(b, sseEnd...)
	return &httpbody.HttpBody{ContentType: contentTypeSSE, Data: b}
}

func modelName(provider, client string) string {
	if provider != "" {
		return provider
	}
	return client
}

// CreateEmbedding serves OpenAI Embeddings.
func (s *Service) CreateEmbedding(ctx context.Context, req *routerv1.CreateEmbeddingRequest) (*routerv1.CreateEmbeddingResponse, error) {
	c := newCall(ctx, inferencev1.Dialect_DIALECT_OPENAI_EMBEDDINGS)
	defer s.finish(c)
	body := req.GetBody().GetData()
	if err := checkBody(body); err != nil {
		return nil, c.fail(err)
	}
	er, err := openai.DecodeEmbeddingsRequest(body)
	if err != nil {
		return nil, c.fail(err)
	}
	if c.clientRequestID, c.usageContext, err = openai.DecodeGatewayExtras(body); err != nil {
		return nil, c.fail(err)
	}
	c.payloadRequest = body
	if err := s.admit(ctx, c, er.GetModel(), config.TaskEmbeddings); err != nil {
		return nil, c.fail(err)
	}
	for _, in := range er.GetInputs() {
		c.inChars += int64(len(in))
	}
	clientModel := er.GetModel()
	resp, err := s.embed(ctx, c, er)
	if err != nil {
		return nil, c.fail(err)
	}
	c.usage = resp.GetUsage()
	data := resp.GetRaw()
	if resp.GetRawDialect() != inferencev1.Dialect_DIALECT_OPENAI_EMBEDDINGS || len(data) == 0 {
		data = openai.EncodeEmbeddingsResponse(resp, modelName(resp.GetModel(), clientModel), er.GetEncodingFormat())
	}
	c.firstByte = time.Since(c.start)
	return &routerv1.CreateEmbeddingResponse{Body: &httpbody.HttpBody{ContentType: contentTypeJSON, Data: data}}, nil
}

// ListModels lists the endpoints the caller may query.
func (s *Service) ListModels(ctx context.Context, _ *routerv1.ListModelsRequest) (*routerv1.ListModelsResponse, error) {
	c := newCall(ctx, inferencev1.Dialect_DIALECT_OPENAI_CHAT)
	id, err := s.deps.Policy.Authenticate(c.token)
	if err != nil {
		return nil, err
	}
	var ids []string
	for _, name := range s.deps.Policy.Queryable(id) {
		if s.routes.lookup(name) != nil {
			ids = append(ids, name)
		}
	}
	return &routerv1.ListModelsResponse{Body: &httpbody.HttpBody{
		ContentType: contentTypeJSON,
		Data:        openai.EncodeModelList(ids, s.startedUnix),
	}}, nil
}

// rawError answers a raw-body stream with the dialect's error body and asks
// the facade for the matching HTTP status.
func (s *Service) rawError(out grpc.ServerStream, send func(*httpbody.HttpBody) error, c *call, err error) error {
	status, body, te := httperr.Render(c.dialect, err)
	_ = c.fail(te)
	md := metadata.Pairs(mdHTTPStatus, strconv.Itoa(status))
	if te.Retry > 0 {
		md.Set("retry-after", httperr.RetryAfterSeconds(te.Retry))
	}
	_ = out.SetHeader(md)
	return send(&httpbody.HttpBody{ContentType: contentTypeJSON, Data: body})
}
