package http1

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// start serves h on a loopback port and returns its address.
func start(t *testing.T, s *Server) string {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- s.Serve(lis) }()
	t.Cleanup(func() {
		_ = s.Close()
		if err := <-done; !errors.Is(err, http.ErrServerClosed) {
			t.Errorf("Serve returned %v, want ErrServerClosed", err)
		}
	})
	return lis.Addr().String()
}

// countingClient is a net/http client that counts the connections it dials.
func countingClient(dials *atomic.Int32) *http.Client {
	d := &net.Dialer{}
	return &http.Client{Transport: &http.Transport{
		DisableCompression: true,
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			dials.Add(1)
			return d.DialContext(ctx, network, addr)
		},
	}}
}

func echo(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	w.Header().Set("X-Method", r.Method)
	w.Header().Set("X-Path", r.URL.Path)
	w.Header().Set("X-Query", r.URL.RawQuery)
	w.Header().Set("X-Host", r.Host)
	w.Header().Set("X-Content-Length", fmt.Sprint(r.ContentLength))
	if n := r.URL.Query().Get("repeat"); n != "" {
		var times int
		fmt.Sscan(n, &times)
		body = bytes.Repeat(body, times)
	}
	_, _ = w.Write(body)
}

func TestKeepAliveFramingAndRequestFields(t *testing.T) {
	addr := start(t, &Server{Handler: http.HandlerFunc(echo)})
	var dials atomic.Int32
	client := countingClient(&dials)
	for i, tc := range []struct {
		query       string
		body        string
		wantLength  int64 // -1: chunked
		wantBodyLen int
	}{
		{"", "hello", 5, 5},
		{"repeat=1000", "abcdefgh", -1, 8000}, // beyond what is held back for a length
		{"", "", 0, 0},
		{"a=b&repeat=3", "xyz", 9, 9},
	} {
		req, _ := http.NewRequest(http.MethodPost, "http://"+addr+"/v1/echo?"+tc.query, strings.NewReader(tc.body))
		resp, err := client.Do(req)
		if err != nil {
			t.Fatalf("request %d: %v", i, err)
		}
		got, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || len(got) != tc.wantBodyLen {
			t.Fatalf("request %d: status %d, %d body bytes, want 200 and %d", i, resp.StatusCode, len(got), tc.wantBodyLen)
		}
		if resp.ContentLength != tc.wantLength {
			t.Errorf("request %d: Content-Length %d, want %d (transfer encoding %v)", i, resp.ContentLength, tc.wantLength, resp.TransferEncoding)
		}
		if tc.wantLength == -1 && (len(resp.TransferEncoding) != 1 || resp.TransferEncoding[0] != "chunked") {
			t.Errorf("request %d: transfer encoding %v, want chunked", i, resp.TransferEncoding)
		}
		if resp.Header.Get("X-Path") != "/v1/echo" || resp.Header.Get("X-Query") != tc.query || resp.Header.Get("X-Host") != addr {
			t.Errorf("request %d: handler saw path %q query %q host %q", i, resp.Header.Get("X-Path"), resp.Header.Get("X-Query"), resp.Header.Get("X-Host"))
		}
		if resp.Header.Get("Date") == "" || resp.Header.Get("Content-Type") == "" && tc.wantBodyLen > 0 {
			t.Errorf("request %d: Date %q, Content-Type %q: want both set", i, resp.Header.Get("Date"), resp.Header.Get("Content-Type"))
		}
	}
	if n := dials.Load(); n != 1 {
		t.Errorf("%d connections dialed for four requests, want 1 (keep-alive)", n)
	}
}

// chunkedBody hides its length so net/http sends it chunked.
type chunkedBody struct{ io.Reader }

func TestChunkedRequestBody(t *testing.T) {
	addr := start(t, &Server{Handler: http.HandlerFunc(echo)})
	var dials atomic.Int32
	client := countingClient(&dials)
	payload := strings.Repeat("0123456789", 5000)
	for range 2 {
		req, _ := http.NewRequest(http.MethodPost, "http://"+addr+"/", chunkedBody{strings.NewReader(payload)})
		req.Trailer = http.Header{"X-Sum": {"42"}}
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		got, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if string(got) != payload || resp.Header.Get("X-Content-Length") != "-1" {
			t.Fatalf("echoed %d bytes with request length %s, want %d bytes and -1", len(got), resp.Header.Get("X-Content-Length"), len(payload))
		}
	}
	if dials.Load() != 1 {
		t.Errorf("%d connections for two chunked requests, want 1 (trailers read, connection kept)", dials.Load())
	}
}

