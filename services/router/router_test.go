package router

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/grpc"

	authzv1 "github.com/tollgate/tollgate/gen/go/tollgate/authz/v1"
	inferencev1 "github.com/tollgate/tollgate/gen/go/tollgate/inference/v1"
	provideradapterv1 "github.com/tollgate/tollgate/gen/go/tollgate/provideradapter/v1"
	telemetryv1 "github.com/tollgate/tollgate/gen/go/tollgate/telemetry/v1"
	"github.com/tollgate/tollgate/services/authz"
	"github.com/tollgate/tollgate/services/authz/policy"
	"github.com/tollgate/tollgate/services/kit/config"
	"github.com/tollgate/tollgate/services/kit/errs"
	"github.com/tollgate/tollgate/services/kit/inproc"
	"github.com/tollgate/tollgate/services/router/facade"
)

const testConfig = `
endpoints:
  - name: chat
    task: chat
    served_entities:
      - {name: ok, provider: fake, model: m-ok}
    permissions: [{group: users, level: CAN_QUERY}]
  - name: failover
    task: chat
    fallback: {enabled: true}
    served_entities:
      - {name: down, provider: fake, model: m-down, traffic_percentage: 100}
      - {name: ok, provider: fake, model: m-ok, traffic_percentage: 0}
    permissions: [{group: users, level: CAN_QUERY}]
  - name: nofallback
    task: chat
    served_entities:
      - {name: down, provider: fake, model: m-down}
    permissions: [{group: users, level: CAN_QUERY}]
  - name: bad-request
    task: chat
    fallback: {enabled: true}
    served_entities:
      - {name: invalid, provider: fake, model: m-invalid, traffic_percentage: 100}
      - {name: ok, provider: fake, model: m-ok, traffic_percentage: 0}
    permissions: [{group: users, level: CAN_QUERY}]
  - name: private
    task: chat
    served_entities:
      - {name: ok, provider: fake, model: m-ok}
    permissions: [{principal: alice, level: CAN_QUERY}]
  - name: logged
    task: chat
    inference_table: {enabled: true, table_name_prefix: logged, max_payload_bytes: 1000}
    served_entities:
      - {name: ok, provider: fake, model: m-ok}
    permissions: [{group: users, level: CAN_QUERY}]
  - name: sampled
    task: chat
    inference_table: {enabled: true, sampling_fraction: 0.3}
    served_entities:
      - {name: ok, provider: fake, model: m-ok}
    permissions: [{group: users, level: CAN_QUERY}]
  - name: vectors
    task: embeddings
    served_entities:
      - {name: ok, provider: fake, model: e-ok}
    permissions: [{group: users, level: CAN_QUERY}]
principals:
  - {name: alice}
  - {name: bob}
groups: []
tokens:
  - {principal: alice, sha256: 9c220f200955d76c0a38d308225e0ef10c5f971acaf2f8d1d8f732affa5bd1dc}
  - {principal: bob, sha256: 97dd3707015dcf069cf73022ed7173b1165db6eff24b441cb57fd069a8c4e525}
`

// Tokens whose SHA-256 the test config lists.
const (
	aliceToken = "alice-token"
	bobToken   = "bob-token"
)

// stubAdapter answers by served entity name, like a provider adapter would.
type stubAdapter struct {
	provideradapterv1.UnimplementedProviderAdapterServiceServer
	mu    sync.Mutex
	calls []string
}

func (a *stubAdapter) record(t *provideradapterv1.Target) {
	a.mu.Lock()
	a.calls = append(a.calls, t.GetServedEntityName())
	a.mu.Unlock()
}

func stubError(entity string) error {
	switch entity {
	case "down":
		return &errs.Error{Kind: errs.KindUpstream, Code: "upstream_error", Message: "provider returned 500", UpstreamStatus: 500, Retryable: true}
	case "invalid":
		return errs.Invalid("temperature", "temperature is out of range")
	}
	return nil
}

