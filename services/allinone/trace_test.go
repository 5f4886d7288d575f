package allinone

import (
	"context"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	authzv1 "github.com/tollgate/tollgate/gen/go/tollgate/authz/v1"
	provideradapterv1 "github.com/tollgate/tollgate/gen/go/tollgate/provideradapter/v1"
	quotav1 "github.com/tollgate/tollgate/gen/go/tollgate/quota/v1"
	"github.com/tollgate/tollgate/services/authz"
	"github.com/tollgate/tollgate/services/authz/policy"
	"github.com/tollgate/tollgate/services/kit/config"
	"github.com/tollgate/tollgate/services/kit/inproc"
	"github.com/tollgate/tollgate/services/kit/serve"
	"github.com/tollgate/tollgate/services/kit/tracing"
	"github.com/tollgate/tollgate/services/provideradapter"
	"github.com/tollgate/tollgate/services/quota"
	"github.com/tollgate/tollgate/services/quota/lease"
	"github.com/tollgate/tollgate/services/router"
	"github.com/tollgate/tollgate/services/router/facade"
)

// One request through the facade, the router's decisions, a real gRPC hop to
// the provider adapter and its upstream call yields one trace, with the W3C
// trace context carried over gRPC and on to the upstream.
func TestOneTraceAcrossTheMesh(t *testing.T) {
	spans := tracetest.NewSpanRecorder()
	shutdown := tracing.Install("test", sdktrace.WithSpanProcessor(spans))
	defer shutdown(context.Background())

	var upstreamTraceparent string
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		upstreamTraceparent = r.Header.Get("Traceparent")
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"id":"c1","object":"chat.completion","created":1,"model":"m","choices":[{"index":0,"message":{"role":"assistant","content":"hi"},"finish_reason":"stop"}],"usage":{"prompt_tokens":1,"completion_tokens":1,"total_tokens":2}}`))
	}))
	defer upstream.Close()

	cfg, err := config.Parse([]byte(`
endpoints:
  - name: chat
    task: chat
    served_entities:
      - {name: up, provider: openai_compatible, model: m, base_url: "` + upstream.URL + `/v1"}
    rate_limits: [{scope: user, calls_per_minute: 1000}]
    permissions: [{group: users, level: CAN_QUERY}]
principals: [{name: alice}]
tokens: [{principal: alice, sha256: ` + config.HashToken("alice-token") + `}]
`))
	if err != nil {
		t.Fatal(err)
	}
	store := config.NewStaticStore(cfg)
	log := slog.New(slog.DiscardHandler)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	// The provider adapter behind a real gRPC server, as in the split mesh.
	reg := prometheus.NewRegistry()
	gs := serve.NewGRPCServer(serve.NewInterceptors("provider-adapter", log, reg), serve.NewHealth())
	provideradapterv1.RegisterProviderAdapterServiceServer(gs, provideradapter.NewServer(store, log, prometheus.NewRegistry()))
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = gs.Serve(lis) }()
	defer gs.Stop()
	cc, err := grpc.NewClient(lis.Addr().String(), append(tracing.DialOptions(), grpc.WithTransportCredentials(insecure.NewCredentials()))...)
	if err != nil {
		t.Fatal(err)
	}
	defer cc.Close()

	decider := policy.NewDecider()
	watcher := policy.NewWatcher(authzv1.NewAuthzServiceClient(inproc.New(&authzv1.AuthzService_ServiceDesc, authz.NewServer(store, log, prometheus.NewRegistry()))), decider, "test", log)
	go watcher.Run(ctx)
	if err := watcher.WaitReady(ctx); err != nil {
		t.Fatal(err)
	}
	limiter := lease.NewLimiter(quotav1.NewQuotaServiceClient(inproc.New(&quotav1.QuotaService_ServiceDesc, quota.NewServer(store, log, prometheus.NewRegistry(), nil))), "test", log, prometheus.NewRegistry())
	svc := router.NewService(router.Deps{Config: store, Policy: decider, Limiter: limiter,
		Adapter: provideradapterv1.NewProviderAdapterServiceClient(cc), Log: log, Registry: prometheus.NewRegistry()})
	h, err := facade.New(ctx, svc, facade.Options{MaxBodyBytes: func() int64 { return 1 << 20 }, Log: log})
	if err != nil {
		t.Fatal(err)
	}
	front := httptest.NewServer(tracing.HTTPHandler(h, "tollgate.facade"))
	defer front.Close()

	req, _ := http.NewRequest(http.MethodPost, front.URL+"/v1/chat/completions",
		strings.NewReader(`{"model":"chat","messages":[{"role":"user","content":"hi"}]}`))
	req.Header.Set("Authorization", "Bearer alice-token")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("status %d", resp.StatusCode)
	}

	want := []string{"tollgate.facade", "authz.decide", "quota.admit", "provider.attempt",
		"tollgate.provideradapter.v1.ProviderAdapterService/Chat", "upstream.request"}
	byName := map[string][]sdktrace.ReadOnlySpan{}
	deadline := time.Now().Add(5 * time.Second)
	for {
		byName = map[string][]sdktrace.ReadOnlySpan{}
		for _, s := range spans.Ended() {
			byName[s.Name()] = append(byName[s.Name()], s)
		}
		complete := true
		for _, n := range want {
			if len(byName[n]) == 0 {
				complete = false
			}
		}
		if complete || time.Now().After(deadline) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	root := byName["tollgate.facade"]
	if len(root) != 1 {
		t.Fatalf("want one facade span, got %d (spans: %v)", len(root), names(spans.Ended()))
	}
	traceID := root[0].SpanContext().TraceID()
	for _, n := range want {
		if len(byName[n]) == 0 {
			t.Fatalf("no %q span; spans: %v", n, names(spans.Ended()))
		}
		for _, s := range byName[n] {
			if s.SpanContext().TraceID() != traceID {
				t.Fatalf("span %q is in another trace", n)
			}
		}
	}
	// The gRPC method appears twice: the router's client span and the
	// adapter's server span, whose parent is the client span (propagation).
	grpcSpans := byName["tollgate.provideradapter.v1.ProviderAdapterService/Chat"]
	var client, server sdktrace.ReadOnlySpan
	for _, s := range grpcSpans {
		switch s.SpanKind() {
		case trace.SpanKindClient:
			client = s
		case trace.SpanKindServer:
			server = s
		}
	}
	if client == nil || server == nil || server.Parent().SpanID() != client.SpanContext().SpanID() {
		t.Fatalf("gRPC spans not linked client→server: %v", grpcSpans)
	}
	if !strings.Contains(upstreamTraceparent, traceID.String()) {
		t.Fatalf("upstream got traceparent %q, want trace %s", upstreamTraceparent, traceID)
	}
}

func names(spans []sdktrace.ReadOnlySpan) []string {
	var out []string
	for _, s := range spans {
		out = append(out, s.Name())
	}
	return out
}