// rawExchange writes raw to a new connection and returns everything the
// server sends until it closes the connection.
func rawExchange(t *testing.T, addr, raw string) string {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.WriteString(c, raw); err != nil {
		t.Fatal(err)
	}
	out, _ := io.ReadAll(c)
	return string(out)
}

func TestRefusesWhatAFrontDoorMust(t *testing.T) {
	addr := start(t, &Server{Handler: http.HandlerFunc(echo), MaxHeaderBytes: 2048})
	for _, tc := range []struct {
		name, raw string
		want      int
	}{
		{"garbage request line", "HELLO\r\n\r\n", 400},
		{"both lengths (smuggling)", "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400},
		{"conflicting lengths", "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd", 400},
		{"negative length", "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: -3\r\n\r\n", 400},
		{"unknown transfer coding", "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n", 501},
		{"obsolete folding", "GET / HTTP/1.1\r\nHost: x\r\nX-A: 1\r\n  2\r\n\r\n", 400},
		{"control byte in target", "GET /a\x01b HTTP/1.1\r\nHost: x\r\n\r\n", 400},
		{"space before colon", "GET / HTTP/1.1\r\nHost : x\r\n\r\n", 400},
		{"control byte in value", "GET / HTTP/1.1\r\nHost: x\r\nX-A: a\x00b\r\n\r\n", 400},
		{"HTTP/2 preface", "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", 505},
		{"headers too large", "GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + strings.Repeat("a", 4096) + "\r\n\r\n", 431},
		{"unknown expectation", "POST / HTTP/1.1\r\nHost: x\r\nExpect: magic\r\nContent-Length: 1\r\n\r\na", 417},
		{"two hosts", "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := rawExchange(t, addr, tc.raw)
			want := fmt.Sprintf("HTTP/1.1 %d ", tc.want)
			if !strings.HasPrefix(out, want) || !strings.Contains(out, "Connection: close") {
				t.Fatalf("answer %q, want %q… with Connection: close", out, want)
			}
		})
	}
}

func TestExpectContinueAndHTTP10(t *testing.T) {
	addr := start(t, &Server{Handler: http.HandlerFunc(echo)})

	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	br := bufio.NewReader(c)
	_, _ = io.WriteString(c, "POST /e HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\n")
	line, err := br.ReadString('\n')
	if err != nil || line != "HTTP/1.1 100 Continue\r\n" {
		t.Fatalf("first line %q (%v), want 100 Continue before the body is sent", line, err)
	}
	if blank, _ := br.ReadString('\n'); blank != "\r\n" {
		t.Fatalf("100 Continue followed by %q", blank)
	}
	_, _ = io.WriteString(c, "ping")
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || string(body) != "ping" {
		t.Fatalf("final answer %d %q", resp.StatusCode, body)
	}

	out := rawExchange(t, addr, "GET /old HTTP/1.0\r\n\r\n")
	if !strings.HasPrefix(out, "HTTP/1.1 200 OK\r\n") || !strings.Contains(out, "Connection: close\r\n") || !strings.Contains(out, "X-Path: /old\r\n") {
		t.Fatalf("HTTP/1.0 answer %q: want 200, Connection: close, handler run", out)
	}
	out = rawExchange(t, addr, "HEAD /h?repeat=2 HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: 3\r\n\r\nabc")
	if !strings.Contains(out, "Content-Length: 6\r\n") || !strings.HasSuffix(out, "\r\n\r\n") {
		t.Fatalf("HEAD answer %q: want the length of the GET body and no body", out)
	}
}

func TestStreamsFlushBeforeTheHandlerReturns(t *testing.T) {
	next := make(chan struct{})
	addr := start(t, &Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		for i := range 3 {
			fmt.Fprintf(w, "data: %d\n\n", i)
			http.NewResponseController(w).Flush()
			<-next // the client has read frame i
		}
	})})
	resp, err := http.Get("http://" + addr + "/stream")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	br := bufio.NewReader(resp.Body)
	for i := range 3 {
		line, err := br.ReadString('\n')
		if err != nil || line != fmt.Sprintf("data: %d\n", i) {
			t.Fatalf("frame %d: %q %v", i, line, err)
		}
		_, _ = br.ReadString('\n')
		next <- struct{}{}
	}
	if rest, _ := io.ReadAll(br); len(rest) != 0 {
		t.Fatalf("after the last frame: %q", rest)
	}
}

func TestClientGoingAwayCancelsTheRequest(t *testing.T) {
	cancelled := make(chan struct{})
	addr := start(t, &Server{WatchAfter: time.Millisecond, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.ReadAll(r.Body)
		<-r.Context().Done()
		close(cancelled)
	})})
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.WriteString(c, "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nhi")
	c.Close()
	select {
	case <-cancelled:
	case <-time.After(10 * time.Second):
		t.Fatal("the request's context was not cancelled after the client closed its connection")
	}
}

