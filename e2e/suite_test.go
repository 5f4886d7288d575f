package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"

	"github.com/tollgate/tollgate/e2e/harness"
)

// suite is one running topology: fake upstream plus gateway.
type suite struct {
	topo  harness.Topology
	stack *harness.Stack
	http  *http.Client
}

// startSuite starts a stack for topo and registers its graceful stop (a
// process that does not exit 0 within the grace fails the test) and a log
// dump when anything failed.
func startSuite(t *testing.T, topo harness.Topology) *suite {
	t.Helper()
	dir := t.TempDir()
	stack, err := harness.StartStack(harness.StackOptions{Bin: binDir, Dir: dir, Topology: topo})
	if err != nil {
		t.Fatalf("start %s: %v", topo, err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("process logs (%s):\n%s", topo, stack.LogTails(60))
		}
	})
	t.Cleanup(func() {
		if err := stack.Stop(); err != nil {
			t.Errorf("graceful shutdown of %s: %v", topo, err)
		}
	})
	return &suite{topo: topo, stack: stack, http: &http.Client{Timeout: 60 * time.Second}}
}

func (s *suite) baseURL() string { return s.stack.Gateway.BaseURL }

// client is the official Go SDK pointed at the gateway, without retries so
// every status is seen as the gateway sent it.
func (s *suite) client(token string) openai.Client {
	return openai.NewClient(
		option.WithBaseURL(s.baseURL()+"/v1/"),
		option.WithAPIKey(token),
		option.WithMaxRetries(0),
		option.WithRequestTimeout(30*time.Second),
	)
}

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 45*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// rawResponse is a fully read HTTP response.
type rawResponse struct {
	Status int
	Header http.Header
	Body   []byte
}

// do sends a raw request to the gateway with a bearer token ("" for none).
func (s *suite) do(t *testing.T, method, path, token string, body io.Reader, header http.Header) rawResponse {
	t.Helper()
	req, err := http.NewRequestWithContext(testCtx(t), method, s.baseURL()+path, body)
	if err != nil {
		t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := s.http.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer func() { _ = resp.Body.Close() }()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: read body: %v", method, path, err)
	}
	return rawResponse{Status: resp.StatusCode, Header: resp.Header, Body: b}
}

// postJSON posts body (bytes or a value to marshal) to path as alice unless token is given.
func (s *suite) postJSON(t *testing.T, path, token string, body any) rawResponse {
	t.Helper()
	var b []byte
	switch v := body.(type) {
	case []byte:
		b = v
	case string:
		b = []byte(v)
	default:
		var err error
		if b, err = json.Marshal(v); err != nil {
			t.Fatal(err)
		}
	}
	return s.do(t, http.MethodPost, path, token, bytes.NewReader(b), nil)
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// chatBody is a minimal chat request for endpoint model.
func chatBody(model, prompt string) map[string]any {
	return map[string]any{"model": model, "messages": []map[string]any{{"role": "user", "content": prompt}}}
}

// requireOpenAIError checks body is OpenAI's error shape
// {"error":{"message","type","param","code"}} with a non-empty message, and
// returns the error object.
func requireOpenAIError(t *testing.T, r rawResponse) map[string]any {
	t.Helper()
	var env map[string]json.RawMessage
	if err := json.Unmarshal(r.Body, &env); err != nil {
		t.Fatalf("status %d: error body is not JSON: %v: %q", r.Status, err, truncate(r.Body))
	}
	var obj map[string]any
	if err := json.Unmarshal(env["error"], &obj); err != nil || obj == nil {
		t.Fatalf("status %d: body has no \"error\" object: %s", r.Status, truncate(r.Body))
	}
	for _, k := range []string{"message", "type", "param", "code"} {
		if _, ok := obj[k]; !ok {
			t.Errorf("status %d: error object lacks %q: %s", r.Status, k, truncate(r.Body))
		}
	}
	if msg, _ := obj["message"].(string); msg == "" {
		t.Errorf("status %d: error message is empty: %s", r.Status, truncate(r.Body))
	}
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("status %d: error Content-Type = %q, want application/json", r.Status, ct)
	}
	return obj
}

// requireStatus fails unless r has the wanted status.
func requireStatus(t *testing.T, r rawResponse, want int) {
	t.Helper()
	if r.Status != want {
		t.Fatalf("status = %d, want %d; body: %s", r.Status, want, truncate(r.Body))
	}
}

// requireRequestID checks the x-request-id header is present.
func requireRequestID(t *testing.T, h http.Header, what string) {
	t.Helper()
	if h == nil {
		t.Errorf("%s: no response headers", what)
		return
	}
	if h.Get("X-Request-Id") == "" {
		t.Errorf("%s: response has no x-request-id header (headers: %v)", what, h)
	}
}

// apiError extracts the SDK's *openai.Error or fails.
func apiError(t *testing.T, err error) *openai.Error {
	t.Helper()
	if err == nil {
		t.Fatal("call succeeded, want an API error")
	}
	var apierr *openai.Error
	if !errors.As(err, &apierr) {
		t.Fatalf("error %v (%T) is not an *openai.Error", err, err)
	}
	return apierr
}

func truncate(b []byte) string {
	const max = 600
	if len(b) > max {
		return string(b[:max]) + "…(truncated)"
	}
	return string(b)
}

// sseEvents splits an SSE body into its data payloads, in order.
func sseEvents(t *testing.T, body []byte) []string {
	t.Helper()
	var out []string
	for _, frame := range strings.Split(strings.ReplaceAll(string(body), "\r\n", "\n"), "\n\n") {
		if strings.TrimSpace(frame) == "" {
			continue
		}
		var data []string
		for _, line := range strings.Split(frame, "\n") {
			if v, ok := strings.CutPrefix(line, "data:"); ok {
				data = append(data, strings.TrimPrefix(v, " "))
			}
		}
		if len(data) == 0 {
			continue // comments, event-only frames
		}
		out = append(out, strings.Join(data, "\n"))
	}
	return out
}
