package e2e

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/tollgate/tollgate/e2e/harness"
)

func (s *suite) testMLflowRoute(t *testing.T) {
	for _, path := range []string{"/mlflow/v1/chat/completions", "/openai/v1/chat/completions"} {
		r := s.postJSON(t, path, harness.AliceToken, chatBody(harness.EndpointChat, "via "+path))
		if r.Status != http.StatusOK {
			t.Errorf("POST %s: status %d: %s", path, r.Status, truncate(r.Body))
			continue
		}
		requireRequestID(t, r.Header, path)
		var c struct {
			Object  string `json:"object"`
			Choices []struct {
				Message struct {
					Content string `json:"content"`
				} `json:"message"`
			} `json:"choices"`
		}
		if err := json.Unmarshal(r.Body, &c); err != nil || c.Object != "chat.completion" || len(c.Choices) == 0 || c.Choices[0].Message.Content == "" {
			t.Errorf("POST %s: not a chat completion: %s", path, truncate(r.Body))
		}
	}
	r := s.postJSON(t, "/mlflow/v1/embeddings", harness.AliceToken, map[string]any{"model": harness.EndpointEmbeddings, "input": []string{"a", "b"}})
	requireStatus(t, r, http.StatusOK)
	r = s.do(t, http.MethodGet, "/mlflow/v1/models", harness.AliceToken, nil, nil)
	requireStatus(t, r, http.StatusOK)
	// Errors on the MLflow route keep OpenAI's shape.
	r = s.postJSON(t, "/mlflow/v1/chat/completions", harness.BobToken, chatBody(harness.EndpointPrivate, "x"))
	requireStatus(t, r, http.StatusForbidden)
	requireOpenAIError(t, r)
}

func (s *suite) testDatabricksExtrasNotForwarded(t *testing.T) {
	marker := "databricks-extras-" + string(s.topo)
	body := chatBody(harness.EndpointChat, marker)
	body["client_request_id"] = "e2e-client-req-42"
	body["usage_context"] = map[string]any{"project": "e2e", "team": "gateway"}
	body["max_tokens"] = 64
	r := s.postJSON(t, "/mlflow/v1/chat/completions", harness.AliceToken, body)
	requireStatus(t, r, http.StatusOK)

	req := s.findUpstreamRequest(t, marker)
	got, err := req.JSONBody()
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"client_request_id", "usage_context"} {
		if _, ok := got[k]; ok {
			t.Errorf("gateway forwarded %q upstream: %v", k, got)
		}
	}
	if got["model"] != harness.UpstreamModel {
		t.Errorf("upstream model = %v, want the served entity's %q", got["model"], harness.UpstreamModel)
	}
	if mt, _ := got["max_tokens"].(float64); mt != 64 {
		// max_completion_tokens is the modern spelling of the same limit.
		if mct, _ := got["max_completion_tokens"].(float64); mct != 64 {
			t.Errorf("max_tokens not forwarded: %v", got)
		}
	}
}

// findUpstreamRequest returns the last chat request the fake upstream
// received whose body contains marker.
func (s *suite) findUpstreamRequest(t *testing.T, marker string) harness.RecordedRequest {
	t.Helper()
	reqs, err := s.stack.Upstream.Requests(testCtx(t))
	if err != nil {
		t.Fatalf("fake upstream requests: %v", err)
	}
	for i := len(reqs) - 1; i >= 0; i-- {
		if strings.Contains(reqs[i].Body, marker) {
			return reqs[i]
		}
	}
	t.Fatalf("the fake upstream received no request containing %q (%d recorded)", marker, len(reqs))
	return harness.RecordedRequest{}
}

// testUpstreamCredentials checks, over everything the earlier subtests sent,
// that the upstream saw the configured upstream key and never a client token.
// (The suite's own direct probes of the fake upstream send that key too.)
func (s *suite) testUpstreamCredentials(t *testing.T) {
	reqs, err := s.stack.Upstream.Requests(testCtx(t))
	if err != nil {
		t.Fatalf("fake upstream requests: %v", err)
	}
	if len(reqs) == 0 {
		t.Fatal("the fake upstream recorded no requests")
	}
	want := "Bearer " + harness.UpstreamKey
	for i, r := range reqs {
		if got := r.Header("Authorization"); got != want {
			t.Errorf("request %d (%s %s): Authorization = %q, want %q", i, r.Method, r.Path, got, want)
		}
		for name, values := range r.Headers {
			for _, v := range values {
				if strings.Contains(v, harness.AliceToken) || strings.Contains(v, harness.BobToken) {
					t.Errorf("request %d (%s %s): header %s leaks a client's Tollgate token", i, r.Method, r.Path, name)
				}
			}
		}
		if strings.Contains(r.Body, harness.AliceToken) || strings.Contains(r.Body, harness.BobToken) {
			t.Errorf("request %d (%s %s): body leaks a client's Tollgate token", i, r.Method, r.Path)
		}
	}
}
