package upstream

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// countingServer counts the TCP connections it accepts.
func countingServer(t *testing.T, h http.Handler) (*httptest.Server, *atomic.Int64) {
	var conns atomic.Int64
	srv := httptest.NewUnstartedServer(h)
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	srv.Start()
	t.Cleanup(srv.Close)
	return srv, &conns
}

func post(t *testing.T, c *http.Client, ctx context.Context, url, body string) (*http.Response, error) {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	return c.Do(req)
}

func TestReusesConnectionsAndEchoes(t *testing.T) {
	srv, conns := countingServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		w.Header().Set("X-Seen", r.Header.Get("Authorization"))
		_, _ = w.Write(b)
	}))
	c := &http.Client{Transport: NewTransport()}
	for i := 0; i < 20; i++ {
		req, _ := http.NewRequest(http.MethodPost, srv.URL+"/v1/x", strings.NewReader(fmt.Sprint("body-", i)))
		req.Header.Set("Authorization", "Bearer k")
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if string(b) != fmt.Sprint("body-", i) || resp.Header.Get("X-Seen") != "Bearer k" {
			t.Fatalf("round trip %d: %q %q", i, b, resp.Header.Get("X-Seen"))
		}
	}
	if n := conns.Load(); n != 1 {
		t.Fatalf("%d connections for 20 sequential requests, want 1", n)
	}
}

func TestUnreadBodyIsNotReused(t *testing.T) {
	srv, conns := countingServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte(strings.Repeat("x", 100000)))
	}))
	c := &http.Client{Transport: NewTransport()}
	for i := 0; i < 3; i++ {
		resp, err := post(t, c, context.Background(), srv.URL, "")
		if err != nil {
			t.Fatal(err)
		}
		buf := make([]byte, 10)
		_, _ = resp.Body.Read(buf)
		resp.Body.Close() // half read: the connection holds the rest and must go
	}
	if n := conns.Load(); n != 3 {
		t.Fatalf("%d connections, want 3 (a half-read connection must not be reused)", n)
	}
}

func TestStreamsChunksAsTheyArrive(t *testing.T) {
	release := make(chan struct{})
	srv, _ := countingServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		_, _ = w.Write([]byte("data: one\n\n"))
		w.(http.Flusher).Flush()
		<-release
		_, _ = w.Write([]byte("data: two\n\n"))
	}))
	c := &http.Client{Transport: NewTransport()}
	resp, err := post(t, c, context.Background(), srv.URL, "")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	br := bufio.NewReader(resp.Body)
	line, err := br.ReadString('\n')
	if err != nil || line != "data: one\n" {
		t.Fatalf("first event %q %v", line, err)
	}
	close(release)
	rest, _ := io.ReadAll(br)
	if !strings.Contains(string(rest), "data: two") {
		t.Fatalf("rest %q", rest)
	}
}

func TestCancelUnblocksARead(t *testing.T) {
	srv, _ := countingServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(200)
		w.(http.Flusher).Flush()
		<-r.Context().Done()
	}))
	c := &http.Client{Transport: NewTransport()}
	ctx, cancel := context.WithCancel(context.Background())
	resp, err := post(t, c, ctx, srv.URL, "")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := io.ReadAll(resp.Body)
		done <- err
	}()
	time.Sleep(20 * time.Millisecond)
	cancel()
	select {
	case err := <-done:
		if err == nil {
			t.Fatal("read of a canceled response succeeded")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("cancel did not unblock the body read")
	}
	resp.Body.Close()
}

func TestCancelBeforeResponse(t *testing.T) {
	srv, _ := countingServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.ReadAll(r.Body) // the server notices a closed connection only once the body is read
		<-r.Context().Done()
	}))
	c := &http.Client{Transport: NewTransport()}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err := post(t, c, ctx, srv.URL, "x")
	if err == nil || ctx.Err() == nil {
		t.Fatalf("want a deadline error, got %v", err)
	}
}

