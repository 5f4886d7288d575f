package provideradapter

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	inferencev1 "github.com/tollgate/tollgate/gen/go/tollgate/inference/v1"
	provideradapterv1 "github.com/tollgate/tollgate/gen/go/tollgate/provideradapter/v1"
	"github.com/tollgate/tollgate/services/kit/errs"
	"github.com/tollgate/tollgate/services/kit/wire/openai"
	"github.com/tollgate/tollgate/services/provideradapter/fakeupstream"
)

const testKey = "sk-test-secret-0123456789"

// upstreamConfig has one chat and one embeddings endpoint on an OpenAI
// compatible upstream at baseURL; model picks the fake's behaviour.
func upstreamConfig(baseURL, model, timeout, apiKey string) string {
	return fmt.Sprintf(`
endpoints:
  - name: chat
    task: chat
    served_entities:
      - name: up
        provider: openai_compatible
        model: %[2]s
        base_url: %[1]s
        api_key: %[4]s
        headers: {X-Custom-Header: custom-value}
        timeout: %[3]s
  - name: embed
    task: embeddings
    served_entities:
      - name: up
        provider: openai
        model: %[2]s
        base_url: %[1]s
        api_key: %[4]s
        timeout: %[3]s
`, baseURL, model, timeout, apiKey)
}

func envKey(t *testing.T) string {
	t.Setenv("TOLLGATE_TEST_PROVIDER_KEY", testKey)
	return "{env: TOLLGATE_TEST_PROVIDER_KEY}"
}

