package e2e

import (
	"bytes"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/tollgate/tollgate/e2e/harness"
)

// testHostileInput sends malformed and abusive bodies: each must get a 4xx
// with an OpenAI error body (never a 5xx), and the gateway must keep serving.
func (s *suite) testHostileInput(t *testing.T) {
	const deep = 100_000
	deepArrays := strings.Repeat("[", deep) + strings.Repeat("]", deep)
	deepObjects := strings.Repeat(`{"a":`, deep) + "1" + strings.Repeat("}", deep)
	cases := []struct {
		name, path, body string
		want             int // exact status wanted, or 0 for any 4xx
	}{
		{"invalid JSON", "/v1/chat/completions", `{"model": "chat", "messages": [`, 400},
		{"not JSON at all", "/v1/chat/completions", `hello`, 400},
		{"empty body", "/v1/chat/completions", ``, 400},
		{"JSON array body", "/v1/chat/completions", `[]`, 400},
		{"JSON null body", "/v1/chat/completions", `null`, 400},
		{"messages is a string", "/v1/chat/completions", `{"model":"chat","messages":"x"}`, 400},
		{"message is a number", "/v1/chat/completions", `{"model":"chat","messages":[7]}`, 400},
		{"temperature is a string", "/v1/chat/completions", `{"model":"chat","messages":[{"role":"user","content":"hi"}],"temperature":"hot"}`, 400},
		{"stream is a string", "/v1/chat/completions", `{"model":"chat","messages":[{"role":"user","content":"hi"}],"stream":"yes"}`, 400},
		{"model is a number", "/v1/chat/completions", `{"model":42,"messages":[{"role":"user","content":"hi"}]}`, 400},
		{"missing model", "/v1/chat/completions", `{"messages":[{"role":"user","content":"hi"}]}`, 400},
		{"missing messages", "/v1/chat/completions", `{"model":"chat"}`, 400},
		{"trailing garbage", "/v1/chat/completions", `{"model":"chat","messages":[{"role":"user","content":"hi"}]} {"x":1}`, 400},
		{"100k-deep arrays in messages", "/v1/chat/completions", `{"model":"chat","messages":` + deepArrays + `}`, 0},
		{"100k-deep arrays as a field", "/v1/chat/completions", `{"model":"chat","messages":[{"role":"user","content":"hi"}],"metadata":` + deepArrays + `}`, 0},
		{"100k-deep objects as content", "/v1/chat/completions", `{"model":"chat","messages":[{"role":"user","content":` + deepObjects + `}]}`, 0},
		{"embeddings input is a number", "/v1/embeddings", `{"model":"embeddings","input":42}`, 400},
		{"embeddings invalid JSON", "/v1/embeddings", `{"model":`, 400},
		{"embeddings missing model", "/v1/embeddings", `{"input":"x"}`, 400},
		{"embeddings 100k-deep input", "/v1/embeddings", `{"model":"embeddings","input":` + deepArrays + `}`, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := s.postJSON(t, tc.path, harness.AliceToken, tc.body)
			s.requireClientError(t, r, tc.want)
		})
	}

	// 20 MiB is over the default 16 MiB limit: 413, with and without Content-Length.
	big := bigChatBody(20 << 20)
	t.Run("20 MiB body", func(t *testing.T) {
		r := s.postJSON(t, "/v1/chat/completions", harness.AliceToken, big)
		s.requireClientError(t, r, http.StatusRequestEntityTooLarge)
	})
	t.Run("20 MiB chunked body", func(t *testing.T) {
		// Hiding the length forces chunked transfer encoding.
		body := struct{ io.Reader }{bytes.NewReader(big)}
		r := s.do(t, http.MethodPost, "/v1/chat/completions", harness.AliceToken, body, nil)
		s.requireClientError(t, r, http.StatusRequestEntityTooLarge)
	})

	// Just under the limit is served (and crosses the split mesh's gRPC hops).
	t.Run("15 MiB body", func(t *testing.T) {
		r := s.postJSON(t, "/v1/chat/completions", harness.AliceToken, bigChatBody(15<<20))
		requireStatus(t, r, http.StatusOK)
	})

	t.Run("still serving", func(t *testing.T) {
		for _, p := range s.stack.Gateway.Procs {
			if p.Exited() {
				t.Errorf("%s exited: %v", p.Name, p.ExitErr())
			}
		}
		r := s.postJSON(t, "/v1/chat/completions", harness.AliceToken, chatBody(harness.EndpointChat, "are you still there?"))
		requireStatus(t, r, http.StatusOK)
		r = s.do(t, http.MethodGet, "/healthz", "", nil, nil)
		requireStatus(t, r, http.StatusOK)
	})
}

// requireClientError wants status want, or any 4xx if want is 0, with an
// OpenAI error body.
func (s *suite) requireClientError(t *testing.T, r rawResponse, want int) {
	t.Helper()
	switch {
	case r.Status >= 500:
		t.Errorf("status %d: a client's bad input must never be a server error: %s", r.Status, truncate(r.Body))
		return
	case want != 0 && r.Status != want:
		t.Errorf("status %d, want %d: %s", r.Status, want, truncate(r.Body))
	case want == 0 && (r.Status < 400 || r.Status >= 500):
		t.Errorf("status %d, want a 4xx: %s", r.Status, truncate(r.Body))
		return
	}
	requireOpenAIError(t, r)
	requireRequestID(t, r.Header, "error")
}

// bigChatBody is a valid chat request of about n bytes.
func bigChatBody(n int) []byte {
	prefix := `{"model":"chat","messages":[{"role":"user","content":"`
	suffix := `"}]}`
	b := make([]byte, 0, n)
	b = append(b, prefix...)
	b = append(b, bytes.Repeat([]byte("a"), n-len(prefix)-len(suffix))...)
	return append(b, suffix...)
}
