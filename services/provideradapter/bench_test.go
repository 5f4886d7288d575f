package provideradapter

import (
	"context"
	"io"
	"log/slog"
	"net/http/httptest"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	inferencev1 "github.com/tollgate/tollgate/gen/go/tollgate/inference/v1"
	provideradapterv1 "github.com/tollgate/tollgate/gen/go/tollgate/provideradapter/v1"
	"github.com/tollgate/tollgate/services/kit/config"
	"github.com/tollgate/tollgate/services/kit/wire/openai"
	"github.com/tollgate/tollgate/services/provideradapter/fakeupstream"
)

// benchAdapter is an adapter in front of a loopback fake upstream: the
// adapter's own cost per call plus one local HTTP round trip.
func benchAdapter(b *testing.B) *Server {
	b.Helper()
	hs := httptest.NewServer(fakeupstream.New())
	b.Cleanup(hs.Close)
	c, err := config.Parse([]byte(upstreamConfig(hs.URL+"/v1", "fake-gpt", "5s", "{env: TOLLGATE_BENCH_KEY}")))
	if err != nil {
		b.Fatal(err)
	}
	b.Setenv("TOLLGATE_BENCH_KEY", "sk-bench")
	s := NewServer(config.NewStaticStore(c), slog.New(slog.NewTextHandler(io.Discard, nil)), prometheus.NewRegistry())
	b.Cleanup(s.Close)
	return s
}

func BenchmarkPassthroughChat(b *testing.B) {
	s := benchAdapter(b)
	req, err := openai.DecodeChatRequest([]byte(`{"model":"chat","messages":[{"role":"user","content":"hello"}]}`))
	if err != nil {
		b.Fatal(err)
	}
	in := &provideradapterv1.ChatRequest{Target: target("chat", "up"), Request: req}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.Chat(context.Background(), in); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkPassthroughStream(b *testing.B) {
	s := benchAdapter(b)
	req, err := openai.DecodeChatRequest([]byte(`{"model":"chat","stream":true,"messages":[{"role":"user","content":"hello"}]}`))
	if err != nil {
		b.Fatal(err)
	}
	e, err := s.resolve(target("chat", "up"), config.TaskChat)
	if err != nil {
		b.Fatal(err)
	}
	send := func(*inferencev1.ChatChunk) error { return nil }
	b.ReportAllocs()
	for b.Loop() {
		if err := e.provider.ChatStream(context.Background(), req, send); err != nil {
			b.Fatal(err)
		}
	}
}
