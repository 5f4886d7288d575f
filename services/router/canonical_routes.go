package router

import (
	"context"
	"io"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/protobuf/proto"

	inferencev1 "github.com/tollgate/tollgate/gen/go/tollgate/inference/v1"
	routerv1 "github.com/tollgate/tollgate/gen/go/tollgate/router/v1"
	"github.com/tollgate/tollgate/services/kit/config"
	"github.com/tollgate/tollgate/services/kit/errs"
)

// The canonical RPCs serve internal gRPC callers: same governance and
// routing as the HTTP dialects, canonical messages in and out, errors as
// gRPC statuses.

// Chat runs one canonical chat turn.
func (s *Service) Chat(ctx context.Context, req *routerv1.ChatRequest) (*routerv1.ChatResponse, error) {
	c := newCall(ctx, inferencev1.Dialect_DIALECT_UNSPECIFIED)
	defer s.finish(c)
	cr, err := s.canonicalChat(ctx, c, req.GetEndpointName(), req.GetRequest(), req.GetClientRequestId(), req.GetUsageContext())
	if err != nil {
		return nil, c.fail(err)
	}
	cr.Stream = false
	resp, err := s.chatUnary(ctx, c, cr)
	if err != nil {
		return nil, c.fail(err)
	}
	c.usage, c.outChars, c.firstByte = resp.GetUsage(), outputChars(resp), time.Since(c.start)
	resp.Raw, resp.RawDialect = nil, inferencev1.Dialect_DIALECT_UNSPECIFIED
	return &routerv1.ChatResponse{Response: resp, RequestId: c.requestID}, nil
}

// ChatStream runs one canonical streamed chat turn.
func (s *Service) ChatStream(req *routerv1.ChatStreamRequest, out grpc.ServerStreamingServer[routerv1.ChatStreamResponse]) error {
	ctx := out.Context()
	c := newCall(ctx, inferencev1.Dialect_DIALECT_UNSPECIFIED)
	defer s.finish(c)
	cr, err := s.canonicalChat(ctx, c, req.GetEndpointName(), req.GetRequest(), req.GetClientRequestId(), req.GetUsageContext())
	if err != nil {
		return c.fail(err)
	}
	cr.Stream, cr.IncludeUsage, c.streaming = true, true, true
	st, err := s.openChatStream(ctx, c, cr)
	if err != nil {
		return c.fail(err)
	}
	defer st.cancel()
	for {
		chunk, err := st.next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return c.fail(err)
		}
		c.observeChunk(chunk)
		if c.firstByte == 0 {
			c.firstByte = time.Since(c.start)
		}
		chunk.Raw, chunk.RawDialect, chunk.RawEvent = nil, inferencev1.Dialect_DIALECT_UNSPECIFIED, ""
		if err := out.Send(&routerv1.ChatStreamResponse{Chunk: chunk}); err != nil {
			return err
		}
	}
}

// Embed computes embeddings for internal callers.
func (s *Service) Embed(ctx context.Context, req *routerv1.EmbedRequest) (*routerv1.EmbedResponse, error) {
	c := newCall(ctx, inferencev1.Dialect_DIALECT_UNSPECIFIED)
	defer s.finish(c)
	er := req.GetRequest()
	if er == nil || len(er.GetInputs()) == 0 {
		return nil, c.fail(errs.Invalid("request.inputs", "at least one input is required"))
	}
	er = proto.Clone(er).(*inferencev1.EmbeddingsRequest)
	er.Source = nil // canonical callers have no dialect body to pass through
	c.clientRequestID = req.GetClientRequestId()
	if err := s.admit(ctx, c, req.GetEndpointName(), config.TaskEmbeddings); err != nil {
		return nil, c.fail(err)
	}
	resp, err := s.embed(ctx, c, er)
	if err != nil {
		return nil, c.fail(err)
	}
	c.usage, c.firstByte = resp.GetUsage(), time.Since(c.start)
	resp.Raw, resp.RawDialect = nil, inferencev1.Dialect_DIALECT_UNSPECIFIED
	return &routerv1.EmbedResponse{Response: resp, RequestId: c.requestID}, nil
}

func (s *Service) canonicalChat(ctx context.Context, c *call, endpoint string, in *inferencev1.ChatRequest, clientID string, usageCtx map[string]string) (*inferencev1.ChatRequest, error) {
	if in == nil || len(in.GetMessages()) == 0 {
		return nil, errs.Invalid("request.messages", "at least one message is required")
	}
	cr := proto.Clone(in).(*inferencev1.ChatRequest)
	cr.Source = nil // no dialect body: providers build their request from the canonical model
	c.clientRequestID, c.usageContext = clientID, usageCtx
	if err := s.admit(ctx, c, endpoint, config.TaskChat); err != nil {
		return nil, err
	}
	c.inChars = inputChars(cr)
	return cr, nil
}
