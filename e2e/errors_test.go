package e2e

import (
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/openai/openai-go/v3"

	"github.com/tollgate/tollgate/e2e/harness"
)

func (s *suite) testBadToken(t *testing.T) {
	client := s.client("tg-not-a-real-token")
	_, err := client.Chat.Completions.New(testCtx(t), openai.ChatCompletionNewParams{
		Model:    harness.EndpointChat,
		Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("hi")},
	})
	apierr := apiError(t, err)
	if apierr.StatusCode != http.StatusUnauthorized {
		t.Errorf("SDK StatusCode = %d, want 401", apierr.StatusCode)
	}
	if apierr.Message == "" {
		t.Error("SDK error has no message")
	}
	_, err = client.Models.List(testCtx(t))
	if apierr := apiError(t, err); apierr.StatusCode != http.StatusUnauthorized {
		t.Errorf("models list with a bad token: StatusCode = %d, want 401", apierr.StatusCode)
	}

	for _, tc := range []struct{ name, token string }{
		{"wrong token", "tg-not-a-real-token"},
		{"no token", ""},
		{"expired token", harness.ExpiredToken},
		{"token hash instead of token", harness.HashToken(harness.AliceToken)},
	} {
		r := s.postJSON(t, "/v1/chat/completions", tc.token, chatBody(harness.EndpointChat, "hi"))
		if r.Status != http.StatusUnauthorized {
			t.Errorf("%s: status %d, want 401: %s", tc.name, r.Status, truncate(r.Body))
			continue
		}
		requireOpenAIError(t, r)
		requireRequestID(t, r.Header, tc.name)
	}
}

func (s *suite) testForbidden(t *testing.T) {
	client := s.client(harness.BobToken)
	_, err := client.Chat.Completions.New(testCtx(t), openai.ChatCompletionNewParams{
		Model:    harness.EndpointPrivate,
		Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("let me in")},
	})
	if apierr := apiError(t, err); apierr.StatusCode != http.StatusForbidden {
		t.Errorf("bob on %q: StatusCode = %d, want 403", harness.EndpointPrivate, apierr.StatusCode)
	}
	r := s.postJSON(t, "/v1/chat/completions", harness.BobToken, chatBody(harness.EndpointPrivate, "let me in"))
	requireStatus(t, r, http.StatusForbidden)
	requireOpenAIError(t, r)

	// alice may query it.
	r = s.postJSON(t, "/v1/chat/completions", harness.AliceToken, chatBody(harness.EndpointPrivate, "hello"))
	requireStatus(t, r, http.StatusOK)
}

func (s *suite) testUnknownModel(t *testing.T) {
	client := s.client(harness.AliceToken)
	_, err := client.Chat.Completions.New(testCtx(t), openai.ChatCompletionNewParams{
		Model:    "no-such-endpoint",
		Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("hi")},
	})
	if apierr := apiError(t, err); apierr.StatusCode != http.StatusNotFound {
		t.Errorf("unknown model: StatusCode = %d, want 404", apierr.StatusCode)
	}
	r := s.postJSON(t, "/v1/chat/completions", harness.AliceToken, chatBody("no-such-endpoint", "hi"))
	requireStatus(t, r, http.StatusNotFound)
	requireOpenAIError(t, r)
	// An embeddings request naming a chat endpoint is not found either way
	// (or rejected as invalid); it must not be served.
	r = s.postJSON(t, "/v1/embeddings", harness.AliceToken, map[string]any{"model": harness.EndpointChat, "input": "x"})
	if r.Status < 400 || r.Status >= 500 {
		t.Errorf("embeddings on a chat endpoint: status %d, want 4xx: %s", r.Status, truncate(r.Body))
	} else {
		requireOpenAIError(t, r)
	}
}

func (s *suite) testRateLimited(t *testing.T) {
	// limited allows 2 calls per minute for the whole endpoint; only this test uses it.
	for i := 1; i <= 2; i++ {
		r := s.postJSON(t, "/v1/chat/completions", harness.AliceToken, chatBody(harness.EndpointLimited, "call"))
		if r.Status != http.StatusOK {
			t.Fatalf("call %d of 2 allowed: status %d: %s", i, r.Status, truncate(r.Body))
		}
	}
	r := s.postJSON(t, "/v1/chat/completions", harness.BobToken, chatBody(harness.EndpointLimited, "call"))
	requireStatus(t, r, http.StatusTooManyRequests)
	requireOpenAIError(t, r)
	requireRequestID(t, r.Header, "429")
	ra := r.Header.Get("Retry-After")
	if secs, err := strconv.Atoi(ra); err != nil || secs < 1 || secs > 60 {
		t.Errorf("Retry-After = %q, want whole seconds in 1..60", ra)
	}
	// The SDK sees the same.
	client := s.client(harness.AliceToken)
	_, err := client.Chat.Completions.New(testCtx(t), openai.ChatCompletionNewParams{
		Model:    harness.EndpointLimited,
		Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("call")},
	})
	if apierr := apiError(t, err); apierr.StatusCode != http.StatusTooManyRequests {
		t.Errorf("SDK StatusCode = %d, want 429", apierr.StatusCode)
	}
	// Other endpoints are not affected.
	r = s.postJSON(t, "/v1/chat/completions", harness.AliceToken, chatBody(harness.EndpointChat, "still fine"))
	requireStatus(t, r, http.StatusOK)
}

