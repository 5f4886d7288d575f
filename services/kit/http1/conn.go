package http1

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"runtime/debug"
	"sync/atomic"
	"time"
)

// Connection states, for Shutdown: an idle connection is closed at once, an
// active one finishes its request first.
const (
	stateIdle int32 = iota
	stateActive
	stateClosed
)

// maxDiscardBytes is how much of a request body the handler left unread the
// server reads away to keep the connection; with more left it closes.
const maxDiscardBytes = 256 << 10

// longAgo is a deadline in the past: setting it unblocks a pending read.
var longAgo = time.Unix(1, 0)

// conn is one client connection, served on one goroutine.
type conn struct {
	srv        *Server
	rwc        net.Conn
	cr         connReader
	br         *bufio.Reader
	bw         *bufio.Writer
	remoteAddr string
	state      atomic.Int32
	watch      watcher
	// tmpl is the request being read; the handler gets a copy.
	tmpl http.Request
	// parse is scratch space reused by every request's header parse.
	parse headerScratch
	// head holds a response's status line and headers until its framing
	// (Content-Length or chunked) is decided.
	head []byte
	// unreadInput says the client may still be sending when the
	// connection closes (a body left unread, a refused request).
	unreadInput bool
	// hold keeps a small answer without Content-Length until the handler
	// returns, so it can get one.
	hold []byte
}

func newConn(s *Server, rwc net.Conn) *conn {
	c := &conn{srv: s, rwc: rwc, remoteAddr: rwc.RemoteAddr().String()}
	c.cr.conn = rwc
	c.br = bufio.NewReaderSize(&c.cr, 8<<10)
	c.bw = bufio.NewWriterSize(rwc, 8<<10)
	c.watch.c = c
	return c
}

// serve reads and answers requests until the connection ends.
func (c *conn) serve() {
	defer c.srv.trackConn(c, false)
	defer c.close()
	defer func() {
		if p := recover(); p != nil {
			c.srv.log().Error("http1: panic serving connection", "remote", c.remoteAddr,
				"panic", fmt.Sprint(p), "stack", string(debug.Stack()))
		}
	}()
	for first := true; ; first = false {
		if !c.awaitRequest(first) {
			return
		}
		req, body, err := c.readRequest()
		if err != nil {
			c.refuse(err)
			return
		}
		if !c.serveRequest(req, body) || c.srv.inShutdown.Load() {
			return
		}
	}
}

// awaitRequest waits for the first byte of the next request (idle), then
// marks the connection active; false means the connection is done.
func (c *conn) awaitRequest(first bool) bool {
	if c.br.Buffered() == 0 {
		wait := c.srv.idleTimeout()
		if first {
			wait = c.srv.readHeaderTimeout()
		}
		_ = c.rwc.SetReadDeadline(time.Now().Add(wait))
		if _, err := c.br.Peek(1); err != nil {
			return false
		}
	}
	if !c.state.CompareAndSwap(stateIdle, stateActive) {
		return false // Shutdown closed it while it was idle
	}
	_ = c.rwc.SetReadDeadline(time.Now().Add(c.srv.readHeaderTimeout()))
	return true
}

// serveRequest runs the handler on req and finishes its response; it
// reports whether the connection may carry another request.
func (c *conn) serveRequest(req *http.Request, body *requestBody) (keepAlive bool) {
	_ = c.rwc.SetReadDeadline(time.Time{})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	req = req.WithContext(ctx)
	w := &response{c: c, req: req, body: body, contentLength: -1, closeAfter: req.Close}
	if body != nil {
		body.w = w
	}
	c.watch.arm(cancel, body == nil || body.done.Load())

	completed := false
	defer func() {
		if completed {
			return
		}
		// A handler panic: net/http's rule is to log it and drop the
		// connection, which tells the client the answer is incomplete.
		p := recover()
		c.watch.stop()
		if p != nil && p != http.ErrAbortHandler {
			c.srv.log().Error("http1: panic serving request", "method", req.Method, "path", req.URL.Path,
				"panic", fmt.Sprint(p), "stack", string(debug.Stack()))
		}
		keepAlive = false
	}()
	c.srv.Handler.ServeHTTP(w, req)
	completed = true

	clientGone := c.watch.stop()
	w.finish()
	if clientGone || w.err != nil || w.closeAfter {
		return false
	}
	if body != nil && !body.drain() {
		c.unreadInput = true
		return false
	}
	c.state.Store(stateIdle)
	return true
}

// refuse answers a request the server could not read (when it was readable
// enough to answer) and lets the connection close.
func (c *conn) refuse(err error) {
	var status int
	var pe *parseError
	switch {
	case errors.As(err, &pe):
		status = pe.status
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF), isTimeout(err):
		return // the client stopped talking: no one to answer
	default:
		var ne net.Error
		if errors.As(err, &ne) || errors.Is(err, net.ErrClosed) {
			return
		}
		status = http.StatusBadRequest
	}
	c.unreadInput = true
	msg := http.StatusText(status)
	if pe != nil && pe.msg != "" {
		msg += ": " + pe.msg
	}
	_ = c.rwc.SetWriteDeadline(time.Now().Add(time.Second))
	_, _ = fmt.Fprintf(c.bw, "HTTP/1.1 %d %s\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\nContent-Length: %d\r\n\r\n%s",
		status, http.StatusText(status), len(msg), msg)
	_ = c.bw.Flush()
}

// lingerLimit bounds how long and how much a closing connection reads
// away of what the client still sends.
const (
	lingerTime  = 500 * time.Millisecond
	lingerBytes = 64 << 20
)

// close closes the connection. If the client may still be sending (a 413
// for a body the server did not read), closing at once would make the
// kernel reset the connection and the client could lose the answer it has
// not read yet: the server first ends its side and reads away what
// arrives, for a short while.
func (c *conn) close() {
	if tcp, ok := c.rwc.(interface{ CloseWrite() error }); ok && c.unreadInput && c.state.Load() != stateClosed {
		if tcp.CloseWrite() == nil {
			_ = c.rwc.SetReadDeadline(time.Now().Add(lingerTime))
			_, _ = io.CopyN(io.Discard, c.rwc, lingerBytes)
		}
	}
	_ = c.rwc.Close()
}

// abort closes the connection at once and cancels its request (Close).
func (c *conn) abort() {
	c.state.Store(stateClosed)
	_ = c.rwc.Close()
	c.watch.cancelRequest()
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// connReader is the connection as the request reader sees it: a byte the
// watcher read while waiting for the client comes first.
type connReader struct {
	conn    net.Conn
	hasByte bool
	byteBuf [1]byte
}

func (r *connReader) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	if r.hasByte {
		r.hasByte = false
		p[0] = r.byteBuf[0]
		return 1, nil
	}
	return r.conn.Read(p)
}
