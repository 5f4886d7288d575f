// Package provideradapter is the tollgate-provider-adapter service: it turns
// canonical inference requests into calls to the configured providers. It is
// the only Tollgate service that holds provider credentials, and it resolves
// them at call time, so rotating a key needs no restart.
package provideradapter

import (
	"context"

	inferencev1 "github.com/tollgate/tollgate/gen/go/tollgate/inference/v1"
)

// Provider is one served entity's model behind a provider API. Errors are
// *errs.Error; ChatStream sends chunks as the provider produces them and,
// once a chunk has been sent, reports a provider failure as a final chunk
// carrying a StreamError rather than as an error (the router has already
// started answering the client by then).
type Provider interface {
	Chat(ctx context.Context, req *inferencev1.ChatRequest) (*inferencev1.ChatResponse, error)
	ChatStream(ctx context.Context, req *inferencev1.ChatRequest, send ChunkSender) error
	Embed(ctx context.Context, req *inferencev1.EmbeddingsRequest) (*inferencev1.EmbeddingsResponse, error)
}

// ChunkSender forwards a stream's chunks, in order. The chunks of one call
// arrived from the provider together and travel on as one message, so a
// stream costs per network read rather than per event; a provider passes
// each chunk as soon as it has it and never holds one back for company. The
// sender must not keep the slice after it returns: providers reuse it.
type ChunkSender func(chunks ...*inferencev1.ChatChunk) error
