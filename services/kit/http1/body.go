package http1

import (
	"io"
	"net/http"
	"net/http/httputil"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// requestBody reads a request's body from the connection: Content-Length
// bytes or a chunked stream (its trailers are read and dropped).
type requestBody struct {
	c         *conn
	w         *response
	chunked   io.Reader // nil for a Content-Length body
	remaining int64     // Content-Length bytes not yet read
	// expectContinue says the client waits for "100 Continue" before it
	// sends the body; it goes out on the first Read.
	expectContinue bool
	continueSent   bool
	closed         bool
	done           atomic.Bool // read to its end
	err            error
}

// prepareBody sets req.Body, ContentLength and TransferEncoding from the
// headers; a request without a body gets http.NoBody and a nil body.
func (c *conn) prepareBody(req *http.Request) (*requestBody, error) {
	te, cl := req.Header["Transfer-Encoding"], req.Header["Content-Length"]
	var body *requestBody
	switch {
	case len(te) > 0:
		if len(cl) > 0 {
			return nil, badRequest("both Transfer-Encoding and Content-Length")
		}
		if req.ProtoMinor == 0 {
			return nil, badRequest("Transfer-Encoding in an HTTP/1.0 request")
		}
		if len(te) != 1 || !strings.EqualFold(strings.TrimSpace(te[0]), "chunked") {
			return nil, &parseError{status: http.StatusNotImplemented, msg: "unsupported transfer encoding"}
		}
		delete(req.Header, "Transfer-Encoding")
		req.TransferEncoding = []string{"chunked"}
		req.ContentLength = -1
		body = &requestBody{c: c, chunked: httputil.NewChunkedReader(c.br)}
	case len(cl) > 0:
		n, err := parseContentLength(cl)
		if err != nil {
			return nil, err
		}
		req.ContentLength = n
		if n > 0 {
			body = &requestBody{c: c, remaining: n}
		}
	}
	if exp := req.Header["Expect"]; len(exp) > 0 {
		if len(exp) != 1 || !strings.EqualFold(strings.TrimSpace(exp[0]), "100-continue") {
			return nil, &parseError{status: http.StatusExpectationFailed, msg: "unsupported expectation"}
		}
		if body != nil && req.ProtoMinor > 0 {
			body.expectContinue = true
		}
	}
	if body == nil {
		req.Body = http.NoBody
		return nil, nil
	}
	req.Body = body
	return body, nil
}

// parseContentLength accepts one length, or repeats of the same one.
func parseContentLength(values []string) (int64, error) {
	first := strings.TrimSpace(values[0])
	for _, v := range values[1:] {
		if strings.TrimSpace(v) != first {
			return 0, badRequest("conflicting Content-Length values")
		}
	}
	if first == "" || first[0] == '+' || first[0] == '-' {
		return 0, badRequest("invalid Content-Length")
	}
	n, err := strconv.ParseInt(first, 10, 64)
	if err != nil {
		return 0, badRequest("invalid Content-Length")
	}
	return n, nil
}

func (b *requestBody) Read(p []byte) (int, error) {
	if b.closed {
		return 0, http.ErrBodyReadAfterClose
	}
	return b.read(p)
}

func (b *requestBody) read(p []byte) (int, error) {
	if b.err != nil {
		return 0, b.err
	}
	if b.expectContinue && !b.continueSent {
		b.continueSent = true
		if b.w != nil && !b.w.committed {
			_, _ = b.c.bw.WriteString("HTTP/1.1 100 Continue\r\n\r\n")
			if err := b.c.bw.Flush(); err != nil {
				b.err = err
				return 0, err
			}
		}
	}
	var n int
	var err error
	if b.chunked != nil {
		n, err = b.chunked.Read(p)
		if err == io.EOF {
			err = b.c.skipTrailers()
			if err == nil {
				err = io.EOF
			}
		}
	} else {
		if b.remaining == 0 {
			return 0, b.end(io.EOF)
		}
		if int64(len(p)) > b.remaining {
			p = p[:b.remaining]
		}
		n, err = b.c.br.Read(p)
		b.remaining -= int64(n)
		switch {
		case b.remaining == 0:
			err = io.EOF
		case err == io.EOF:
			err = io.ErrUnexpectedEOF
		}
	}
	if err != nil {
		err = b.end(err)
	}
	return n, err
}

// end records the body's last error; io.EOF frees the connection's reader
// for the watcher.
func (b *requestBody) end(err error) error {
	b.err = err
	if err == io.EOF {
		b.done.Store(true)
		b.c.watch.bodyRead.Store(true)
	}
	return err
}

// Close marks the body closed; what is left is read away (or the connection
// closed) after the handler returns.
func (b *requestBody) Close() error {
	b.closed = true
	return nil
}

// drain reads what the handler left of the body so the connection can carry
// the next request; false means the connection must close instead.
func (b *requestBody) drain() bool {
	if b.done.Load() {
		return true
	}
	if b.err != nil || (b.expectContinue && !b.continueSent) {
		// A client still waiting for 100 Continue may or may not send
		// the body now: the connection's framing is lost.
		return false
	}
	if b.chunked == nil && b.remaining > maxDiscardBytes {
		return false
	}
	_ = b.c.rwc.SetReadDeadline(time.Now().Add(b.c.srv.readHeaderTimeout()))
	n, err := io.CopyN(io.Discard, readerFunc(b.read), maxDiscardBytes+1)
	return err == io.EOF && n <= maxDiscardBytes
}

// skipTrailers reads a chunked body's trailer lines up to the empty line.
func (c *conn) skipTrailers() error {
	budget := c.srv.maxHeaderBytes()
	for {
		line, err := c.readLine(&budget)
		if err != nil {
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return err
		}
		if len(line) == 0 {
			return nil
		}
	}
}

type readerFunc func([]byte) (int, error)

func (f readerFunc) Read(p []byte) (int, error) { return f(p) }