func TestPipelinedRequestSurvivesTheWatch(t *testing.T) {
	var srv *Server
	release := make(chan struct{})
	srv = &Server{WatchAfter: time.Millisecond, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/slow" {
			<-release
		}
		_, _ = io.WriteString(w, r.URL.Path)
	})}
	addr := start(t, srv)
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	_, _ = io.WriteString(c, "GET /slow HTTP/1.1\r\nHost: x\r\n\r\n")
	// Once the watcher reads, the next request's first byte is what it gets.
	waitFor(t, func() bool { return watchState(srv) == watchReading })
	_, _ = io.WriteString(c, "GET /second HTTP/1.1\r\nHost: x\r\n\r\n")
	waitFor(t, func() bool { return watchState(srv) == watchEnded })
	close(release)
	br := bufio.NewReader(c)
	for _, want := range []string{"/slow", "/second"} {
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		if string(body) != want {
			t.Fatalf("answer %q, want %q", body, want)
		}
	}
}

func watchState(s *Server) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	for c := range s.conns {
		c.watch.mu.Lock()
		st := c.watch.state
		c.watch.mu.Unlock()
		return st
	}
	return -1
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !cond(); time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("condition not reached")
		}
	}
}

func TestShutdownLetsTheActiveRequestFinish(t *testing.T) {
	started, release := make(chan struct{}), make(chan struct{})
	srv := &Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/slow" {
			close(started)
			<-release
		}
		_, _ = io.WriteString(w, "done")
	})}
	addr := start(t, srv)
	idle, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer idle.Close()
	type result struct {
		out string
	}
	answered := make(chan result, 1)
	go func() { answered <- result{rawExchange(t, addr, "GET /slow HTTP/1.1\r\nHost: x\r\n\r\n")} }()
	<-started
	var shutdownDone atomic.Bool
	shut := make(chan error, 1)
	go func() {
		err := srv.Shutdown(context.Background())
		shutdownDone.Store(true)
		shut <- err
	}()
	// The idle connection is closed by Shutdown; the active one is not.
	_ = idle.SetReadDeadline(time.Now().Add(10 * time.Second))
	if _, err := idle.Read(make([]byte, 1)); err == nil {
		t.Fatal("the idle connection got data instead of being closed")
	}
	if shutdownDone.Load() {
		t.Fatal("Shutdown returned while a request was still running")
	}
	close(release)
	out := (<-answered).out
	if !strings.HasSuffix(out, "done") || !strings.Contains(out, "Connection: close\r\n") {
		t.Fatalf("answer during shutdown %q: want the body and Connection: close", out)
	}
	if err := <-shut; err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	if _, err := net.Dial("tcp", addr); err == nil {
		t.Fatal("the listener still accepts after Shutdown")
	}
}

func TestHandlerPanicDropsOnlyItsConnection(t *testing.T) {
	addr := start(t, &Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/panic" {
			panic("boom")
		}
		_, _ = io.WriteString(w, "fine")
	})})
	if out := rawExchange(t, addr, "GET /panic HTTP/1.1\r\nHost: x\r\n\r\n"); out != "" {
		t.Fatalf("a panicking handler's connection got %q, want it closed with nothing", out)
	}
	resp, err := http.Get("http://" + addr + "/ok")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(body) != "fine" {
		t.Fatalf("after a panic: %q", body)
	}
}

func TestUnreadBodyIsDrainedOrTheConnectionCloses(t *testing.T) {
	addr := start(t, &Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, "ignored your body")
	})})
	var dials atomic.Int32
	client := countingClient(&dials)
	for _, size := range []int{100, 100, maxDiscardBytes + 10, 100} {
		resp, err := client.Post("http://"+addr+"/", "text/plain", strings.NewReader(strings.Repeat("x", size)))
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("status %d", resp.StatusCode)
		}
	}
	// Small unread bodies are read away; the large one closes its connection.
	if n := dials.Load(); n != 2 {
		t.Fatalf("%d connections dialed, want 2", n)
	}
}

func TestEarlyAnswerToALargeBodyIsNotLostToAReset(t *testing.T) {
	addr := start(t, &Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "too large", http.StatusRequestEntityTooLarge) // the body is never read
	})})
	big := bytes.Repeat([]byte("x"), 20<<20)
	for i := range 5 {
		resp, err := http.Post("http://"+addr+"/", "application/json", bytes.NewReader(big))
		if err != nil {
			t.Fatalf("attempt %d: %v (want the 413, not a reset)", i, err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusRequestEntityTooLarge {
			t.Fatalf("attempt %d: status %d", i, resp.StatusCode)
		}
	}
}
