package e2e

import (
	"bufio"
	"bytes"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tollgate/tollgate/e2e/harness"
)

// testAdminEndpoints checks every process's admin server: /healthz answers
// and /metrics exposes Tollgate's own metrics (after one request, since
// labelled metrics appear on first use).
func (s *suite) testAdminEndpoints(t *testing.T) {
	requireStatus(t, s.postJSON(t, "/v1/chat/completions", harness.AliceToken, chatBody(harness.EndpointChat, "metrics")), http.StatusOK)
	for name, addr := range s.stack.Gateway.AdminAddrs {
		resp, err := s.http.Get("http://" + addr + "/healthz")
		if err != nil {
			t.Errorf("%s admin /healthz: %v", name, err)
			continue
		}
		_ = resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("%s admin /healthz: %s", name, resp.Status)
		}
		resp, err = s.http.Get("http://" + addr + "/metrics")
		if err != nil {
			t.Errorf("%s admin /metrics: %v", name, err)
			continue
		}
		b, _ := io.ReadAll(resp.Body)
		_ = resp.Body.Close()
		if resp.StatusCode != http.StatusOK || !strings.Contains(string(b), "\ntollgate_") {
			t.Errorf("%s admin /metrics: %s, tollgate_ metrics present: %v", name, resp.Status, strings.Contains(string(b), "\ntollgate_"))
		}
	}
}

// testGracefulShutdown sends SIGTERM to the process facing clients while a
// stream is in flight: the stream must finish intact, the process must exit
// 0 within the grace, new connections must then be refused, and the usage of
// every request answered before and during the shutdown must reach the
// telemetry spool. It stops the gateway, so it runs last.
func (s *suite) testGracefulShutdown(t *testing.T) {
	var served []string // x-request-id of each request whose usage must be recorded
	for range 3 {
		r := s.postJSON(t, "/v1/chat/completions", harness.AliceToken, chatBody(harness.EndpointChat, "before shutdown"))
		requireStatus(t, r, http.StatusOK)
		served = append(served, r.Header.Get("X-Request-Id"))
	}

	front := s.stack.Gateway.Procs[len(s.stack.Gateway.Procs)-1]
	body := chatBody(harness.EndpointFakeDrain, "one two three four five six seven eight nine ten")
	body["stream"] = true
	req, err := http.NewRequestWithContext(testCtx(t), http.MethodPost, s.baseURL()+"/v1/chat/completions",
		strings.NewReader(mustJSON(t, body)))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+harness.AliceToken)
	req.Header.Set("Content-Type", "application/json")
	resp, err := s.http.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = resp.Body.Close() }()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("stream: status %d: %s", resp.StatusCode, truncate(b))
	}
	served = append(served, resp.Header.Get("X-Request-Id"))
	reader := bufio.NewReader(resp.Body)
	var head strings.Builder
	for !strings.Contains(head.String(), "\n\n") { // the first whole event
		line, err := reader.ReadString('\n')
		if err != nil {
			t.Fatalf("reading the first event: %v", err)
		}
		head.WriteString(line)
	}

	stopped := make(chan error, 1)
	sigterm := time.Now()
	go func() { stopped <- front.Stop(harness.DefaultGrace) }()
	rest, err := io.ReadAll(reader)
	if err != nil {
		t.Errorf("the in-flight stream broke after SIGTERM: %v (read %q)", err, truncate(rest))
	}
	events := sseEvents(t, []byte(head.String()+string(rest)))
	if len(events) < 3 || events[len(events)-1] != "[DONE]" {
		t.Errorf("the in-flight stream did not finish with [DONE] after SIGTERM: %q", truncate([]byte(head.String()+string(rest))))
	}
	if err := <-stopped; err != nil {
		t.Errorf("graceful shutdown: %v", err)
	}
	t.Logf("%s exited %s after SIGTERM with a stream in flight", front.Name, time.Since(sigterm).Round(time.Millisecond))

	client := &http.Client{Timeout: 2 * time.Second}
	if resp, err := client.Get(s.baseURL() + "/healthz"); err == nil {
		_ = resp.Body.Close()
		t.Errorf("after shutdown the HTTP facade still answers: %s", resp.Status)
	}

	// Stop the rest (the mesh's telemetry service owns the spool), then look
	// for each request's id in the spool files.
	if err := s.stack.Stop(); err != nil {
		t.Errorf("graceful shutdown: %v", err)
	}
	spool := spoolBytes(t, filepath.Join(s.stack.Dir, "telemetry-data"))
	for _, id := range served {
		if id == "" || !bytes.Contains(spool, []byte(id)) {
			t.Errorf("usage of request %q is not in the telemetry spool after a graceful shutdown (%d spool bytes)", id, len(spool))
		}
	}
}

// spoolBytes concatenates every file under dir.
func spoolBytes(t *testing.T, dir string) []byte {
	t.Helper()
	var all []byte
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		all = append(all, b...)
		return err
	})
	if err != nil {
		t.Fatalf("read the telemetry spool: %v", err)
	}
	return all
}
