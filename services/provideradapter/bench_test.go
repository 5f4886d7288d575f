package provideradapter

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/grpc"

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
	send := func(...*inferencev1.ChatChunk) error { return nil }
	b.ReportAllocs()
	for b.Loop() {
		if err := e.provider.ChatStream(context.Background(), req, send); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkChatStreamArrival runs a 9-event stream through Server.ChatStream
// with its bytes arriving in one read or one event per read: the adapter's
// cost should follow the reads, not the events.
func BenchmarkChatStreamArrival(b *testing.B) {
	var events []string
	for _, id := range []string{"a", "b", "c", "d", "e", "f", "g", "h"} {
		events = append(events, chunkEvent(id))
	}
	events = append(events, `data: {"id":"u","choices":[],"usage":{"prompt_tokens":3,"completion_tokens":8,"total_tokens":11}}`+"\n\n", "data: [DONE]\n\n")
	for _, mode := range []struct {
		name   string
		pieces []string
	}{
		{"one-read", []string{strings.Join(events, "")}},
		{"read-per-event", events},
	} {
		b.Run(mode.name, func(b *testing.B) {
			b.Setenv("TOLLGATE_BENCH_KEY", "sk-bench")
			c, err := config.Parse([]byte(upstreamConfig("http://127.0.0.1:1/v1", "m", "5s", "{env: TOLLGATE_BENCH_KEY}")))
			if err != nil {
				b.Fatal(err)
			}
			s := NewServer(config.NewStaticStore(c), slog.New(slog.NewTextHandler(io.Discard, nil)), prometheus.NewRegistry())
			s.client = &http.Client{Transport: scriptedTransport{pieces: mode.pieces}}
			req, err := openai.DecodeChatRequest([]byte(`{"model":"chat","stream":true,"messages":[{"role":"user","content":"hello"}]}`))
			if err != nil {
				b.Fatal(err)
			}
			in := &provideradapterv1.ChatStreamRequest{Target: target("chat", "up"), Request: req}
			out := &discardingStream{ctx: context.Background()}
			b.ReportAllocs()
			for b.Loop() {
				if err := s.ChatStream(in, out); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(out.messages)/float64(b.N), "msgs/op")
		})
	}
}

// discardingStream is the server side of a ChatStream that only counts messages.
type discardingStream struct {
	grpc.ServerStream // not called
	ctx               context.Context
	messages          int
}

func (s *discardingStream) Send(*provideradapterv1.ChatStreamResponse) error {
	s.messages++
	return nil
}

func (s *discardingStream) Context() context.Context { return s.ctx }

// BenchmarkUnaryChat is the adapter's own cost of a passthrough OpenAI
// chat call (request rewrite, upstream HTTP exchange, summary parse) against
// an upstream that answers at once from memory.
func BenchmarkUnaryChat(b *testing.B) {
	up := startCannedUpstream(b, cannedChatResponse)
	b.Setenv("TOLLGATE_BENCH_KEY", "sk-bench")
	c, err := config.Parse([]byte(upstreamConfig(up+"/v1", "fake-gpt", "5s", "{env: TOLLGATE_BENCH_KEY}")))
	if err != nil {
		b.Fatal(err)
	}
	s := NewServer(config.NewStaticStore(c), slog.New(slog.DiscardHandler), prometheus.NewRegistry())
	b.Cleanup(s.Close)
	req, err := openai.DecodeChatRequest([]byte(`{"model":"chat","messages":[{"role":"user","content":"Say hello"}]}`))
	if err != nil {
		b.Fatal(err)
	}
	in := &provideradapterv1.ChatRequest{Target: target("chat", "up"), Request: req}
	b.ReportAllocs()
	for b.Loop() {
		resp, err := s.Chat(context.Background(), in)
		if err != nil {
			b.Fatal(err)
		}
		if resp.GetResponse().GetUsage().GetTotalTokens() != 11 {
			b.Fatalf("usage %v", resp.GetResponse().GetUsage())
		}
	}
}