func (a *stubAdapter) Chat(ctx context.Context, req *provideradapterv1.ChatRequest) (*provideradapterv1.ChatResponse, error) {
	a.record(req.GetTarget())
	if err := stubError(req.GetTarget().GetServedEntityName()); err != nil {
		return nil, err
	}
	raw := `{"id":"chatcmpl-1","object":"chat.completion","created":1,"model":"` + req.GetRequest().GetModel() + `","choices":[{"index":0,"message":{"role":"assistant","content":"hello"},"finish_reason":"stop"}],"usage":{"prompt_tokens":3,"completion_tokens":1,"total_tokens":4}}`
	return &provideradapterv1.ChatResponse{Provider: "fake", Response: &inferencev1.ChatResponse{
		Raw: []byte(raw), RawDialect: inferencev1.Dialect_DIALECT_OPENAI_CHAT,
		Usage: &inferencev1.Usage{InputTokens: 3, OutputTokens: 1, TotalTokens: 4},
		Choices: []*inferencev1.Choice{{Message: &inferencev1.Message{Role: inferencev1.Role_ROLE_ASSISTANT,
			Content: []*inferencev1.ContentPart{{Part: &inferencev1.ContentPart_Text{Text: "hello"}}}}}},
	}}, nil
}

func (a *stubAdapter) ChatStream(req *provideradapterv1.ChatStreamRequest, out grpc.ServerStreamingServer[provideradapterv1.ChatStreamResponse]) error {
	a.record(req.GetTarget())
	if err := stubError(req.GetTarget().GetServedEntityName()); err != nil {
		return err
	}
	for _, word := range []string{"hel", "lo"} {
		raw := `{"id":"c","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":"` + word + `"}}]}`
		if err := out.Send(&provideradapterv1.ChatStreamResponse{Chunk: &inferencev1.ChatChunk{
			Raw: []byte(raw), RawDialect: inferencev1.Dialect_DIALECT_OPENAI_CHAT,
			Deltas: []*inferencev1.ChoiceDelta{{Text: word}},
		}}); err != nil {
			return err
		}
	}
	usage := `{"id":"c","object":"chat.completion.chunk","choices":[],"usage":{"prompt_tokens":3,"completion_tokens":2,"total_tokens":5}}`
	return out.Send(&provideradapterv1.ChatStreamResponse{Chunk: &inferencev1.ChatChunk{
		Raw: []byte(usage), RawDialect: inferencev1.Dialect_DIALECT_OPENAI_CHAT,
		Usage: &inferencev1.Usage{InputTokens: 3, OutputTokens: 2, TotalTokens: 5},
	}})
}

func (a *stubAdapter) Embed(ctx context.Context, req *provideradapterv1.EmbedRequest) (*provideradapterv1.EmbedResponse, error) {
	a.record(req.GetTarget())
	return &provideradapterv1.EmbedResponse{Response: &inferencev1.EmbeddingsResponse{
		Embeddings: []*inferencev1.Embedding{{Index: 0, Values: []float32{1, 0}}},
		Usage:      &inferencev1.Usage{InputTokens: 1},
	}}, nil
}

type recordingSink struct {
	mu     sync.Mutex
	events []*telemetryv1.UsageEvent
}

func (s *recordingSink) Emit(e *telemetryv1.UsageEvent) {
	s.mu.Lock()
	s.events = append(s.events, e)
	s.mu.Unlock()
}

// last is the newest event; use eventFor when the request just finished.
func (s *recordingSink) last() *telemetryv1.UsageEvent {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.events) == 0 {
		return nil
	}
	return s.events[len(s.events)-1]
}

// eventFor waits for the usage event of the request resp answered: the
// router emits it just after the last response byte, so it may trail the client.
func (s *recordingSink) eventFor(t *testing.T, resp *http.Response) *telemetryv1.UsageEvent {
	t.Helper()
	id := resp.Header.Get("X-Request-Id")
	deadline := time.Now().Add(5 * time.Second)
	for {
		s.mu.Lock()
		for i := len(s.events) - 1; i >= 0; i-- {
			if s.events[i].GetDatabricksRequestId() == id {
				ev := s.events[i]
				s.mu.Unlock()
				return ev
			}
		}
		s.mu.Unlock()
		if time.Now().After(deadline) {
			t.Fatalf("no usage event for request %s", id)
		}
		time.Sleep(time.Millisecond)
	}
}

func (s *recordingSink) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.events)
}