func decodeChat(t *testing.T, body string) *inferencev1.ChatRequest {
	t.Helper()
	r, err := openai.DecodeChatRequest([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestPassthroughChatUnary(t *testing.T) {
	fake, base := startFakeUpstream(t)
	srv, _ := newTestServer(t, upstreamConfig(base, "fake-gpt", "5s", envKey(t)))
	clientBody := "{\"model\": \"chat\",\n \"client_request_id\": \"cr-1\", \"messages\": [{\"role\":\"user\",\"content\":\"hi\"}],\n" +
		" \"logit_bias\": {\"50256\": -100}, \"temperature\": 0.70, \"usage_context\": {\"team\":\"a\"}, \"future_field\": [1,2]}"
	resp, err := srv.Chat(context.Background(), &provideradapterv1.ChatRequest{Target: target("chat", "up"), Request: decodeChat(t, clientBody)})
	if err != nil {
		t.Fatal(err)
	}

	reqs := fake.Requests()
	if len(reqs) != 1 {
		t.Fatalf("%d upstream requests", len(reqs))
	}
	sent := reqs[0]
	wantBody := "{\"model\": \"fake-gpt\", \"messages\": [{\"role\":\"user\",\"content\":\"hi\"}],\n" +
		" \"logit_bias\": {\"50256\": -100}, \"temperature\": 0.70, \"future_field\": [1,2]}"
	if string(sent.Body) != wantBody {
		t.Fatalf("upstream body\n got  %q\n want %q", sent.Body, wantBody)
	}
	if sent.Path != "/v1/chat/completions" || sent.Header.Get("Authorization") != "Bearer "+testKey ||
		sent.Header.Get("X-Custom-Header") != "custom-value" || sent.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("upstream request %s headers %v", sent.Path, sent.Header)
	}

	// Raw is the upstream's answer byte for byte.
	direct, err := http.Post(base+"/chat/completions", "application/json", bytes.NewReader(sent.Body))
	if err != nil {
		t.Fatal(err)
	}
	directBody, _ := io.ReadAll(direct.Body)
	direct.Body.Close()
	r := resp.GetResponse()
	if !bytes.Equal(r.GetRaw(), directBody) || r.GetRawDialect() != inferencev1.Dialect_DIALECT_OPENAI_CHAT {
		t.Fatalf("raw %q\nwant %q", r.GetRaw(), directBody)
	}
	// And it is parsed too, for metering.
	if r.GetChoices()[0].GetMessage().GetContent()[0].GetText() != fakeupstream.Reply || r.GetUsage().GetTotalTokens() == 0 {
		t.Fatalf("parsed response %v", r)
	}
	if resp.GetProvider() != "openai_compatible" {
		t.Errorf("provider %q", resp.GetProvider())
	}
}

func TestCanonicalChatUnary(t *testing.T) {
	fake, base := startFakeUpstream(t)
	srv, _ := newTestServer(t, upstreamConfig(base, "fake-gpt", "5s", envKey(t)))
	req := userRequest("hello")
	req.Source = &inferencev1.Source{Dialect: inferencev1.Dialect_DIALECT_ANTHROPIC_MESSAGES, OriginalBody: []byte(`{"not":"openai"}`)}
	resp, err := srv.Chat(context.Background(), &provideradapterv1.ChatRequest{Target: target("chat", "up"), Request: req})
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.GetResponse().GetRaw()) != 0 {
		t.Error("a different client dialect must not get the raw provider body")
	}
	var sent map[string]any
	if err := json.Unmarshal(fake.Requests()[0].Body, &sent); err != nil {
		t.Fatal(err)
	}
	if sent["model"] != "fake-gpt" || sent["not"] != nil {
		t.Fatalf("canonical request body %s", fake.Requests()[0].Body)
	}
	if resp.GetResponse().GetChoices()[0].GetMessage().GetContent()[0].GetText() != fakeupstream.Reply {
		t.Fatalf("response %v", resp.GetResponse())
	}
}

func TestPassthroughStream(t *testing.T) {
	fake, base := startFakeUpstream(t)
	srv, _ := newTestServer(t, upstreamConfig(base, "fake-gpt", "5s", envKey(t)))
	e, err := srv.resolve(target("chat", "up"), "chat")
	if err != nil {
		t.Fatal(err)
	}
	req := decodeChat(t, `{"model":"chat","stream":true,"messages":[{"role":"user","content":"hi"}]}`)
	chunks, err := collectStream(context.Background(), e.provider, req)
	if err != nil {
		t.Fatal(err)
	}
	if got := string(fake.Requests()[0].Body); got != `{"model":"fake-gpt","stream":true,"messages":[{"role":"user","content":"hi"}],"stream_options":{"include_usage":true}}` {
		t.Fatalf("upstream body %s", got)
	}
	if fake.Requests()[0].Header.Get("Accept") != "text/event-stream" {
		t.Error("stream request should accept text/event-stream")
	}
	var text strings.Builder
	for _, c := range chunks {
		if c.GetRawDialect() != inferencev1.Dialect_DIALECT_OPENAI_CHAT || !json.Valid(c.GetRaw()) {
			t.Fatalf("chunk raw %q", c.GetRaw())
		}
		for _, d := range c.GetDeltas() {
			text.WriteString(d.GetText())
		}
	}
	if text.String() != fakeupstream.Reply {
		t.Fatalf("streamed text %q", text.String())
	}
	last := chunks[len(chunks)-1]
	if last.GetUsage().GetTotalTokens() == 0 || len(last.GetDeltas()) != 0 {
		t.Fatalf("last chunk should report usage: %v", last)
	}
	// role chunk + 5 pieces + finish + usage
	if len(chunks) != 2+len(fakeupstream.ReplyPieces)+1 {
		t.Errorf("%d chunks", len(chunks))
	}
}

// The first chunk reaches the caller while the provider is still generating.
func TestStreamChunksArriveAsProduced(t *testing.T) {
	release := make(chan struct{})
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		fmt.Fprint(w, "data: {\"id\":\"s\",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"first\"}}]}\n\n")
		w.(http.Flusher).Flush()
		select {
		case <-release:
		case <-r.Context().Done():
			return
		}
		fmt.Fprint(w, "data: {\"id\":\"s\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\" second\"},\"finish_reason\":\"stop\"}]}\n\ndata: [DONE]\n\n")
	}))
	defer upstream.Close()
	srv, _ := newTestServer(t, upstreamConfig(upstream.URL, "m", "5s", envKey(t)))
	e, _ := srv.resolve(target("chat", "up"), "chat")

	got := make(chan string, 4)
	done := make(chan error, 1)
	go func() {
		done <- e.provider.ChatStream(context.Background(), userRequest("x"), func(chunks ...*inferencev1.ChatChunk) error {
			for _, c := range chunks {
				got <- c.GetDeltas()[0].GetText()
			}
			return nil
		})
	}()
	select {
	case first := <-got:
		if first != "first" {
			t.Fatalf("first chunk %q", first)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the first chunk did not arrive while the upstream was still streaming")
	}
	close(release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if second := <-got; second != " second" {
		t.Fatalf("second chunk %q", second)
	}
}

func TestUpstreamErrorMapping(t *testing.T) {
	cases := []struct {
		model     string
		kind      errs.Kind
		status    int
		retry     time.Duration
		param     string
		retryable bool
	}{
		{fakeupstream.ModelFail500, errs.KindUpstream, 500, 0, "", true},
		{fakeupstream.ModelFail429, errs.KindRateLimited, 429, 2 * time.Second, "", true},
		{fakeupstream.ModelFail401, errs.KindUpstream, 401, 0, "", false},
		{fakeupstream.ModelFail400, errs.KindInvalidArgument, 400, 0, "messages", false},
	}
	for _, tc := range cases {
		t.Run(tc.model, func(t *testing.T) {
			_, base := startFakeUpstream(t)
			srv, _ := newTestServer(t, upstreamConfig(base, tc.model, "5s", envKey(t)))
			for _, stream := range []bool{false, true} {
				var err error
				if stream {
					e, _ := srv.resolve(target("chat", "up"), "chat")
					_, err = collectStream(context.Background(), e.provider, userRequest("x"))
				} else {
					_, err = srv.Chat(context.Background(), &provideradapterv1.ChatRequest{Target: target("chat", "up"), Request: userRequest("x")})
				}
				e := mustKind(t, err, tc.kind)
				if e.UpstreamStatus != tc.status || e.Retry != tc.retry || e.Param != tc.param || Retryable(e) != tc.retryable {
					t.Fatalf("stream=%v: %+v", stream, e)
				}
				if strings.Contains(err.Error(), testKey) || strings.Contains(err.Error(), testKey[len(testKey)-4:]) {
					t.Fatalf("error text leaks the key: %q", err.Error())
				}
			}
			_, err := srv.Embed(context.Background(), &provideradapterv1.EmbedRequest{Target: target("embed", "up"),
				Request: &inferencev1.EmbeddingsRequest{Inputs: []string{"x"}}})
			mustKind(t, err, tc.kind)
		})
	}
}

func TestUnaryTimeout(t *testing.T) {
	_, base := startFakeUpstream(t)
	srv, _ := newTestServer(t, upstreamConfig(base, fakeupstream.ModelSlow, "150ms", envKey(t)))
	_, err := srv.Chat(context.Background(), &provideradapterv1.ChatRequest{Target: target("chat", "up"), Request: userRequest("x")})
	e := mustKind(t, err, errs.KindTimeout)
	if e.Code != "upstream_timeout" || !Retryable(e) || !strings.Contains(e.Message, "150ms") {
		t.Fatalf("%+v", e)
	}
	// Before the first byte a stream times out as an error (a fallback can retry)...
	e2, _ := srv.resolve(target("chat", "up"), "chat")
	_, err = collectStream(context.Background(), e2.provider, userRequest("x"))
	mustKind(t, err, errs.KindTimeout)
}

// The timeout bounds the whole unary answer, its body included, through the
// gateway's own transport and through net/http's (the proxy fallback) alike.
func TestUnaryTimeoutWhileReadingTheBody(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Content-Length", "1000")
		_, _ = w.Write([]byte(`{"id":"half`))
		w.(http.Flusher).Flush()
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer upstream.Close()
	for name, client := range map[string]*http.Client{"own transport": nil, "net/http transport": {Transport: &http.Transport{}}} {
		t.Run(name, func(t *testing.T) {
			srv, _ := newTestServer(t, upstreamConfig(upstream.URL, "m", "150ms", envKey(t)))
			if client != nil {
				srv.client = client
			}
			_, err := srv.Chat(context.Background(), &provideradapterv1.ChatRequest{Target: target("chat", "up"), Request: userRequest("x")})
			e := mustKind(t, err, errs.KindTimeout)
			if e.Code != "upstream_timeout" || !Retryable(e) || !strings.Contains(e.Message, "150ms") {
				t.Fatalf("%+v", e)
			}
		})
	}
}

// ...and after it, an idle gap longer than the timeout ends the stream with
// an error chunk.
func TestStreamIdleTimeout(t *testing.T) {
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		for range 3 { // steady events, each within the timeout
			fmt.Fprint(w, "data: {\"id\":\"s\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"x\"}}]}\n\n")
			w.(http.Flusher).Flush()
			time.Sleep(60 * time.Millisecond)
		}
		<-r.Context().Done() // then silence
	}))
	defer upstream.Close()
	srv, _ := newTestServer(t, upstreamConfig(upstream.URL, "m", "150ms", envKey(t)))
	e, _ := srv.resolve(target("chat", "up"), "chat")
	chunks, err := collectStream(context.Background(), e.provider, userRequest("x"))
	if err != nil {
		t.Fatalf("a failure after the first chunk is a final chunk, not an error: %v", err)
	}
	if len(chunks) != 4 {
		t.Fatalf("%d chunks: the timeout must bound gaps, not the whole stream", len(chunks))
	}
	if se := chunks[3].GetError(); se.GetCode() != "upstream_timeout" || !se.GetRetryable() {
		t.Fatalf("final chunk %v", chunks[3])
	}
}

