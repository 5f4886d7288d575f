package bench

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"
)

// Target is what every request of a run sends.
type Target struct {
	URL     string  // full URL of POST …/v1/chat/completions or …/v1/messages
	Dialect Dialect // the client's: how Token is sent and responses validated
	Token   string  // bearer token (OpenAI) or x-api-key (Anthropic)
	Body    []byte  // request body (see Request)
	Stream  bool    // the body asks for SSE: validate as a stream
}

// Load is the shape of a closed-loop run: Concurrency workers each send a
// request, wait for the whole response, and send the next, until Duration
// has passed since the start.
type Load struct {
	Concurrency int
	Duration    time.Duration
	// ValidateEvery makes each worker fully validate its first response and
	// every ValidateEvery-th after it (status is checked on every response);
	// 0 means 16.
	ValidateEvery int
}

// Result of a run. Latencies are of successful requests only.
type Result struct {
	Requests  int           // requests completed (ok or failed)
	Failures  int           // non-200, transport error, or a sampled response malformed
	Validated int           // responses fully validated
	Elapsed   time.Duration // from the first request sent to the last response read
	// Latency is the time from sending the request to reading the last byte
	// of the response body; TTFB to reading the first byte of the body.
	Latency []time.Duration
	TTFB    []time.Duration
	// FailureSamples are up to maxFailureSamples distinct failure descriptions.
	FailureSamples []string
}

const maxFailureSamples = 5

// Throughput is completed requests per second of wall time.
func (r *Result) Throughput() float64 {
	if r.Elapsed <= 0 {
		return 0
	}
	return float64(r.Requests) / r.Elapsed.Seconds()
}

// FailureRate is failed requests over completed requests.
func (r *Result) FailureRate() float64 {
	if r.Requests == 0 {
		return 0
	}
	return float64(r.Failures) / float64(r.Requests)
}

// Run drives a closed loop against t until l.Duration has passed or ctx ends.
// Requests in flight at the deadline are completed and counted, so CPU
// measured around Run is divided by exactly the requests that caused it.
func Run(ctx context.Context, client *http.Client, t Target, l Load) *Result {
	every := l.ValidateEvery
	if every <= 0 {
		every = 16
	}
	header := requestHeader(t.Dialect, t.Token, t.Stream)
	workers := make([]*worker, l.Concurrency)
	start := time.Now()
	deadline := start.Add(l.Duration)
	var wg sync.WaitGroup
	for i := range workers {
		w := &worker{
			client: client, target: t, header: header, validateEvery: every,
			buf:     make([]byte, 0, 16<<10),
			latency: make([]time.Duration, 0, 4096),
			ttfb:    make([]time.Duration, 0, 4096),
		}
		workers[i] = w
		wg.Add(1)
		go func() {
			defer wg.Done()
			w.loop(ctx, deadline)
		}()
	}
	wg.Wait()
	res := &Result{Elapsed: time.Since(start)}
	seen := map[string]bool{}
	for _, w := range workers {
		res.Requests += w.requests
		res.Failures += w.failures
		res.Validated += w.validated
		res.Latency = append(res.Latency, w.latency...)
		res.TTFB = append(res.TTFB, w.ttfb...)
		for _, f := range w.failureSamples {
			if !seen[f] && len(res.FailureSamples) < maxFailureSamples {
				seen[f] = true
				res.FailureSamples = append(res.FailureSamples, f)
			}
		}
	}
	return res
}

// worker is one closed-loop client; it owns its counters and buffers, so the
// hot loop takes no locks.
type worker struct {
	client        *http.Client
	target        Target
	header        http.Header // shared read-only by all workers: the client never writes it
	validateEvery int

	buf                           []byte // response body, reused
	latency, ttfb                 []time.Duration
	requests, failures, validated int
	failureSamples                []string
}

func (w *worker) loop(ctx context.Context, deadline time.Time) {
	for ctx.Err() == nil && time.Now().Before(deadline) {
		validate := w.requests%w.validateEvery == 0
		err := w.one(ctx, validate)
		if ctx.Err() != nil {
			return // interrupted: the request in flight is not a gateway failure
		}
		w.requests++
		if err != nil {
			w.failures++
			if len(w.failureSamples) < maxFailureSamples {
				w.failureSamples = append(w.failureSamples, err.Error())
			}
		}
	}
}

// one sends a request, reads the whole response and records its timings.
func (w *worker) one(ctx context.Context, validate bool) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.target.URL, bytes.NewReader(w.target.Body))
	if err != nil {
		return err
	}
	req.Header = w.header
	start := time.Now()
	resp, err := w.client.Do(req)
	if err != nil {
		return fmt.Errorf("transport: %w", err)
	}
	ttfb, last, err := w.readBody(resp.Body, start)
	_ = resp.Body.Close()
	if err != nil {
		return fmt.Errorf("HTTP %d: reading body: %w", resp.StatusCode, err)
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("HTTP %d: %s", resp.StatusCode, truncate(w.buf, 200))
	}
	if validate {
		w.validated++
		if err := Validate(w.target.Dialect, w.target.Stream, w.buf); err != nil {
			return fmt.Errorf("malformed 200: %w: %s", err, truncate(w.buf, 200))
		}
	} else if len(w.buf) == 0 {
		return fmt.Errorf("HTTP 200 with an empty body")
	}
	w.latency = append(w.latency, last)
	w.ttfb = append(w.ttfb, ttfb)
	return nil
}

// readBody reads r to EOF into w.buf, noting when the first and last bytes
// arrived relative to start.
func (w *worker) readBody(r io.Reader, start time.Time) (ttfb, last time.Duration, err error) {
	w.buf = w.buf[:0]
	for {
		if len(w.buf) == cap(w.buf) {
			w.buf = append(w.buf, 0)[:len(w.buf)]
		}
		n, rerr := r.Read(w.buf[len(w.buf):cap(w.buf)])
		if n > 0 && ttfb == 0 {
			ttfb = time.Since(start)
		}
		w.buf = w.buf[:len(w.buf)+n]
		if rerr == io.EOF {
			last = time.Since(start)
			if ttfb == 0 {
				ttfb = last
			}
			return ttfb, last, nil
		}
		if rerr != nil {
			return 0, 0, rerr
		}
	}
}

func truncate(b []byte, n int) string {
	if len(b) > n {
		return string(b[:n]) + "…"
	}
	return string(b)
}
