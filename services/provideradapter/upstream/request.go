package upstream

import (
	"bytes"
	"context"
	"crypto/tls"
	"io"
	"net/http"
	"net/url"
	"strings"
	"unicode/utf8"
)

// NewRequest is http.NewRequestWithContext for a body held in memory, sent
// by client. When client is one of NewClient's on this package's transport,
// the body is a memBody, which the transport writes straight from memory
// and rewinds for a retry without a GetBody closure; any other client gets
// net/http's own request, whose GetBody its transport relies on.
func NewRequest(ctx context.Context, client *http.Client, method, rawURL string, body []byte) (*http.Request, error) {
	if _, ok := direct(client); !ok || len(body) == 0 {
		return http.NewRequestWithContext(ctx, method, rawURL, bytes.NewReader(body))
	}
	req, err := http.NewRequestWithContext(ctx, method, rawURL, nil)
	if err != nil {
		return nil, err
	}
	req.Body, req.ContentLength = &memBody{data: body}, int64(len(body))
	return req, nil
}

// Do sends req as client.Do does. A client of NewClient never follows a
// redirect, keeps no cookies and has no client-wide timeout, so for it Do
// calls the transport itself, skipping what http.Client does per request
// for those (a header copy kept for redirects, a slice of the requests so
// far); its errors are worded as client.Do words them.
func Do(client *http.Client, req *http.Request) (*http.Response, error) {
	if t, ok := direct(client); ok && sentDirectly(req) {
		return t.do(req, callDeadline{})
	}
	return client.Do(req)
}

// sentDirectly reports whether http.Client would hand req to its transport
// as it is; the requests it adjusts or rejects go through it, for its own
// handling and words.
func sentDirectly(req *http.Request) bool {
	return req.URL != nil && req.URL.User == nil && req.RequestURI == "" && req.Header != nil
}

// do sends req within dl as http.Client.Do would with this transport.
func (t *Transport) do(req *http.Request, dl callDeadline) (*http.Response, error) {
	resp, err := t.send(req, dl)
	if err != nil {
		if tlsErr, isTLS := err.(tls.RecordHeaderError); isTLS && string(tlsErr.RecordHeader[:]) == "HTTP/" {
			err = http.ErrSchemeMismatch // as http.Client says it
		}
		return nil, &url.Error{Op: urlErrorOp(req.Method), URL: req.URL.String(), Err: err}
	}
	if resp.Body == nil {
		resp.Body = http.NoBody
	}
	return resp, nil
}

// direct returns client's transport when Do may call it directly: client
// is as NewClient made it.
func direct(client *http.Client) (*Transport, bool) {
	t, ok := client.Transport.(*Transport)
	if !ok || !t.noRedirects || client.Jar != nil || client.Timeout != 0 || client.CheckRedirect == nil {
		return nil, false
	}
	return t, true
}

// urlErrorOp is the Op of http.Client's url.Error for method: "Post" for POST.
func urlErrorOp(method string) string {
	if method == "" {
		return "Get"
	}
	for i := 0; i < len(method); i++ {
		if method[i] >= utf8.RuneSelf {
			return method // http.Client lowers ASCII only
		}
	}
	return method[:1] + strings.ToLower(method[1:])
}

// memBody is a request body held in memory.
type memBody struct {
	data []byte
	off  int
}

func (b *memBody) Read(p []byte) (int, error) {
	if b.off >= len(b.data) {
		return 0, io.EOF
	}
	n := copy(p, b.data[b.off:])
	b.off += n
	return n, nil
}

// WriteTo lets io.Copy write the body without a buffer of its own.
func (b *memBody) WriteTo(w io.Writer) (int64, error) {
	n, err := w.Write(b.data[b.off:])
	b.off += n
	return int64(n), err
}

func (b *memBody) Close() error { return nil }

// unread reports whether nothing of the body was read yet.
func (b *memBody) unread() bool { return b.off == 0 }

// rewind makes the body readable from its start again.
func (b *memBody) rewind() { b.off = 0 }
