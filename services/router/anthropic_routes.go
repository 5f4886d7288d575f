package router

import (
	"context"
	"net/http"

	"google.golang.org/genproto/googleapis/api/httpbody"
	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"

	inferencev1 "github.com/tollgate/tollgate/gen/go/tollgate/inference/v1"
	routerv1 "github.com/tollgate/tollgate/gen/go/tollgate/router/v1"
	"github.com/tollgate/tollgate/services/kit/config"
	"github.com/tollgate/tollgate/services/kit/errs"
	"github.com/tollgate/tollgate/services/kit/wire/anthropic"
	"github.com/tollgate/tollgate/services/router/facade"
)

// CreateMessage serves Anthropic Messages (POST /anthropic/v1/messages and
// /v1/messages), unary or SSE as the body asks. The model names the
// endpoint; any provider can answer, and an Anthropic provider gets the
// client's body with only the model changed.
func (s *Service) CreateMessage(req *routerv1.CreateMessageRequest, out grpc.ServerStreamingServer[routerv1.CreateMessageResponse]) error {
	ctx := out.Context()
	c := newCall(ctx, inferencev1.Dialect_DIALECT_ANTHROPIC_MESSAGES)
	defer s.finish(c)
	send := func(b *httpbody.HttpBody) error { return out.Send(&routerv1.CreateMessageResponse{Body: b}) }

	body := req.GetBody().GetData()
	if err := checkBody(body); err != nil {
		return s.rawError(out, send, c, err)
	}
	cr, err := anthropic.DecodeRequest(body)
	if err != nil {
		return s.rawError(out, send, c, err)
	}
	cr.Source.Headers = anthropicSourceHeaders(ctx)
	c.payloadRequest = body
	return s.serveChat(ctx, c, anthropicDoor{}, cr, out, send)
}

// anthropicSourceHeaders keeps the client's anthropic-version and
// anthropic-beta (the facade forwards them as metadata): an Anthropic
// provider needs them to read the passed-through body as the client meant
// it (Claude Code's beta fields).
func anthropicSourceHeaders(ctx context.Context) map[string]string {
	if in := facade.InboundFrom(ctx); in != nil {
		return anthropic.SourceHeaders(in.Header)
	}
	md, _ := metadata.FromIncomingContext(ctx)
	var h http.Header
	for _, name := range [...]string{"anthropic-version", "anthropic-beta"} {
		if v := md[name]; len(v) > 0 {
			if h == nil {
				h = make(http.Header, 2)
			}
			h[http.CanonicalHeaderKey(name)] = v
		}
	}
	if h == nil {
		return nil
	}
	return anthropic.SourceHeaders(h)
}

// CountMessageTokens answers POST /v1/messages/count_tokens. The caller must
// be allowed to query the endpoint the model names; no provider is called
// and no quota is taken: the count is Tollgate's estimate (about four
// characters a token), which is what clients use it for (deciding when to
// compact a conversation).
func (s *Service) CountMessageTokens(ctx context.Context, req *routerv1.CountMessageTokensRequest) (*routerv1.CountMessageTokensResponse, error) {
	c := newCall(ctx, inferencev1.Dialect_DIALECT_ANTHROPIC_MESSAGES)
	body := req.GetBody().GetData()
	if err := checkBody(body); err != nil {
		return nil, err
	}
	cr, err := anthropic.DecodeCountTokensRequest(body)
	if err != nil {
		return nil, err
	}
	if err := s.mayQuery(c, cr.GetModel(), config.TaskChat); err != nil {
		return nil, err
	}
	return &routerv1.CountMessageTokensResponse{Body: &httpbody.HttpBody{
		ContentType: contentTypeJSON,
		Data:        anthropic.EncodeCountTokensResponse(anthropic.EstimateInputTokens(cr)),
	}}, nil
}

// mayQuery is admission without quota: the caller is authenticated, the
// endpoint exists, the caller may query it and it serves task.
func (s *Service) mayQuery(c *call, endpoint string, task config.Task) error {
	id, err := s.deps.Policy.Authenticate(c.token)
	if err != nil {
		return err
	}
	r := s.routes.lookup(endpoint)
	if r == nil {
		return errs.NotFound("model_not_found", "the model (endpoint) %q does not exist or you do not have access to it", endpoint).WithParam("model")
	}
	if err := s.deps.Policy.Authorize(id, endpoint); err != nil {
		return err
	}
	if r.ep.Task != task {
		return errs.Invalid("model", "endpoint %q serves %s, not %s", endpoint, r.ep.Task, task)
	}
	return nil
}

// ListAnthropicModels lists the chat endpoints the caller may query, in
// Anthropic's shape (GET /anthropic/v1/models).
func (s *Service) ListAnthropicModels(ctx context.Context, _ *routerv1.ListAnthropicModelsRequest) (*routerv1.ListAnthropicModelsResponse, error) {
	c := newCall(ctx, inferencev1.Dialect_DIALECT_ANTHROPIC_MESSAGES)
	id, err := s.deps.Policy.Authenticate(c.token)
	if err != nil {
		return nil, err
	}
	var ids []string
	for _, name := range s.deps.Policy.Queryable(id) {
		if r := s.routes.lookup(name); r != nil && r.ep.Task == config.TaskChat {
			ids = append(ids, name)
		}
	}
	return &routerv1.ListAnthropicModelsResponse{Body: &httpbody.HttpBody{
		ContentType: contentTypeJSON,
		Data:        anthropic.EncodeModelList(ids, s.startedUnix),
	}}, nil
}
