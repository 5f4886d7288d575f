package e2e

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/tollgate/tollgate/e2e/harness"
)

// testConcurrentClients runs unary and streamed calls from many goroutines at
// once: every answer must be complete and belong to its own request (no
// crossed streams, no dropped frames).
func (s *suite) testConcurrentClients(t *testing.T) {
	const workers, perWorker = 16, 4
	want := s.upstreamReply(t, "concurrent")
	var wg sync.WaitGroup
	errs := make(chan error, workers*perWorker)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range perWorker {
				if err := s.oneConcurrentCall(t, (w+i)%2 == 0, want); err != nil {
					errs <- fmt.Errorf("worker %d call %d: %w", w, i, err)
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	n := 0
	for err := range errs {
		if n++; n <= 5 {
			t.Error(err)
		}
	}
	if n > 5 {
		t.Errorf("…and %d more failures", n-5)
	}
}

// oneConcurrentCall makes one call and checks it; it reports instead of
// failing because it runs off the test goroutine.
func (s *suite) oneConcurrentCall(t *testing.T, stream bool, want string) error {
	body := chatBody(harness.EndpointChat, "concurrent")
	body["stream"] = stream
	req, err := http.NewRequestWithContext(testCtx(t), http.MethodPost, s.baseURL()+"/v1/chat/completions", strings.NewReader(mustJSON(t, body)))
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+harness.AliceToken)
	req.Header.Set("Content-Type", "application/json")
	resp, err := s.http.Do(req)
	if err != nil {
		return err
	}
	defer func() { _ = resp.Body.Close() }()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("status %d: %s", resp.StatusCode, truncate(b))
	}
	if resp.Header.Get("X-Request-Id") == "" {
		return fmt.Errorf("no x-request-id")
	}
	var got strings.Builder
	if !stream {
		var c struct {
			Choices []struct {
				Message struct {
					Content string `json:"content"`
				} `json:"message"`
			} `json:"choices"`
		}
		if err := json.Unmarshal(b, &c); err != nil || len(c.Choices) == 0 {
			return fmt.Errorf("bad completion: %s", truncate(b))
		}
		got.WriteString(c.Choices[0].Message.Content)
	} else {
		events := sseEvents(t, b)
		if len(events) == 0 || events[len(events)-1] != "[DONE]" {
			return fmt.Errorf("stream without [DONE]: %s", truncate(b))
		}
		for _, ev := range events[:len(events)-1] {
			var c struct {
				Choices []struct {
					Delta struct {
						Content string `json:"content"`
					} `json:"delta"`
				} `json:"choices"`
			}
			if err := json.Unmarshal([]byte(ev), &c); err != nil {
				return fmt.Errorf("bad chunk %q", ev)
			}
			for _, ch := range c.Choices {
				got.WriteString(ch.Delta.Content)
			}
		}
	}
	if got.String() != want {
		return fmt.Errorf("stream=%v: content %q, want %q", stream, got.String(), want)
	}
	return nil
}