func (s *suite) testUpstreamFailure(t *testing.T) {
	r := s.postJSON(t, "/v1/chat/completions", harness.AliceToken, chatBody(harness.EndpointBroken, "fail please"))
	requireStatus(t, r, http.StatusBadGateway)
	requireOpenAIError(t, r)
	requireRequestID(t, r.Header, "502")

	// Streaming fails before the first byte, so it gets the same status, not a 200 stream.
	body := chatBody(harness.EndpointBroken, "fail please")
	body["stream"] = true
	r = s.postJSON(t, "/v1/chat/completions", harness.AliceToken, body)
	requireStatus(t, r, http.StatusBadGateway)
	requireOpenAIError(t, r)

	client := s.client(harness.AliceToken)
	_, err := client.Chat.Completions.New(testCtx(t), openai.ChatCompletionNewParams{
		Model:    harness.EndpointBroken,
		Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("fail please")},
	})
	if apierr := apiError(t, err); apierr.StatusCode != http.StatusBadGateway {
		t.Errorf("SDK StatusCode = %d, want 502", apierr.StatusCode)
	}
}

func (s *suite) testUpstreamTimeout(t *testing.T) {
	start := time.Now()
	r := s.postJSON(t, "/v1/chat/completions", harness.AliceToken, chatBody(harness.EndpointSlow, "take your time"))
	elapsed := time.Since(start)
	requireStatus(t, r, http.StatusGatewayTimeout)
	requireOpenAIError(t, r)
	requireRequestID(t, r.Header, "504")
	// The entity timeout is 1s and the upstream hangs for 30s: the answer
	// must come from the timeout, not from the upstream finally replying.
	if elapsed > 10*time.Second {
		t.Errorf("504 took %s; the served entity's timeout is 1s", elapsed)
	}
}

func (s *suite) testRequestIDOnEveryResponse(t *testing.T) {
	seen := map[string]bool{}
	check := func(what string, r rawResponse) {
		t.Helper()
		id := r.Header.Get("X-Request-Id")
		if id == "" {
			t.Errorf("%s (status %d): no x-request-id", what, r.Status)
			return
		}
		if seen[id] {
			t.Errorf("%s: x-request-id %q repeats an earlier response's", what, id)
		}
		seen[id] = true
	}
	check("chat 200", s.postJSON(t, "/v1/chat/completions", harness.AliceToken, chatBody(harness.EndpointChat, "hi")))
	check("embeddings 200", s.postJSON(t, "/v1/embeddings", harness.AliceToken, map[string]any{"model": harness.EndpointEmbeddings, "input": "x"}))
	check("models 200", s.do(t, http.MethodGet, "/v1/models", harness.AliceToken, nil, nil))
	check("401", s.postJSON(t, "/v1/chat/completions", "bad", chatBody(harness.EndpointChat, "hi")))
	check("403", s.postJSON(t, "/v1/chat/completions", harness.BobToken, chatBody(harness.EndpointPrivate, "hi")))
	check("404 model", s.postJSON(t, "/v1/chat/completions", harness.AliceToken, chatBody("nope", "hi")))
	check("404 path", s.do(t, http.MethodGet, "/v1/no-such-route", harness.AliceToken, nil, nil))
	check("400", s.postJSON(t, "/v1/chat/completions", harness.AliceToken, "{not json"))
	check("502", s.postJSON(t, "/v1/chat/completions", harness.AliceToken, chatBody(harness.EndpointBroken, "hi")))
	check("healthz", s.do(t, http.MethodGet, "/healthz", "", nil, nil))
	check("wrong method", s.do(t, http.MethodGet, "/v1/chat/completions", harness.AliceToken, nil, nil))
}

// testWrongMethod: a route that exists, asked with another method, is
// 405 Method Not Allowed (RFC 9110), with an OpenAI error body.
func (s *suite) testWrongMethod(t *testing.T) {
	for _, tc := range []struct{ method, path string }{
		{http.MethodGet, "/v1/chat/completions"},
		{http.MethodDelete, "/v1/embeddings"},
		{http.MethodPost, "/v1/models"},
	} {
		var body io.Reader
		if tc.method == http.MethodPost {
			body = strings.NewReader("{}")
		}
		r := s.do(t, tc.method, tc.path, harness.AliceToken, body, nil)
		if r.Status != http.StatusMethodNotAllowed {
			t.Errorf("%s %s: status %d, want 405: %s", tc.method, tc.path, r.Status, truncate(r.Body))
		}
		if r.Status >= 400 && r.Status < 500 {
			requireOpenAIError(t, r)
		}
	}
}
