package provideradapter

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http/httptest"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	inferencev1 "github.com/tollgate/tollgate/gen/go/tollgate/inference/v1"
	provideradapterv1 "github.com/tollgate/tollgate/gen/go/tollgate/provideradapter/v1"
	"github.com/tollgate/tollgate/services/kit/config"
	"github.com/tollgate/tollgate/services/kit/errs"
	"github.com/tollgate/tollgate/services/provideradapter/fakeupstream"
)

// parseConfig parses a YAML config the way services load it (defaults applied).
func parseConfig(t *testing.T, yaml string) *config.Config {
	t.Helper()
	c, err := config.Parse([]byte(yaml))
	if err != nil {
		t.Fatalf("config: %v", err)
	}
	return c
}

// newTestServer is an adapter over yaml with a fresh metrics registry.
func newTestServer(t *testing.T, yaml string) (*Server, *prometheus.Registry) {
	t.Helper()
	reg := prometheus.NewRegistry()
	s := NewServer(config.NewStaticStore(parseConfig(t, yaml)), slog.New(slog.NewTextHandler(io.Discard, nil)), reg)
	t.Cleanup(s.Close)
	return s, reg
}

// startFakeUpstream serves a fake OpenAI API on loopback.
func startFakeUpstream(t *testing.T, opts ...fakeupstream.Option) (*fakeupstream.Server, string) {
	t.Helper()
	fake := fakeupstream.New(opts...)
	hs := httptest.NewServer(fake)
	t.Cleanup(hs.Close)
	return fake, hs.URL + "/v1"
}

func target(endpoint, entity string) *provideradapterv1.Target {
	return &provideradapterv1.Target{EndpointName: endpoint, ServedEntityName: entity, RequestId: "req-test", Attempt: 1}
}

// collectStream runs ChatStream on a provider and gathers the chunks of
// every batch, in order.
func collectStream(ctx context.Context, p Provider, req *inferencev1.ChatRequest) ([]*inferencev1.ChatChunk, error) {
	var chunks []*inferencev1.ChatChunk
	err := p.ChatStream(ctx, req, func(batch ...*inferencev1.ChatChunk) error {
		if len(batch) == 0 {
			return errors.New("the provider sent an empty batch")
		}
		chunks = append(chunks, batch...)
		return nil
	})
	return chunks, err
}

// chunksOf is every chunk one stream message carries, in order.
func chunksOf(m *provideradapterv1.ChatStreamResponse) []*inferencev1.ChatChunk {
	return append([]*inferencev1.ChatChunk{m.GetChunk()}, m.GetMoreChunks()...)
}

func mustKind(t *testing.T, err error, kind errs.Kind) *errs.Error {
	t.Helper()
	if err == nil {
		t.Fatalf("expected a %d error, got none", kind)
	}
	var e *errs.Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v is not typed", err)
	}
	if e.Kind != kind {
		t.Fatalf("error kind %d, want %d: %v", e.Kind, kind, err)
	}
	return e
}

func userRequest(text string) *inferencev1.ChatRequest {
	return &inferencev1.ChatRequest{Messages: []*inferencev1.Message{{
		Role:    inferencev1.Role_ROLE_USER,
		Content: []*inferencev1.ContentPart{{Part: &inferencev1.ContentPart_Text{Text: text}}},
	}}}
}

// scriptedBody is a response body whose bytes arrive as scripted: each Read
// returns the next scripted piece (or what fits of it), as a connection
// returns what has arrived, so tests decide which events arrive together.
// reads counts the Read calls, to tell what a reader did before waiting.
type scriptedBody struct {
	pieces []string
	reads  int
}

func (b *scriptedBody) Read(p []byte) (int, error) {
	b.reads++
	if len(b.pieces) == 0 {
		return 0, io.EOF
	}
	n := copy(p, b.pieces[0])
	if b.pieces[0] = b.pieces[0][n:]; b.pieces[0] == "" {
		b.pieces = b.pieces[1:]
	}
	return n, nil
}

func (b *scriptedBody) Close() error { return nil }
