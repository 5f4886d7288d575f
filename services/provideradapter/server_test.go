package provideradapter

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	inferencev1 "github.com/tollgate/tollgate/gen/go/tollgate/inference/v1"
	provideradapterv1 "github.com/tollgate/tollgate/gen/go/tollgate/provideradapter/v1"
	"github.com/tollgate/tollgate/services/kit/config"
	"github.com/tollgate/tollgate/services/kit/errs"
	"github.com/tollgate/tollgate/services/kit/serve"
	"github.com/tollgate/tollgate/services/provideradapter/fakeupstream"
)

// startGRPC serves srv on a loopback port with the services' interceptors
// and returns a client.
func startGRPC(t *testing.T, srv *Server) provideradapterv1.ProviderAdapterServiceClient {
	t.Helper()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	gs := serve.NewGRPCServer(serve.NewInterceptors("provider-adapter", log, prometheus.NewRegistry()), serve.NewHealth())
	provideradapterv1.RegisterProviderAdapterServiceServer(gs, srv)
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = gs.Serve(lis) }()
	t.Cleanup(gs.Stop)
	conn, err := serve.DialInternal(lis.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return provideradapterv1.NewProviderAdapterServiceClient(conn)
}

func TestGRPCChatStreamRoundTrip(t *testing.T) {
	_, base := startFakeUpstream(t)
	srv, _ := newTestServer(t, upstreamConfig(base, "fake-gpt", "5s", envKey(t)))
	client := startGRPC(t, srv)

	req := decodeChat(t, `{"model":"chat","stream":true,"messages":[{"role":"user","content":"hi"}]}`)
	stream, err := client.ChatStream(context.Background(), &provideradapterv1.ChatStreamRequest{Target: target("chat", "up"), Request: req})
	if err != nil {
		t.Fatal(err)
	}
	var text strings.Builder
	var last *inferencev1.ChatChunk
	n := 0
	for {
		msg, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range chunksOf(msg) {
			n++
			last = c
			if len(last.GetRaw()) == 0 {
				t.Fatal("passthrough chunk lost its raw bytes over gRPC")
			}
			for _, d := range last.GetDeltas() {
				text.WriteString(d.GetText())
			}
		}
	}
	if text.String() != fakeupstream.Reply || last.GetUsage() == nil || n != 8 {
		t.Fatalf("%d chunks, text %q, last %v", n, text.String(), last)
	}
}

func TestGRPCErrorsKeepTheirType(t *testing.T) {
	_, base := startFakeUpstream(t)
	srv, _ := newTestServer(t, upstreamConfig(base, fakeupstream.ModelFail429, "5s", envKey(t)))
	client := startGRPC(t, srv)

	stream, err := client.ChatStream(context.Background(), &provideradapterv1.ChatStreamRequest{Target: target("chat", "up"), Request: userRequest("x")})
	if err == nil {
		_, err = stream.Recv()
	}
	e := errs.From(err)
	if e.Kind != errs.KindRateLimited || e.Retry != 2*time.Second || e.UpstreamStatus != 429 || !Retryable(e) {
		t.Fatalf("decoded %+v", e)
	}

	_, err = client.Chat(context.Background(), &provideradapterv1.ChatRequest{Target: target("nope", "up"), Request: userRequest("x")})
	if e := errs.From(err); e.Kind != errs.KindNotFound || e.Code != "endpoint_not_found" {
		t.Fatalf("unknown endpoint: %+v", e)
	}
}

func TestResolve(t *testing.T) {
	srv, _ := newTestServer(t, fakeConfig)
	cases := []struct {
		endpoint, entity string
		task             config.Task
		kind             errs.Kind
		code             string
	}{
		{"fake-chat", "f", config.TaskChat, 0, ""},
		{"missing", "f", config.TaskChat, errs.KindNotFound, "endpoint_not_found"},
		{"fake-chat", "missing", config.TaskChat, errs.KindNotFound, "served_entity_not_found"},
		{"fake-chat", "f", config.TaskEmbeddings, errs.KindInvalidArgument, "invalid_request"},
	}
	for _, tc := range cases {
		_, err := srv.resolve(target(tc.endpoint, tc.entity), tc.task)
		if tc.code == "" {
			if err != nil {
				t.Errorf("%s/%s: %v", tc.endpoint, tc.entity, err)
			}
			continue
		}
		if e := mustKind(t, err, tc.kind); e.Code != tc.code {
			t.Errorf("%s/%s: code %q", tc.endpoint, tc.entity, e.Code)
		}
	}
}

const fakeConfig = `
endpoints:
  - name: fake-chat
    task: chat
    served_entities:
      - name: f
        provider: fake
        model: fake-model
        fake: {error_rate: 0.5}
`

func TestConfigReloadIsPickedUp(t *testing.T) {
	store := config.NewStaticStore(parseConfig(t, fakeConfig))
	srv := NewServer(store, slog.New(slog.NewTextHandler(io.Discard, nil)), prometheus.NewRegistry())
	chat := func(endpoint string) error {
		_, err := srv.Chat(context.Background(), &provideradapterv1.ChatRequest{Target: target(endpoint, "f"), Request: userRequest("x")})
		return err
	}
	if err := chat("fake-chat"); err != nil {
		t.Fatal(err)
	}
	mustKind(t, chat("added"), errs.KindNotFound)

	store.Replace(parseConfig(t, fakeConfig+`
  - name: added
    task: chat
    served_entities:
      - {name: f, provider: fake, model: other}
`))
	if err := chat("added"); err != nil {
		t.Fatalf("an endpoint added by a reload should serve: %v", err)
	}
	// fake-chat's error injection continues where it was: this is its 2nd call.
	mustKind(t, chat("fake-chat"), errs.KindUpstream)
}

func TestMetrics(t *testing.T) {
	srv, reg := newTestServer(t, fakeConfig)
	for range 4 {
		_, _ = srv.Chat(context.Background(), &provideradapterv1.ChatRequest{Target: target("fake-chat", "f"), Request: userRequest("x")})
	}
	got := map[string]float64{}
	var latencyCount, ttfbCount uint64
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		for _, m := range f.GetMetric() {
			labels := map[string]string{}
			for _, l := range m.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			switch f.GetName() {
			case "tollgate_upstream_requests_total":
				if labels["provider"] != "fake" || labels["model"] != "fake-model" {
					t.Errorf("labels %v", labels)
				}
				got[labels["status"]] = m.GetCounter().GetValue()
			case "tollgate_upstream_latency_seconds":
				latencyCount = m.GetHistogram().GetSampleCount()
			case "tollgate_upstream_ttfb_seconds":
				ttfbCount = m.GetHistogram().GetSampleCount()
			}
		}
	}
	if got["200"] != 2 || got["503"] != 2 || latencyCount != 4 || ttfbCount != 2 {
		t.Fatalf("requests %v, latency samples %d, ttfb samples %d", got, latencyCount, ttfbCount)
	}
}

var _ provideradapterv1.ProviderAdapterServiceServer = (*Server)(nil)
