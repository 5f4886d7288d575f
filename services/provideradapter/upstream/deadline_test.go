package upstream

import (
	"context"
	"errors"
	"io"
	"net/http"
	"testing"
	"time"
)

var errTestDeadline = errors.New("test deadline")

// stallingServer answers /slow-head after the client gave up and, on
// /slow-body, sends the head and half the body before stalling.
func stallingServer(t *testing.T) (string, func() int64) {
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	srv, conns := countingServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.ReadAll(r.Body)
		switch r.URL.Path {
		case "/slow-head":
			select {
			case <-release:
			case <-r.Context().Done():
			}
		case "/slow-body":
			w.Header().Set("Content-Length", "10")
			_, _ = w.Write([]byte("12345"))
			w.(http.Flusher).Flush()
			select {
			case <-release:
			case <-r.Context().Done():
			}
		default:
			_, _ = w.Write([]byte("ok"))
		}
	}))
	return srv.URL, conns.Load
}

func TestDoBeforeReportsTheDeadlineAsItsCause(t *testing.T) {
	base, _ := stallingServer(t)
	clients := map[string]*http.Client{"NewClient's": NewClient(nil), "another": {Transport: &http.Transport{}}}
	for name, c := range clients {
		t.Run(name, func(t *testing.T) {
			deadline := time.Now().Add(100 * time.Millisecond)
			req, _ := NewRequest(context.Background(), c, http.MethodPost, base+"/slow-head", []byte("x"))
			_, err := DoBefore(c, req, deadline, errTestDeadline)
			if !errors.Is(err, errTestDeadline) || !errors.Is(err, context.DeadlineExceeded) {
				t.Fatalf("waiting for the head: %v", err)
			}
			// The words are those of a request whose context had the deadline.
			ctx, cancel := context.WithDeadlineCause(context.Background(), time.Now().Add(100*time.Millisecond), errTestDeadline)
			defer cancel()
			old, _ := http.NewRequestWithContext(ctx, http.MethodPost, base+"/slow-head", nil)
			if _, want := c.Do(old); want == nil || err.Error() != want.Error() {
				t.Fatalf("DoBefore says %q, a context with the deadline says %v", err, want)
			}

			req, _ = NewRequest(context.Background(), c, http.MethodPost, base+"/slow-body", []byte("x"))
			resp, err := DoBefore(c, req, time.Now().Add(100*time.Millisecond), errTestDeadline)
			if err != nil {
				t.Fatal(err)
			}
			_, err = io.ReadAll(resp.Body)
			resp.Body.Close()
			if !errors.Is(err, errTestDeadline) {
				t.Fatalf("reading a stalled body: %v", err)
			}
		})
	}
}

// A deadline bounds its own request only: the connection it leaves in the
// pool serves the next request long after that deadline.
func TestDoBeforeLeavesNoDeadlineBehind(t *testing.T) {
	base, conns := stallingServer(t)
	c := NewClient(nil)
	for i := 0; i < 2; i++ {
		req, _ := NewRequest(context.Background(), c, http.MethodPost, base+"/", []byte("x"))
		resp, err := DoBefore(c, req, time.Now().Add(50*time.Millisecond), errTestDeadline)
		if err != nil {
			t.Fatalf("request %d: %v", i, err)
		}
		b, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil || string(b) != "ok" {
			t.Fatalf("request %d: %q %v", i, b, err)
		}
		time.Sleep(100 * time.Millisecond) // past the deadline, with the connection idle
	}
	req, _ := NewRequest(context.Background(), c, http.MethodPost, base+"/", []byte("x"))
	resp, err := Do(c, req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if n := conns(); n != 1 {
		t.Fatalf("%d connections, want the one kept alive", n)
	}
}

func TestDoBeforeStillEndsWithTheContext(t *testing.T) {
	base, _ := stallingServer(t)
	c := NewClient(nil)
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(50*time.Millisecond, cancel)
	req, _ := NewRequest(ctx, c, http.MethodPost, base+"/slow-head", []byte("x"))
	_, err := DoBefore(c, req, time.Now().Add(time.Minute), errTestDeadline)
	if !errors.Is(err, context.Canceled) || errors.Is(err, errTestDeadline) {
		t.Fatalf("canceled request: %v", err)
	}
}
