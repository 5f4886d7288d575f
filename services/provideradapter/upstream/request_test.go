package upstream

import (
	"context"
	"io"
	"net"
	"net/http"
	"sync/atomic"
	"testing"
	"time"
)

// doPost sends body to url with NewRequest and Do, as the adapter does.
func doPost(t *testing.T, c *http.Client, url, body string) (*http.Response, error) {
	t.Helper()
	req, err := NewRequest(context.Background(), c, http.MethodPost, url, []byte(body))
	if err != nil {
		t.Fatal(err)
	}
	return Do(c, req)
}

func TestDoDoesNotFollowRedirects(t *testing.T) {
	srv, _ := countingServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/moved" {
			http.Redirect(w, r, "/elsewhere", http.StatusTemporaryRedirect)
			return
		}
		_, _ = w.Write([]byte("followed"))
	}))
	resp, err := doPost(t, NewClient(nil), srv.URL+"/moved", "x")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusTemporaryRedirect || resp.Header.Get("Location") != "/elsewhere" {
		t.Fatalf("status %d location %q, want the redirect itself", resp.StatusCode, resp.Header.Get("Location"))
	}

	// A client built around this transport by hand keeps http.Client's policy.
	resp, err = doPost(t, &http.Client{Transport: NewTransport()}, srv.URL+"/moved", "x")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(b) != "followed" {
		t.Fatalf("a default client did not follow the redirect: %d %q", resp.StatusCode, b)
	}
}

func TestDoWordsErrorsAsHTTPClient(t *testing.T) {
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	url := "http://" + l.Addr().String() + "/v1/chat/completions"
	l.Close()
	c := NewClient(nil)
	_, err := doPost(t, c, url, "x")
	req, _ := http.NewRequest(http.MethodPost, url, nil)
	_, want := c.Do(req)
	if err == nil || want == nil || err.Error() != want.Error() {
		t.Fatalf("Do said %v, http.Client says %v", err, want)
	}
}

func TestDoRetriesAStaleConnectionWithTheWholeBody(t *testing.T) {
	var bodies []string
	var served atomic.Int64
	srv, conns := countingServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		served.Add(1)
		b, _ := io.ReadAll(r.Body)
		bodies = append(bodies, string(b))
		_, _ = w.Write([]byte("ok"))
	}))
	c := NewClient(nil)
	for i, body := range []string{"first body", "second body"} {
		if i == 1 {
			srv.CloseClientConnections() // the server drops the idle connection
			time.Sleep(20 * time.Millisecond)
		}
		resp, err := doPost(t, c, srv.URL, body)
		if err != nil {
			t.Fatalf("request %d: %v", i, err)
		}
		_, _ = io.ReadAll(resp.Body)
		resp.Body.Close()
	}
	if served.Load() != 2 || conns.Load() != 2 || bodies[1] != "second body" {
		t.Fatalf("served %d on %d connections, second body %q", served.Load(), conns.Load(), bodies[1])
	}
}
