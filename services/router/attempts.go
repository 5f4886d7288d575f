package router

import (
	"context"
	"io"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"

	inferencev1 "github.com/tollgate/tollgate/gen/go/tollgate/inference/v1"
	provideradapterv1 "github.com/tollgate/tollgate/gen/go/tollgate/provideradapter/v1"
	"github.com/tollgate/tollgate/services/kit/errs"
	"github.com/tollgate/tollgate/services/kit/tracing"
)

// tracerName names the router's spans.
const tracerName = "tollgate/router"

// attempt runs fn against each planned served entity until one succeeds or
// an error is not worth another try. Each try goes through the entity's
// circuit breaker; only provider failures count against it.
func (s *Service) attempt(ctx context.Context, c *call, fn func(ctx context.Context, e *entity, target *provideradapterv1.Target) error) error {
	var lastErr error
	for i, e := range c.route.plan() {
		if i > 0 {
			if ctx.Err() != nil {
				break
			}
			c.attempts++
			s.metrics.fallbacks.WithLabelValues(c.route.ep.Name, e.se.Name).Inc()
		}
		done, err := e.breaker.Allow()
		if err != nil {
			lastErr = errs.New(errs.KindUnavailable, "provider_unavailable",
				"served entity %q of endpoint %q is failing; its circuit breaker is open", e.se.Name, c.route.ep.Name)
			continue
		}
		c.entity = e
		var attrs []attribute.KeyValue // built only for a span that records them
		if tracing.Enabled() {
			attrs = []attribute.KeyValue{
				attribute.String("tollgate.endpoint", c.route.ep.Name), attribute.String("tollgate.served_entity", e.se.Name),
				attribute.String("tollgate.provider", e.se.Provider), attribute.Int("tollgate.attempt", i+1)}
		}
		actx, span := tracing.Start(ctx, tracerName, "provider.attempt", attrs...)
		err = fn(actx, e, &provideradapterv1.Target{
			EndpointName: c.route.ep.Name, ServedEntityName: e.se.Name,
			RequestId: c.requestID, Attempt: int32(i + 1),
		})
		if err != nil {
			span.SetStatus(codes.Error, errs.From(err).Code)
		}
		span.End()
		if err == nil {
			done(nil)
			return nil
		}
		if retryable(err) {
			done(err)
		} else {
			done(nil) // the provider is healthy; the request was bad
		}
		lastErr = err
		if !retryable(err) || !c.route.ep.Fallback.Enabled {
			break
		}
	}
	if lastErr == nil {
		lastErr = errs.New(errs.KindUnavailable, "provider_unavailable", "no served entity is available for endpoint %q", c.route.ep.Name)
	}
	return lastErr
}

// chatUnary runs a non-streamed chat turn with fallbacks.
func (s *Service) chatUnary(ctx context.Context, c *call, req *inferencev1.ChatRequest) (*inferencev1.ChatResponse, error) {
	var out *inferencev1.ChatResponse
	err := s.attempt(ctx, c, func(ctx context.Context, e *entity, t *provideradapterv1.Target) error {
		req.Model = e.se.Model
		resp, err := s.deps.Adapter.Chat(ctx, &provideradapterv1.ChatRequest{Target: t, Request: req})
		if err != nil {
			return err
		}
		out = resp.GetResponse()
		return nil
	})
	return out, err
}

// chatStream is an open provider stream whose first chunk has arrived:
// fallbacks happen only before the first byte reaches the client. A message
// of the adapter carries the chunks that arrived from the provider together;
// next hands them out one by one and more tells the ones still queued.
type chatStream struct {
	stream provideradapterv1.ProviderAdapterService_ChatStreamClient
	first  *inferencev1.ChatChunk   // the first message's first chunk, until next returns it
	queued []*inferencev1.ChatChunk // the rest of the current message's chunks
	cancel context.CancelFunc
}

// next returns the next chunk, io.EOF at the end. It waits for the adapter
// only once the current message's chunks are all returned.
func (cs *chatStream) next() (*inferencev1.ChatChunk, error) {
	if cs.first != nil {
		f := cs.first
		cs.first = nil
		return f, nil
	}
	if len(cs.queued) > 0 {
		c := cs.queued[0]
		cs.queued = cs.queued[1:]
		return c, nil
	}
	m, err := cs.stream.Recv()
	if err != nil {
		return nil, err
	}
	cs.queued = m.GetMoreChunks()
	return m.GetChunk(), nil
}

// more reports whether chunks that arrived together with the one next
// returned last are still queued: next returns them without waiting.
func (cs *chatStream) more() bool { return cs.first != nil || len(cs.queued) > 0 }

func (s *Service) openChatStream(ctx context.Context, c *call, req *inferencev1.ChatRequest) (*chatStream, error) {
	var out *chatStream
	err := s.attempt(ctx, c, func(ctx context.Context, e *entity, t *provideradapterv1.Target) error {
		req.Model = e.se.Model
		sctx, cancel := context.WithCancel(ctx)
		st, err := s.deps.Adapter.ChatStream(sctx, &provideradapterv1.ChatStreamRequest{Target: t, Request: req})
		if err != nil {
			cancel()
			return err
		}
		first, err := st.Recv()
		if err == io.EOF {
			cancel()
			return errs.New(errs.KindUpstream, "upstream_empty_stream", "the provider ended the stream without any output")
		}
		if err != nil {
			cancel()
			return err
		}
		if se := first.GetChunk().GetError(); se != nil {
			cancel()
			return &errs.Error{Kind: errs.KindUpstream, Code: se.GetCode(), Message: se.GetMessage(), Retryable: se.GetRetryable()}
		}
		out = &chatStream{stream: st, first: first.GetChunk(), queued: first.GetMoreChunks(), cancel: cancel}
		return nil
	})
	return out, err
}

// embed runs an embeddings call with fallbacks.
func (s *Service) embed(ctx context.Context, c *call, req *inferencev1.EmbeddingsRequest) (*inferencev1.EmbeddingsResponse, error) {
	var out *inferencev1.EmbeddingsResponse
	err := s.attempt(ctx, c, func(ctx context.Context, e *entity, t *provideradapterv1.Target) error {
		req.Model = e.se.Model
		resp, err := s.deps.Adapter.Embed(ctx, &provideradapterv1.EmbedRequest{Target: t, Request: req})
		if err != nil {
			return err
		}
		out = resp.GetResponse()
		return nil
	})
	return out, err
}
