package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

const unaryReply = `{"id":"c1","object":"chat.completion","choices":[{"index":0,"message":{"role":"assistant","content":"Hello!"},"finish_reason":"stop"}],"usage":{"prompt_tokens":2,"completion_tokens":1,"total_tokens":3}}`

// fakeOpenAI answers chat completions like the fake upstream; failEvery > 0
// makes every failEvery-th request a 500.
func fakeOpenAI(t *testing.T, failEvery int64) (*httptest.Server, *atomic.Int64) {
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		i := n.Add(1)
		if r.Header.Get("Authorization") != "Bearer tok" {
			http.Error(w, `{"error":{"message":"no token"}}`, http.StatusUnauthorized)
			return
		}
		if failEvery > 0 && i%failEvery == 0 {
			http.Error(w, `{"error":{"message":"boom"}}`, http.StatusInternalServerError)
			return
		}
		if !strings.Contains(r.Header.Get("Accept"), "event-stream") {
			w.Header().Set("Content-Type", "application/json")
			fmt.Fprint(w, unaryReply)
			return
		}
		w.Header().Set("Content-Type", "text/event-stream")
		fmt.Fprint(w, sse(`{"id":"c1","object":"chat.completion.chunk","choices":[{"delta":{"content":"Hi"}}]}`))
		w.(http.Flusher).Flush()
		fmt.Fprint(w, sse(`{"id":"c1","object":"chat.completion.chunk","choices":[],"usage":{"total_tokens":3}}`, "[DONE]"))
	}))
	t.Cleanup(srv.Close)
	return srv, &n
}

func TestRunCountsAndValidates(t *testing.T) {
	for _, stream := range []bool{false, true} {
		srv, served := fakeOpenAI(t, 0)
		client := NewClient(4)
		res := Run(context.Background(), client, Target{URL: srv.URL, Token: "tok", Body: ChatRequest("m", stream), Stream: stream},
			Load{Concurrency: 4, Duration: 200 * time.Millisecond, ValidateEvery: 2})
		if res.Failures != 0 {
			t.Fatalf("stream=%v: %d failures: %v", stream, res.Failures, res.FailureSamples)
		}
		if res.Requests == 0 || int64(res.Requests) != served.Load() {
			t.Errorf("stream=%v: counted %d requests, server saw %d", stream, res.Requests, served.Load())
		}
		if len(res.Latency) != res.Requests || len(res.TTFB) != res.Requests {
			t.Errorf("stream=%v: %d latencies, %d ttfb for %d requests", stream, len(res.Latency), len(res.TTFB), res.Requests)
		}
		if res.Validated < res.Requests/2 {
			t.Errorf("stream=%v: validated %d of %d, want at least every second", stream, res.Validated, res.Requests)
		}
		for i := range res.Latency {
			if res.TTFB[i] > res.Latency[i] || res.TTFB[i] <= 0 {
				t.Fatalf("stream=%v: ttfb %v vs last byte %v", stream, res.TTFB[i], res.Latency[i])
			}
		}
		if res.Throughput() <= 0 {
			t.Errorf("throughput %v", res.Throughput())
		}
	}
}

func TestRunReportsFailures(t *testing.T) {
	srv, _ := fakeOpenAI(t, 3)
	res := Run(context.Background(), NewClient(2), Target{URL: srv.URL, Token: "tok", Body: ChatRequest("m", false)},
		Load{Concurrency: 2, Duration: 100 * time.Millisecond})
	if res.Failures == 0 || res.FailureRate() < 0.2 || res.FailureRate() > 0.5 {
		t.Fatalf("%d failures of %d (rate %.2f), want about a third", res.Failures, res.Requests, res.FailureRate())
	}
	if len(res.FailureSamples) == 0 || !strings.Contains(res.FailureSamples[0], "HTTP 500") {
		t.Errorf("failure samples %q, want HTTP 500", res.FailureSamples)
	}
	if len(res.Latency) != res.Requests-res.Failures {
		t.Errorf("%d latencies, want only the %d successes", len(res.Latency), res.Requests-res.Failures)
	}
}