// A server that closes idle keep-alive connections: the next request on the
// stale connection is retried once on a fresh one.
func TestRetriesOnceOnAStaleIdleConnection(t *testing.T) {
	var served atomic.Int64
	srv, conns := countingServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		served.Add(1)
		_, _ = io.ReadAll(r.Body)
		_, _ = w.Write([]byte("ok"))
	}))
	tr := NewTransport()
	c := &http.Client{Transport: tr}
	resp, err := post(t, c, context.Background(), srv.URL, "a")
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	srv.CloseClientConnections() // the server drops the idle connection
	time.Sleep(20 * time.Millisecond)
	resp, err = post(t, c, context.Background(), srv.URL, "b")
	if err != nil {
		t.Fatalf("request on a stale connection was not retried: %v", err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(b) != "ok" || served.Load() != 2 || conns.Load() != 2 {
		t.Fatalf("body %q served %d conns %d", b, served.Load(), conns.Load())
	}
}

func TestTLS(t *testing.T) {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte("secure"))
	}))
	defer srv.Close()
	tr := NewTransport()
	tr.TLSConfig = srv.Client().Transport.(*http.Transport).TLSClientConfig
	c := &http.Client{Transport: tr}
	resp, err := post(t, c, context.Background(), srv.URL, "")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(b) != "secure" {
		t.Fatalf("got %q", b)
	}
}

func TestConnectionRefused(t *testing.T) {
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := l.Addr().String()
	l.Close()
	c := &http.Client{Transport: NewTransport()}
	if _, err := post(t, c, context.Background(), "http://"+addr, ""); err == nil {
		t.Fatal("want an error")
	}
}

func BenchmarkRoundTrip(b *testing.B) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		_, _ = w.Write([]byte(`{"ok":true}`))
	}))
	defer srv.Close()
	for name, rt := range map[string]http.RoundTripper{"direct": NewTransport(), "net-http": &http.Transport{MaxIdleConnsPerHost: 16}} {
		b.Run(name, func(b *testing.B) {
			c := &http.Client{Transport: rt}
			b.ReportAllocs()
			for b.Loop() {
				req, _ := http.NewRequest(http.MethodPost, srv.URL, strings.NewReader(`{"a":1}`))
				resp, err := c.Do(req)
				if err != nil {
					b.Fatal(err)
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
		})
	}
	// As the adapter sends: NewRequest and DoBefore on a NewClient client.
	b.Run("adapter", func(b *testing.B) {
		c := NewClient(nil)
		body := []byte(`{"a":1}`)
		b.ReportAllocs()
		for b.Loop() {
			req, _ := NewRequest(context.Background(), c, http.MethodPost, srv.URL, body)
			resp, err := DoBefore(c, req, time.Now().Add(time.Minute), nil)
			if err != nil {
				b.Fatal(err)
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
	})
}

// After an upstream restart every pooled connection is dead: one request
// must still succeed, not fail on the second stale connection.
func TestRetriesWhenEveryPooledConnectionIsStale(t *testing.T) {
	srv, _ := countingServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.ReadAll(r.Body)
		_, _ = w.Write([]byte("ok"))
	}))
	c := &http.Client{Transport: NewTransport()}
	// Fill the pool with several connections.
	var resps []*http.Response
	for i := 0; i < 4; i++ {
		resp, err := post(t, c, context.Background(), srv.URL, "x")
		if err != nil {
			t.Fatal(err)
		}
		resps = append(resps, resp)
	}
	for _, resp := range resps {
		_, _ = io.ReadAll(resp.Body)
		resp.Body.Close()
	}
	srv.CloseClientConnections()
	time.Sleep(20 * time.Millisecond)
	resp, err := post(t, c, context.Background(), srv.URL, "y")
	if err != nil {
		t.Fatalf("request after the upstream dropped every connection: %v", err)
	}
	resp.Body.Close()
}
