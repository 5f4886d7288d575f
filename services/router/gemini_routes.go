package router

import (
	"context"
	"time"

	"google.golang.org/genproto/googleapis/api/httpbody"
	"google.golang.org/grpc"

	inferencev1 "github.com/tollgate/tollgate/gen/go/tollgate/inference/v1"
	routerv1 "github.com/tollgate/tollgate/gen/go/tollgate/router/v1"
	"github.com/tollgate/tollgate/services/kit/config"
	"github.com/tollgate/tollgate/services/kit/wire/gemini"
	"github.com/tollgate/tollgate/services/router/facade"
)

// Gemini names the model (the Tollgate endpoint) and the method in the path
// (/gemini/v1beta/models/{model}:generateContent, also without /gemini),
// not in the body. The key arrives as x-goog-api-key or ?key= (see newCall);
// errors are Google's {"error":{"code","message","status"}}.

// GenerateContent serves Gemini's generateContent: one JSON answer.
func (s *Service) GenerateContent(req *routerv1.GenerateContentRequest, out grpc.ServerStreamingServer[routerv1.GenerateContentResponse]) error {
	send := func(b *httpbody.HttpBody) error { return out.Send(&routerv1.GenerateContentResponse{Body: b}) }
	return s.serveGemini(out, send, req.GetModel(), req.GetBody().GetData(), false)
}

// StreamGenerateContent serves Gemini's streamGenerateContent: server-sent
// events with ?alt=sse (what the genai SDKs and Gemini CLI ask for), and
// otherwise one JSON array of responses, written element by element.
func (s *Service) StreamGenerateContent(req *routerv1.StreamGenerateContentRequest, out grpc.ServerStreamingServer[routerv1.StreamGenerateContentResponse]) error {
	send := func(b *httpbody.HttpBody) error { return out.Send(&routerv1.StreamGenerateContentResponse{Body: b}) }
	return s.serveGemini(out, send, req.GetModel(), req.GetBody().GetData(), true)
}

func (s *Service) serveGemini(out grpc.ServerStream, send func(*httpbody.HttpBody) error, model string, body []byte, stream bool) error {
	ctx := out.Context()
	c := newCall(ctx, inferencev1.Dialect_DIALECT_GEMINI)
	defer s.finish(c)
	door := geminiDoor{sse: !stream || facade.AltSSE(c.query)}
	if !door.sse {
		// The frames of a JSON-array stream are JSON, not an event stream.
		sendSSE := send
		send = func(b *httpbody.HttpBody) error {
			if b.ContentType == contentTypeSSE {
				b.ContentType = contentTypeJSON
			}
			return sendSSE(b)
		}
	}
	if err := checkBody(body); err != nil {
		return s.rawError(out, send, c, err)
	}
	cr, err := gemini.DecodeRequest(model, body, stream)
	if err != nil {
		return s.rawError(out, send, c, err)
	}
	c.payloadRequest = body
	return s.serveChat(ctx, c, door, cr, out, send)
}

// CountTokens answers Gemini's countTokens with Tollgate's estimate of the
// prompt's tokens (gemini.EstimateInputTokens: about four characters a
// token plus fixed costs per turn and image), not a provider's tokenizer
// count. The caller must be allowed to query the endpoint; no provider is
// called and no quota is taken. Clients use the count to decide when to
// compress a conversation, for which an estimate serves.
func (s *Service) CountTokens(ctx context.Context, req *routerv1.CountTokensRequest) (*routerv1.CountTokensResponse, error) {
	c := newCall(ctx, inferencev1.Dialect_DIALECT_GEMINI)
	body := req.GetBody().GetData()
	if err := checkBody(body); err != nil {
		return nil, err
	}
	cr, err := gemini.DecodeCountTokensRequest(req.GetModel(), body)
	if err != nil {
		return nil, err
	}
	if err := s.mayQuery(c, cr.GetModel(), config.TaskChat); err != nil {
		return nil, err
	}
	return &routerv1.CountTokensResponse{Body: &httpbody.HttpBody{
		ContentType: contentTypeJSON,
		Data:        gemini.EncodeCountTokensResponse(gemini.EstimateInputTokens(cr)),
	}}, nil
}

// EmbedContent serves Gemini's embedContent: one vector.
func (s *Service) EmbedContent(ctx context.Context, req *routerv1.EmbedContentRequest) (*routerv1.EmbedContentResponse, error) {
	b, err := s.geminiEmbed(ctx, req.GetModel(), req.GetBody().GetData(), false)
	if err != nil {
		return nil, err
	}
	return &routerv1.EmbedContentResponse{Body: b}, nil
}

// BatchEmbedContents serves Gemini's batchEmbedContents: one vector per
// request, in order (the genai SDKs send every embedContent of more than
// one text this way).
func (s *Service) BatchEmbedContents(ctx context.Context, req *routerv1.BatchEmbedContentsRequest) (*routerv1.BatchEmbedContentsResponse, error) {
	b, err := s.geminiEmbed(ctx, req.GetModel(), req.GetBody().GetData(), true)
	if err != nil {
		return nil, err
	}
	return &routerv1.BatchEmbedContentsResponse{Body: b}, nil
}

// geminiEmbed runs an embeddings call through the endpoint the path names.
// A Gemini provider's answer to the same method is forwarded raw; any other
// is rendered in the method's shape.
func (s *Service) geminiEmbed(ctx context.Context, model string, body []byte, batch bool) (*httpbody.HttpBody, error) {
	c := newCall(ctx, inferencev1.Dialect_DIALECT_GEMINI)
	defer s.finish(c)
	if err := checkBody(body); err != nil {
		return nil, c.fail(err)
	}
	decode := gemini.DecodeEmbedContentRequest
	if batch {
		decode = gemini.DecodeBatchEmbedContentsRequest
	}
	er, err := decode(model, body)
	if err != nil {
		return nil, c.fail(err)
	}
	c.payloadRequest = body
	if err := s.admit(ctx, c, er.GetModel(), config.TaskEmbeddings); err != nil {
		return nil, c.fail(err)
	}
	for _, in := range er.GetInputs() {
		c.inChars += int64(len(in))
	}
	resp, err := s.embed(ctx, c, er)
	if err != nil {
		return nil, c.fail(err)
	}
	c.usage = resp.GetUsage()
	data := resp.GetRaw()
	if resp.GetRawDialect() != inferencev1.Dialect_DIALECT_GEMINI || len(data) == 0 {
		if batch {
			data = gemini.EncodeBatchEmbedContentsResponse(resp)
		} else {
			data = gemini.EncodeEmbedContentResponse(resp)
		}
	}
	if c.payload != nil {
		c.payload.response = data
	}
	c.firstByte = time.Since(c.start)
	return &httpbody.HttpBody{ContentType: contentTypeJSON, Data: data}, nil
}