func TestRunRejectsMalformedOK(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `{"object":"chat.completion","choices":[]}`)
	}))
	t.Cleanup(srv.Close)
	res := Run(context.Background(), NewClient(1), Target{URL: srv.URL, Token: "tok", Body: ChatRequest("m", false)},
		Load{Concurrency: 1, Duration: 50 * time.Millisecond, ValidateEvery: 1})
	if res.Requests == 0 || res.Failures != res.Requests {
		t.Errorf("%d failures of %d requests, want every malformed 200 to fail", res.Failures, res.Requests)
	}
}

func TestRunStopsWhenCancelled(t *testing.T) {
	srv, _ := fakeOpenAI(t, 0)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	res := Run(ctx, NewClient(1), Target{URL: srv.URL, Token: "tok", Body: ChatRequest("m", false)},
		Load{Concurrency: 1, Duration: time.Hour})
	if res.Requests != 0 || res.Failures != 0 {
		t.Errorf("cancelled run made %d requests, %d failures", res.Requests, res.Failures)
	}
}

// fakeAnthropic answers Messages like the fake upstream, refusing a request
// without Anthropic's key and version headers.
func fakeAnthropic(t *testing.T) (*httptest.Server, *atomic.Int64) {
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		if r.Header.Get("X-Api-Key") != "tok" || r.Header.Get("Anthropic-Version") == "" || r.Header.Get("Authorization") != "" {
			http.Error(w, `{"type":"error","error":{"type":"authentication_error","message":"no key"}}`, http.StatusUnauthorized)
			return
		}
		var req struct {
			Stream bool `json:"stream"`
		}
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		if !req.Stream {
			w.Header().Set("Content-Type", "application/json")
			fmt.Fprint(w, `{"id":"m","type":"message","role":"assistant","content":[{"type":"text","text":"Hi"}],"stop_reason":"end_turn","usage":{"input_tokens":3,"output_tokens":8}}`)
			return
		}
		w.Header().Set("Content-Type", "text/event-stream")
		fmt.Fprint(w, evStart+evBlockStart)
		w.(http.Flusher).Flush()
		fmt.Fprint(w, evDelta+evBlockStop+evMsgDelta+evStop)
	}))
	t.Cleanup(srv.Close)
	return srv, &n
}

func TestRunSpeaksAnthropic(t *testing.T) {
	for _, stream := range []bool{false, true} {
		srv, served := fakeAnthropic(t)
		res := Run(context.Background(), NewClient(2),
			Target{URL: srv.URL, Dialect: DialectAnthropic, Token: "tok", Body: Request(DialectAnthropic, "claude", stream), Stream: stream},
			Load{Concurrency: 2, Duration: 100 * time.Millisecond, ValidateEvery: 1})
		if res.Requests == 0 || res.Failures != 0 || int64(res.Requests) != served.Load() || res.Validated != res.Requests {
			t.Errorf("stream=%v: %d requests (server saw %d), %d failures %q, %d validated",
				stream, res.Requests, served.Load(), res.Failures, res.FailureSamples, res.Validated)
		}
	}
}

func TestRunFailsAnOpenAIAnswerToAnAnthropicClient(t *testing.T) {
	// This server answers any request in OpenAI's shapes, with a 200.
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.Contains(r.Header.Get("Accept"), "event-stream") {
			fmt.Fprint(w, sse(`{"object":"chat.completion.chunk","choices":[{"delta":{"content":"Hi"}}],"usage":{"total_tokens":3}}`, "[DONE]"))
			return
		}
		fmt.Fprint(w, unaryReply)
	}))
	t.Cleanup(srv.Close)
	for _, stream := range []bool{false, true} {
		res := Run(context.Background(), NewClient(1),
			Target{URL: srv.URL, Dialect: DialectAnthropic, Token: "tok", Body: Request(DialectAnthropic, "m", stream), Stream: stream},
			Load{Concurrency: 1, Duration: 30 * time.Millisecond, ValidateEvery: 1})
		if res.Requests == 0 || res.Failures != res.Requests || !strings.Contains(res.FailureSamples[0], "malformed 200") {
			t.Errorf("stream=%v: %d of %d failed (%q), want all as malformed", stream, res.Failures, res.Requests, res.FailureSamples)
		}
	}
}