func TestConnectionRefused(t *testing.T) {
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := lis.Addr().String()
	lis.Close()
	srv, _ := newTestServer(t, upstreamConfig("http://"+addr+"/v1", "m", "5s", envKey(t)))
	_, err = srv.Chat(context.Background(), &provideradapterv1.ChatRequest{Target: target("chat", "up"), Request: userRequest("x")})
	if e := mustKind(t, err, errs.KindUnavailable); !Retryable(e) || e.Message != "could not connect to the provider" {
		t.Fatalf("%+v", e)
	}
}

func TestClientCancellation(t *testing.T) {
	_, base := startFakeUpstream(t)
	srv, _ := newTestServer(t, upstreamConfig(base, fakeupstream.ModelSlow, "60s", envKey(t)))
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(50*time.Millisecond, cancel)
	_, err := srv.Chat(ctx, &provideradapterv1.ChatRequest{Target: target("chat", "up"), Request: userRequest("x")})
	mustKind(t, err, errs.KindCanceled)
}

// A rotated key is sent from the next call on: the credential header built
// for the old key is not reused.
func TestRotatedKeyIsSent(t *testing.T) {
	fake, base := startFakeUpstream(t)
	srv, _ := newTestServer(t, upstreamConfig(base, "fake-gpt", "5s", envKey(t)))
	for _, key := range []string{testKey, "sk-rotated-key", "sk-rotated-key", testKey} {
		t.Setenv("TOLLGATE_TEST_PROVIDER_KEY", key)
		if _, err := srv.Chat(context.Background(), &provideradapterv1.ChatRequest{Target: target("chat", "up"), Request: userRequest("x")}); err != nil {
			t.Fatal(err)
		}
		reqs := fake.Requests()
		if got := reqs[len(reqs)-1].Header.Get("Authorization"); got != "Bearer "+key {
			t.Fatalf("after rotating to %q the provider got %q", key, got)
		}
	}
}

