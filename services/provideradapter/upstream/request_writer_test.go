package upstream

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptrace"
	"testing"
)

// writeBoth writes the request edit makes twice: once as the adapter builds
// it (NewRequest for a NewClient client, written by writeRequest) and once
// as net/http builds and writes it.
func writeBoth(t *testing.T, rawURL string, edit func(*http.Request)) (ours, theirs string, oursErr, theirsErr error) {
	t.Helper()
	body := []byte(`{"model":"m","messages":[]}`)
	write := func(req *http.Request, w func(*bufio.Writer) error) (string, error) {
		edit(req)
		var buf bytes.Buffer
		bw := bufio.NewWriter(&buf)
		err := w(bw)
		_ = bw.Flush()
		return buf.String(), err
	}
	mine, err := NewRequest(context.Background(), NewClient(nil), http.MethodPost, rawURL, body)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := mine.Body.(*memBody); !ok {
		t.Fatalf("NewRequest for a NewClient client made a %T body", mine.Body)
	}
	std, err := http.NewRequest(http.MethodPost, rawURL, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	ours, oursErr = write(mine, func(bw *bufio.Writer) error { return writeRequest(bw, mine) })
	theirs, theirsErr = write(std, func(bw *bufio.Writer) error { return std.Write(bw) })
	return ours, theirs, oursErr, theirsErr
}

func TestWriteRequestIsByteForByteNetHTTPs(t *testing.T) {
	many := func(r *http.Request) {
		for i := 0; i < maxSortedHeaders+3; i++ {
			r.Header.Set(fmt.Sprintf("X-H%02d", i), "v")
		}
	}
	cases := []struct {
		name string
		url  string
		edit func(*http.Request)
	}{
		{"provider call", "http://127.0.0.1:8080/v1/chat/completions", func(r *http.Request) {
			r.Header.Set("Content-Type", "application/json")
			r.Header.Set("Accept", "application/json")
			r.Header.Set("Authorization", "Bearer sk-1")
			r.Header.Set("X-Custom-Header", "custom-value")
		}},
		{"line breaks and blanks in values", "https://api.example.com/v1/messages", func(r *http.Request) {
			r.Header.Set("X-Injected", "a\r\nX-Evil: 1")
			r.Header.Set("X-Padded", " \t padded\t ")
			r.Header.Set("X-Lf", "one\ntwo")
		}},
		{"invalid names are dropped", "http://h/x", func(r *http.Request) {
			r.Header["Bad Name"] = []string{"v"}
			r.Header["X-Nul\x00"] = []string{"v"}
			r.Header["x-lower-case"] = []string{"kept as written"}
		}},
		{"several values", "http://h/x", func(r *http.Request) {
			r.Header["X-Multi"] = []string{"a", "b", "c"}
			r.Header["X-Empty"] = []string{}
		}},
		{"own user agent", "http://h/x", func(r *http.Request) { r.Header.Set("User-Agent", " tollgate/1\n ") }},
		{"no user agent", "http://h/x", func(r *http.Request) { r.Header.Set("User-Agent", "") }},
		{"headers net/http writes itself", "http://h/x", func(r *http.Request) {
			r.Header.Set("Host", "other")
			r.Header.Set("Content-Length", "999")
			r.Header.Set("Transfer-Encoding", "chunked")
			r.Header.Set("Trailer", "X")
		}},
		{"query and escaped path", "https://g.example.com/v1beta/models/a%2Fb:streamGenerateContent?alt=sse&k=%20", func(*http.Request) {}},
		{"default port spelled out", "https://api.example.com:443/v1", func(*http.Request) {}},
		{"empty port", "http://api.example.com:/v1", func(*http.Request) {}},
		{"ipv6 zone", "http://[fe80::1%25en0]:8080/v1", func(*http.Request) {}},
		{"invalid host", "http://h/x", func(r *http.Request) { r.Host = "bad host/with space" }},
		{"unicode host", "http://bücher.example/x", func(*http.Request) {}},
		{"many headers", "http://h/x", many},
		{"close", "http://h/x", func(r *http.Request) { r.Close = true }},
		{"client trace", "http://h/x", func(r *http.Request) {
			*r = *r.WithContext(httptrace.WithClientTrace(r.Context(), &httptrace.ClientTrace{}))
		}},
		{"control byte in query", "http://h/x", func(r *http.Request) { r.URL.RawQuery = "a=\x01" }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ours, theirs, oursErr, theirsErr := writeBoth(t, c.url, c.edit)
			if fmt.Sprint(oursErr) != fmt.Sprint(theirsErr) {
				t.Fatalf("error %v, net/http's %v", oursErr, theirsErr)
			}
			if ours != theirs {
				t.Fatalf("wrote\n%q\nnet/http writes\n%q", ours, theirs)
			}
		})
	}
}

func TestNewRequestOfAnotherClientIsNetHTTPs(t *testing.T) {
	t.Setenv("HTTPS_PROXY", "http://proxy.invalid")
	for name, c := range map[string]*http.Client{
		"net/http transport":               {Transport: &http.Transport{}},
		"this transport with redirects on": {Transport: NewTransport()},
		"NewClient's behind a proxy":       NewClient(&http.Transport{}),
	} {
		req, err := NewRequest(context.Background(), c, http.MethodPost, "http://h/x", []byte("{}"))
		if err != nil {
			t.Fatal(err)
		}
		if _, ours := req.Body.(*memBody); ours || req.GetBody == nil || req.ContentLength != 2 {
			t.Fatalf("%s: body %T, GetBody set %v, length %d; want net/http's request", name, req.Body, req.GetBody != nil, req.ContentLength)
		}
	}
}

func TestNewRequestOfAnEmptyBody(t *testing.T) {
	req, err := NewRequest(context.Background(), NewClient(nil), http.MethodPost, "http://h/x", nil)
	if err != nil {
		t.Fatal(err)
	}
	if req.Body != http.NoBody || req.ContentLength != 0 {
		t.Fatalf("body %T length %d, want net/http's NoBody", req.Body, req.ContentLength)
	}
	if _, err := NewRequest(context.Background(), NewClient(nil), http.MethodPost, "http://h/%zz", []byte("x")); err == nil {
		t.Fatal("a malformed URL was accepted")
	}
}