type denyingLimiter struct{ endpoint string }

func (l denyingLimiter) Admit(_ context.Context, endpoint, _ string, _ []string) error {
	if endpoint == l.endpoint {
		return errs.RateLimited(1500*time.Millisecond, "rate limit of endpoint %q exceeded", endpoint)
	}
	return nil
}

type fixture struct {
	url     string
	adapter *stubAdapter
	usage   *recordingSink
}

// serveRouter starts the router and its facade on loopback with the real
// authz decider (fed in-process), config yamlConfig, the given adapter and
// a limiter that refuses limitedEndpoint; it returns the facade's URL.
func serveRouter(t *testing.T, yamlConfig string, adapter provideradapterv1.ProviderAdapterServiceServer, limitedEndpoint string, usage UsageSink) string {
	t.Helper()
	ctx, svc := newTestService(t, yamlConfig, adapter, limitedEndpoint, usage)
	h, err := facade.New(ctx, svc, facade.Options{MaxBodyBytes: func() int64 { return 1 << 20 }, Ready: svc.Ready, Log: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	return serveFacade(t, h)
}

// serveFacade serves h on loopback with the HTTP server the binaries use
// and returns its URL.
func serveFacade(t *testing.T, h http.Handler) string {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := facadeServer(ServerTollgate, h, slog.New(slog.DiscardHandler))
	go func() { _ = srv.Serve(lis) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
	})
	return "http://" + lis.Addr().String()
}

// newTestService builds a router over an in-process authz and the given
// adapter, with its policy loaded; ctx lives as long as the test.
func newTestService(t *testing.T, yamlConfig string, adapter provideradapterv1.ProviderAdapterServiceServer, limitedEndpoint string, usage UsageSink) (context.Context, *Service) {
	t.Helper()
	cfg, err := config.Parse([]byte(yamlConfig))
	if err != nil {
		t.Fatal(err)
	}
	store := config.NewStaticStore(cfg)
	log := slog.New(slog.DiscardHandler)
	authzSrv := authz.NewServer(store, log, prometheus.NewRegistry())
	decider := policy.NewDecider()
	watcher := policy.NewWatcher(authzv1.NewAuthzServiceClient(inproc.New(&authzv1.AuthzService_ServiceDesc, authzSrv)), decider, "test", log)
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	go watcher.Run(ctx)
	if err := watcher.WaitReady(ctx); err != nil {
		t.Fatal(err)
	}
	reg := prometheus.NewRegistry()
	svc := NewService(Deps{
		Config: store, Policy: decider, Limiter: denyingLimiter{limitedEndpoint},
		Adapter: provideradapterv1.NewProviderAdapterServiceClient(inproc.New(&provideradapterv1.ProviderAdapterService_ServiceDesc, adapter)),
		Usage:   usage, Log: log, Registry: reg, Gatherer: reg,
	})
	return ctx, svc
}

func newFixture(t *testing.T, limitedEndpoint string) *fixture {
	t.Helper()
	f := &fixture{adapter: &stubAdapter{}, usage: &recordingSink{}}
	f.url = serveRouter(t, testConfig, f.adapter, limitedEndpoint, f.usage)
	return f
}

func post(t *testing.T, url, token, body string) (*http.Response, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.Header.Get("X-Request-Id") == "" {
		t.Errorf("%s: response without x-request-id", url)
	}
	return resp, string(b)
}

type openAIError struct {
	Error struct {
		Message string  `json:"message"`
		Type    string  `json:"type"`
		Param   *string `json:"param"`
		Code    *string `json:"code"`
	} `json:"error"`
}

func wantError(t *testing.T, resp *http.Response, body string, status int) openAIError {
	t.Helper()
	if resp.StatusCode != status {
		t.Fatalf("status %d, want %d; body %s", resp.StatusCode, status, body)
	}
	var e openAIError
	if err := json.Unmarshal([]byte(body), &e); err != nil || e.Error.Message == "" || e.Error.Type == "" {
		t.Fatalf("not an OpenAI error body: %s", body)
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Fatalf("error content type %q", ct)
	}
	return e
}

const chatBody = `{"model":%q,"messages":[{"role":"user","content":"hi"}]%s}`

func chat(model, extra string) string {
	return strings.Replace(strings.Replace(chatBody, "%q", `"`+model+`"`, 1), "%s", extra, 1)
}

func TestUnaryPassthroughAndUsage(t *testing.T) {
	f := newFixture(t, "")
	resp, body := post(t, f.url+"/v1/chat/completions", aliceToken, chat("chat", `,"client_request_id":"cr-1","usage_context":{"team":"a"}`))
	if resp.StatusCode != 200 {
		t.Fatalf("status %d: %s", resp.StatusCode, body)
	}
	if !strings.Contains(body, `"model":"m-ok"`) || !strings.Contains(body, `"content":"hello"`) {
		t.Fatalf("provider body not forwarded: %s", body)
	}
	// A whole answer goes out with its length, in one piece, not chunked.
	if resp.ContentLength != int64(len(body)) || len(resp.TransferEncoding) != 0 {
		t.Fatalf("content length %d (body %d bytes), transfer encoding %v", resp.ContentLength, len(body), resp.TransferEncoding)
	}
	ev := f.usage.eventFor(t, resp)
	if ev == nil || ev.GetEndpointName() != "chat" || ev.GetRequester() != "alice" || ev.GetInputTokenCount() != 3 ||
		ev.GetClientRequestId() != "cr-1" || ev.GetUsageContext()["team"] != "a" || ev.GetStatusCode() != 200 ||
		ev.GetDatabricksRequestId() != resp.Header.Get("X-Request-Id") || ev.GetUserAgent() != "Go-http-client/1.1" {
		t.Fatalf("usage event %+v", ev)
	}
	// The same route under the Databricks path.
	if resp, body := post(t, f.url+"/mlflow/v1/chat/completions", aliceToken, chat("chat", "")); resp.StatusCode != 200 {
		t.Fatalf("mlflow path: %d %s", resp.StatusCode, body)
	}
}

func TestStreamingFramesAndUsageSuppression(t *testing.T) {
	f := newFixture(t, "")
	resp, body := post(t, f.url+"/v1/chat/completions", aliceToken, chat("chat", `,"stream":true`))
	f.usage.eventFor(t, resp)
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
		t.Fatalf("status %d ct %q", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	frames := strings.Split(strings.TrimSuffix(body, "\n\n"), "\n\n")
	if len(frames) != 3 || frames[2] != "data: [DONE]" || !strings.Contains(frames[0], `"hel"`) {
		t.Fatalf("frames without include_usage: %q", frames)
	}
	resp, body = post(t, f.url+"/v1/chat/completions", aliceToken, chat("chat", `,"stream":true,"stream_options":{"include_usage":true}`))
	frames = strings.Split(strings.TrimSuffix(body, "\n\n"), "\n\n")
	if len(frames) != 4 || !strings.Contains(frames[2], `"usage"`) {
		t.Fatalf("frames with include_usage: %q", frames)
	}
	if ev := f.usage.eventFor(t, resp); !ev.GetRequestStreaming() || ev.GetOutputTokenCount() != 2 || ev.GetOutputCharacterCount() != 5 {
		t.Fatalf("stream usage event %+v", ev)
	}
}

func TestErrorsHaveStatusAndShape(t *testing.T) {
	f := newFixture(t, "chat")
	u := f.url + "/v1/chat/completions"
	cases := []struct {
		name, token, body string
		status            int
		code              string
	}{
		{"no token", "", chat("chat", ""), 401, "invalid_api_key"},
		{"bad token", "nope", chat("chat", ""), 401, "invalid_api_key"},
		{"no permission", bobToken, chat("private", ""), 403, "permission_denied"},
		{"unknown endpoint", aliceToken, chat("ghost", ""), 404, "model_not_found"},
		{"rate limited", aliceToken, chat("chat", ""), 429, "rate_limit_exceeded"},
		{"invalid json", aliceToken, `{"model":`, 400, ""},
		{"wrong task", aliceToken, chat("vectors", ""), 400, ""},
		{"provider down", aliceToken, chat("nofallback", ""), 502, "upstream_error"},
		{"provider down, streaming", aliceToken, chat("nofallback", `,"stream":true`), 502, "upstream_error"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			resp, body := post(t, u, tc.token, tc.body)
			e := wantError(t, resp, body, tc.status)
			if tc.code != "" && (e.Error.Code == nil || *e.Error.Code != tc.code) {
				t.Fatalf("code %v, want %s: %s", e.Error.Code, tc.code, body)
			}
			if tc.status == 429 && resp.Header.Get("Retry-After") != "2" {
				t.Fatalf("Retry-After %q, want 2", resp.Header.Get("Retry-After"))
			}
			if strings.Contains(body, aliceToken) || strings.Contains(body, "nope") {
				t.Fatalf("error echoes the token: %s", body)
			}
		})
	}
	resp, body := post(t, f.url+"/v1/nothing-here", aliceToken, "{}")
	wantError(t, resp, body, 404)
	resp, body = post(t, u, aliceToken, `{"model":"chat","messages":[{"role":"user","content":"`+strings.Repeat("x", 2<<20)+`"}]}`)
	wantError(t, resp, body, 413)
}

func TestFallbackOnlyOnProviderFailures(t *testing.T) {
	f := newFixture(t, "")
	resp, body := post(t, f.url+"/v1/chat/completions", aliceToken, chat("failover", ""))
	if resp.StatusCode != 200 {
		t.Fatalf("fallback did not rescue the request: %d %s", resp.StatusCode, body)
	}
	if got := strings.Join(f.adapter.calls, ","); got != "down,ok" {
		t.Fatalf("attempts %s, want down,ok", got)
	}
	if ev := f.usage.eventFor(t, resp); ev.GetFallbackAttempts() != 1 || ev.GetServedEntityName() != "ok" {
		t.Fatalf("usage %+v", ev)
	}
	f.adapter.calls = nil
	resp, body = post(t, f.url+"/v1/chat/completions", aliceToken, chat("bad-request", ""))
	wantError(t, resp, body, 400)
	if got := strings.Join(f.adapter.calls, ","); got != "invalid" {
		t.Fatalf("a client error must not fall back: attempts %s", got)
	}
}

func TestCircuitBreakerSkipsAFailingEntity(t *testing.T) {
	f := newFixture(t, "")
	for i := 0; i < 6; i++ {
		post(t, f.url+"/v1/chat/completions", aliceToken, chat("failover", ""))
	}
	f.adapter.calls = nil
	resp, _ := post(t, f.url+"/v1/chat/completions", aliceToken, chat("failover", ""))
	if resp.StatusCode != 200 || strings.Join(f.adapter.calls, ",") != "ok" {
		t.Fatalf("open breaker should route straight to the healthy entity; attempts %v", f.adapter.calls)
	}
}

func TestModelsListAndEmbeddings(t *testing.T) {
	f := newFixture(t, "")
	for token, want := range map[string]bool{aliceToken: true, bobToken: false} {
		req, _ := http.NewRequest(http.MethodGet, f.url+"/v1/models", nil)
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || strings.Contains(string(b), `"private"`) != want || !strings.Contains(string(b), `"chat"`) {
			t.Fatalf("models for token: %d %s", resp.StatusCode, b)
		}
	}
	resp, body := post(t, f.url+"/v1/embeddings", aliceToken, `{"model":"vectors","input":"hello"}`)
	if resp.StatusCode != 200 || !strings.Contains(body, `"embedding"`) {
		t.Fatalf("embeddings: %d %s", resp.StatusCode, body)
	}
	resp, body = post(t, f.url+"/v1/embeddings", "", `{"model":"vectors","input":"hello"}`)
	wantError(t, resp, body, 401)
}

func TestHeadPreconnectAndQueryKey(t *testing.T) {
	f := newFixture(t, "")
	for _, path := range []string{"/anthropic", "/anthropic/", "/v1"} {
		resp, err := http.Head(f.url + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 || resp.Header.Get("X-Request-Id") == "" {
			t.Fatalf("HEAD %s: %d", path, resp.StatusCode)
		}
	}
	// Gemini clients may pass the key as ?key=.
	resp, err := http.Get(f.url + "/v1/models?key=" + aliceToken)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("?key= auth: %d", resp.StatusCode)
	}
}
