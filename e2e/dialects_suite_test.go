package e2e

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/tollgate/tollgate/e2e/harness"
)

// startDialectSuite is startSuite over harness.DialectsConfig: the usual
// endpoints plus one per upstream dialect.
func startDialectSuite(t *testing.T, topo harness.Topology) *suite {
	t.Helper()
	stack, err := harness.StartStack(harness.StackOptions{Bin: binDir, Dir: t.TempDir(), Topology: topo,
		Config: func(u string) string { return harness.DialectsConfig(harness.DialectsOptions{UpstreamURL: u}) }})
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

// sseFrame is one server-sent event.
type sseFrame struct {
	Event string
	Data  string
}

// namedEvents splits an SSE body into its events, checking that each
// named event's data carries the same "type" (Anthropic and Responses
// streams do).
func namedEvents(t *testing.T, body []byte) []sseFrame {
	t.Helper()
	var out []sseFrame
	for _, block := range strings.Split(strings.ReplaceAll(string(body), "\r\n", "\n"), "\n\n") {
		if strings.TrimSpace(block) == "" {
			continue
		}
		var f sseFrame
		for _, line := range strings.Split(block, "\n") {
			if v, ok := strings.CutPrefix(line, "event:"); ok {
				f.Event = strings.TrimSpace(v)
			} else if v, ok := strings.CutPrefix(line, "data:"); ok {
				f.Data = strings.TrimPrefix(v, " ")
			}
		}
		var typed struct {
			Type string `json:"type"`
		}
		if f.Event != "" && (json.Unmarshal([]byte(f.Data), &typed) != nil || typed.Type != f.Event) {
			t.Fatalf("event %q carries data of another type: %s", f.Event, f.Data)
		}
		out = append(out, f)
	}
	return out
}

func eventList(frames []sseFrame) string {
	names := make([]string, len(frames))
	for i, f := range frames {
		names[i] = f.Event
	}
	return strings.Join(names, ",")
}

// anthropicHeaders are Claude Code's: the key as x-api-key, the API version
// and a beta flag.
func anthropicHeaders(key string) http.Header {
	h := http.Header{}
	h.Set("Anthropic-Version", "2023-06-01")
	h.Set("Anthropic-Beta", "context-management-2025-06-27,interleaved-thinking-2025-05-14")
	if key != "" {
		h.Set("X-Api-Key", key)
	}
	return h
}

// postWith posts a raw body with headers and no bearer token.
func (s *suite) postWith(t *testing.T, path string, header http.Header, body string) rawResponse {
	t.Helper()
	return s.do(t, http.MethodPost, path, "", strings.NewReader(body), header)
}

// upstreamRequests returns what the fake upstream received since the last
// reset, and resets it.
func (s *suite) upstreamRequests(t *testing.T) []harness.RecordedRequest {
	t.Helper()
	ctx := testCtx(t)
	reqs, err := s.stack.Upstream.Requests(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.stack.Upstream.ResetRequests(ctx); err != nil {
		t.Fatal(err)
	}
	return reqs
}

// replayUpstream sends a recorded upstream request straight to the fake
// upstream and returns its answer: what the gateway had to pass on.
func (s *suite) replayUpstream(t *testing.T, r harness.RecordedRequest) []byte {
	t.Helper()
	req, err := http.NewRequestWithContext(testCtx(t), r.Method, s.stack.Upstream.URL+r.Path, bytes.NewReader([]byte(r.Body)))
	if err != nil {
		t.Fatal(err)
	}
	req.Header = http.Header(r.Headers).Clone()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var b bytes.Buffer
	if _, err := b.ReadFrom(resp.Body); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// withModel replaces the top-level "model" value of a JSON body, for
// comparing a passthrough body with what the client sent.
func withModel(t *testing.T, body, from, to string) string {
	t.Helper()
	old := `"model":"` + from + `"`
	if strings.Count(body, old) != 1 {
		t.Fatalf("body does not name model %q exactly once", from)
	}
	return strings.Replace(body, old, `"model":"`+to+`"`, 1)
}
