package router

import (
	"context"
	"strconv"
	"time"

	"google.golang.org/genproto/googleapis/api/httpbody"
	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"

	inferencev1 "github.com/tollgate/tollgate/gen/go/tollgate/inference/v1"
	routerv1 "github.com/tollgate/tollgate/gen/go/tollgate/router/v1"
	"github.com/tollgate/tollgate/services/kit/config"
	"github.com/tollgate/tollgate/services/kit/wire/openai"
	"github.com/tollgate/tollgate/services/router/httperr"
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
	return s.serveChat(ctx, c, openAIChatDoor{}, cr, out, send)
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
	if c.payload != nil {
		c.payload.response = data
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
