package router

import (
	"google.golang.org/genproto/googleapis/api/httpbody"
	"google.golang.org/grpc"

	inferencev1 "github.com/tollgate/tollgate/gen/go/tollgate/inference/v1"
	routerv1 "github.com/tollgate/tollgate/gen/go/tollgate/router/v1"
	"github.com/tollgate/tollgate/services/kit/wire/responses"
)

// CreateResponse serves the OpenAI Responses API (POST /v1/responses,
// /openai/v1/responses, /codex/v1/responses), unary or SSE as the body
// asks. A provider reached through the Responses API gets the client's body
// with only the model changed; others get a translation, and the provider
// adapter refuses what cannot be translated (stored conversations…).
func (s *Service) CreateResponse(req *routerv1.CreateResponseRequest, out grpc.ServerStreamingServer[routerv1.CreateResponseResponse]) error {
	ctx := out.Context()
	c := newCall(ctx, inferencev1.Dialect_DIALECT_OPENAI_RESPONSES)
	defer s.finish(c)
	send := func(b *httpbody.HttpBody) error { return out.Send(&routerv1.CreateResponseResponse{Body: b}) }

	body := req.GetBody().GetData()
	if err := checkBody(body); err != nil {
		return s.rawError(out, send, c, err)
	}
	cr, err := responses.DecodeRequest(body)
	if err != nil {
		return s.rawError(out, send, c, err)
	}
	c.payloadRequest = body
	return s.serveChat(ctx, c, responsesDoor{req: cr}, cr, out, send)
}
