package harness

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"time"
)

// FakeUpstream is a running tollgate-fake-upstream: a fake OpenAI server that
// records every request it receives.
type FakeUpstream struct {
	// URL is the server root, http://127.0.0.1:PORT (the OpenAI base URL is URL+"/v1").
	URL  string
	Proc *Process
}

// StartFakeUpstream starts the fake upstream from binDir, logging into dir,
// and waits until it is listening.
func StartFakeUpstream(binDir, dir string) (*FakeUpstream, error) {
	path, err := binPath(binDir, BinFakeUpstream)
	if err != nil {
		return nil, err
	}
	addr, err := FreeAddr()
	if err != nil {
		return nil, err
	}
	p, err := StartProcess(ProcessSpec{
		Name: "fake-upstream", Path: path, Args: []string{"--addr", addr},
		LogPath: filepath.Join(dir, "fake-upstream.log"),
	})
	if err != nil {
		return nil, err
	}
	rest, err := p.WaitForLog("listening on ", 15*time.Second)
	if err != nil {
		p.Kill()
		return nil, err
	}
	url := strings.TrimRight(strings.Fields(rest)[0], "/")
	return &FakeUpstream{URL: url, Proc: p}, nil
}

// BaseURL is the OpenAI base URL of the fake upstream (…/v1).
func (f *FakeUpstream) BaseURL() string { return f.URL + "/v1" }

// Stop stops the fake upstream gracefully.
func (f *FakeUpstream) Stop(grace time.Duration) error { return f.Proc.Stop(grace) }

// RecordedRequest is one request the fake upstream received, as GET
// /_fake/requests reports it.
type RecordedRequest struct {
	Method  string              `json:"method"`
	Path    string              `json:"path"`
	Headers map[string][]string `json:"header"`
	Body    string              `json:"body"`
	Time    time.Time           `json:"time"`
}

// Header returns the first value of a header (case-insensitive name).
func (r RecordedRequest) Header(name string) string {
	return http.Header(r.Headers).Get(name)
}

// JSONBody decodes the recorded body as a JSON object.
func (r RecordedRequest) JSONBody() (map[string]any, error) {
	var m map[string]any
	if err := json.Unmarshal([]byte(r.Body), &m); err != nil {
		return nil, fmt.Errorf("recorded body is not a JSON object: %w", err)
	}
	return m, nil
}

// ResetRequests makes the fake upstream forget what it recorded.
func (f *FakeUpstream) ResetRequests(ctx context.Context) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodDelete, f.URL+"/_fake/requests", nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent {
		return fmt.Errorf("DELETE /_fake/requests: %s", resp.Status)
	}
	return nil
}

// Requests fetches every request recorded so far, oldest first.
func (f *FakeUpstream) Requests(ctx context.Context) ([]RecordedRequest, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, f.URL+"/_fake/requests", nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer func() { _ = resp.Body.Close() }()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET /_fake/requests: %s: %s", resp.Status, b)
	}
	var out []RecordedRequest
	if err := json.Unmarshal(b, &out); err != nil {
		return nil, fmt.Errorf("decode /_fake/requests: %w", err)
	}
	return out, nil
}