func TestAPIKeyFromFile(t *testing.T) {
	fake, base := startFakeUpstream(t)
	path := filepath.Join(t.TempDir(), "key")
	if err := os.WriteFile(path, []byte(testKey+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	srv, _ := newTestServer(t, upstreamConfig(base, "fake-gpt", "5s", "{file: "+path+"}"))
	if _, err := srv.Chat(context.Background(), &provideradapterv1.ChatRequest{Target: target("chat", "up"), Request: userRequest("x")}); err != nil {
		t.Fatal(err)
	}
	if got := fake.Requests()[0].Header.Get("Authorization"); got != "Bearer "+testKey {
		t.Fatalf("authorization %q", got)
	}
}

func TestMissingAPIKey(t *testing.T) {
	fake, base := startFakeUpstream(t)
	srv, _ := newTestServer(t, upstreamConfig(base, "fake-gpt", "5s", "{env: TOLLGATE_TEST_UNSET_KEY_VAR}"))
	_, err := srv.Chat(context.Background(), &provideradapterv1.ChatRequest{Target: target("chat", "up"), Request: userRequest("x")})
	e := mustKind(t, err, errs.KindInternal)
	if e.Code != "provider_credentials_unavailable" || strings.Contains(e.Message, "TOLLGATE_TEST_UNSET_KEY_VAR") {
		t.Fatalf("%+v", e)
	}
	if !strings.Contains(err.Error(), "env:TOLLGATE_TEST_UNSET_KEY_VAR") {
		t.Errorf("the logged cause should name the reference: %q", err.Error())
	}
	if len(fake.Requests()) != 0 {
		t.Error("no request may be sent without the configured key")
	}
}

func TestNoAPIKeyConfigured(t *testing.T) {
	fake, base := startFakeUpstream(t)
	yaml := strings.Replace(upstreamConfig(base, "fake-gpt", "5s", "{env: X}"), "        api_key: {env: X}\n", "", -1)
	srv, _ := newTestServer(t, yaml)
	req := decodeChat(t, `{"model":"chat","messages":[{"role":"user","content":"x"}]}`)
	req.Source.Headers = map[string]string{"Authorization": "Bearer tollgate-client-token", "OpenAI-Beta": "assistants=v2"}
	if _, err := srv.Chat(context.Background(), &provideradapterv1.ChatRequest{Target: target("chat", "up"), Request: req}); err != nil {
		t.Fatal(err)
	}
	h := fake.Requests()[0].Header
	if h.Get("Authorization") != "" || h.Get("OpenAI-Beta") != "assistants=v2" {
		t.Fatalf("client credentials must never be forwarded; dialect headers should: %v", h)
	}
}

func TestEmbeddings(t *testing.T) {
	fake, base := startFakeUpstream(t)
	srv, _ := newTestServer(t, upstreamConfig(base, "fake-embedding", "5s", envKey(t)))

	clientBody := `{"input":["a","b"],"model":"embed","encoding_format":"base64","client_request_id":"x"}`
	er, err := openai.DecodeEmbeddingsRequest([]byte(clientBody))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := srv.Embed(context.Background(), &provideradapterv1.EmbedRequest{Target: target("embed", "up"), Request: er})
	if err != nil {
		t.Fatal(err)
	}
	if got := string(fake.Requests()[0].Body); got != `{"input":["a","b"],"model":"fake-embedding","encoding_format":"base64"}` {
		t.Fatalf("upstream body %s", got)
	}
	r := resp.GetResponse()
	if r.GetRawDialect() != inferencev1.Dialect_DIALECT_OPENAI_EMBEDDINGS || !bytes.Contains(r.GetRaw(), []byte(`"object":"embedding"`)) ||
		r.GetUsage().GetInputTokens() != 1 || resp.GetProvider() != "openai" {
		t.Fatalf("passthrough embeddings %v", r)
	}

	// From another dialect: the canonical vectors come back.
	d := int32(3)
	resp, err = srv.Embed(context.Background(), &provideradapterv1.EmbedRequest{Target: target("embed", "up"),
		Request: &inferencev1.EmbeddingsRequest{Inputs: []string{"hello"}, Dimensions: &d}})
	if err != nil {
		t.Fatal(err)
	}
	want := fakeupstream.Vector("hello", 3)
	got := resp.GetResponse().GetEmbeddings()[0].GetValues()
	if len(got) != 3 || got[0] != want[0] || got[2] != want[2] || len(resp.GetResponse().GetRaw()) != 0 {
		t.Fatalf("canonical embeddings %v, want %v", got, want)
	}
}

// A compatible server that ignores "stream": true still yields a stream.
func TestStreamFromUnstreamingServer(t *testing.T) {
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		fmt.Fprint(w, `{"id":"u","object":"chat.completion","created":3,"model":"m","choices":[{"index":0,"message":{"role":"assistant","content":"whole"},"finish_reason":"stop"}],"usage":{"prompt_tokens":1,"completion_tokens":2,"total_tokens":3}}`)
	}))
	defer upstream.Close()
	srv, _ := newTestServer(t, upstreamConfig(upstream.URL, "m", "5s", envKey(t)))
	e, _ := srv.resolve(target("chat", "up"), "chat")
	chunks, err := collectStream(context.Background(), e.provider, userRequest("x"))
	if err != nil {
		t.Fatal(err)
	}
	if len(chunks) != 3 || chunks[0].GetDeltas()[0].GetText() != "whole" || chunks[0].GetDeltas()[0].GetRole() != inferencev1.Role_ROLE_ASSISTANT ||
		chunks[1].GetDeltas()[0].GetFinishReason() != inferencev1.FinishReason_FINISH_REASON_STOP || chunks[2].GetUsage().GetTotalTokens() != 3 {
		t.Fatalf("chunks %v", chunks)
	}
}

func TestClientHeadersOnlyForSameDialect(t *testing.T) {
	fake, base := startFakeUpstream(t)
	srv, _ := newTestServer(t, upstreamConfig(base, "fake-gpt", "5s", envKey(t)))
	req := userRequest("x")
	req.Source = &inferencev1.Source{Dialect: inferencev1.Dialect_DIALECT_ANTHROPIC_MESSAGES, Headers: map[string]string{"Anthropic-Beta": "x"}}
	if _, err := srv.Chat(context.Background(), &provideradapterv1.ChatRequest{Target: target("chat", "up"), Request: req}); err != nil {
		t.Fatal(err)
	}
	if h := fake.Requests()[0].Header; h.Get("Anthropic-Beta") != "" {
		t.Fatalf("another dialect's headers were forwarded: %v", h)
	}
}
