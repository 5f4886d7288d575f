// Package upstream is the HTTP/1.1 transport the provider adapter calls
// providers with. net/http's Transport hands every request to two
// goroutines per connection (a write loop and a read loop) and back; on the
// gateway's hot path those hand-offs cost more CPU than the call itself.
// This transport writes the request and reads the response on the caller's
// goroutine, reading responses as net/http does (response_reader.go: the
// usual ones parsed from the read buffer, anything else by net/http's own
// parser) and writing requests byte for byte as net/http does
// (request_writer.go), and keeps connections alive in
// a per-host pool. The adapter calls it through NewRequest and Do or
// DoBefore (request.go, deadline.go), which skip http.Client's per-request
// work and bound a unary call by a connection deadline instead of a timer.
//
// It does not do HTTP/2 or proxies: providers all speak HTTP/1.1, and
// NewClient falls back to net/http when a proxy is configured.
package upstream

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"sync"
	"syscall"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"

	"github.com/tollgate/tollgate/services/kit/tracing"
)

// Transport is an http.RoundTripper doing I/O on the calling goroutine.
type Transport struct {
	Dialer          *net.Dialer
	TLSConfig       *tls.Config
	MaxIdlePerHost  int
	IdleTimeout     time.Duration
	ReadBufferSize  int
	WriteBufferSize int

	// noRedirects marks the transport of a NewClient client: Do may call
	// it directly, as the client follows no redirects.
	noRedirects bool

	mu   sync.Mutex
	idle map[poolKey][]*conn
}

// poolKey names the connections that can carry a request: its URL's scheme
// and host as written (a host spelled with and without its default port
// gets two pools, which costs nothing but a connection; building one
// canonical key per request would cost allocations).
type poolKey struct{ scheme, host string }

// NewTransport returns a transport with the gateway's defaults.
func NewTransport() *Transport {
	return &Transport{
		Dialer:          &net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second},
		MaxIdlePerHost:  256,
		IdleTimeout:     90 * time.Second,
		ReadBufferSize:  32 << 10,
		WriteBufferSize: 16 << 10,
	}
}

// NewClient is the client providers use: this transport, or net/http's when
// the environment configures a proxy. Redirects are never followed: a
// provider API does not redirect, and following one would replay the
// request and its key somewhere unexpected.
func NewClient(fallback http.RoundTripper) *http.Client {
	t := NewTransport()
	t.noRedirects = true
	var rt http.RoundTripper = t
	for _, v := range []string{"HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy"} {
		if os.Getenv(v) != "" {
			rt = fallback
		}
	}
	return &http.Client{
		Transport:     rt,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

type conn struct {
	net.Conn
	key    poolKey
	br     *bufio.Reader
	bw     *bufio.Writer
	idleAt time.Time
	// abort unblocks the connection's pending I/O; made once per
	// connection rather than once per request.
	abort func()
}

// longAgo is a deadline in the past: setting it unblocks pending I/O at once.
var longAgo = time.Unix(1, 0)

// RoundTrip sends req and returns the response; its body must be closed
// (fully read first, for the connection to be reused).
func (t *Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	return t.send(req, callDeadline{})
}

// send is RoundTrip within dl.
func (t *Transport) send(req *http.Request, dl callDeadline) (*http.Response, error) {
	if req.URL.Scheme != "http" && req.URL.Scheme != "https" {
		closeBody(req)
		return nil, errors.New("upstream: unsupported URL scheme " + req.URL.Scheme)
	}
	key := poolKey{scheme: req.URL.Scheme, host: req.URL.Host}
	if tracing.Enabled() {
		return t.tracedRoundTrip(req, key, dl)
	}
	return t.roundTrip(req, key, dl)
}

// tracedRoundTrip records the upstream call as a span (until the response
// headers arrive) and passes the trace on in a traceparent header.
func (t *Transport) tracedRoundTrip(req *http.Request, key poolKey, dl callDeadline) (*http.Response, error) {
	ctx, span := tracing.Start(req.Context(), "tollgate/provider-adapter", "upstream.request",
		attribute.String("http.request.method", req.Method), attribute.String("server.address", req.URL.Host))
	defer span.End()
	req = req.Clone(ctx) // a RoundTripper must not modify the caller's request
	otel.GetTextMapPropagator().Inject(ctx, propagation.HeaderCarrier(req.Header))
	resp, err := t.roundTrip(req, key, dl)
	if err != nil {
		span.SetStatus(codes.Error, err.Error())
		return nil, err
	}
	span.SetAttributes(attribute.Int("http.response.status_code", resp.StatusCode))
	if resp.StatusCode >= 500 {
		span.SetStatus(codes.Error, resp.Status)
	}
	return resp, nil
}

func (t *Transport) roundTrip(req *http.Request, key poolKey, dl callDeadline) (*http.Response, error) {
	for attempt := 0; ; attempt++ {
		c, reused := t.get(key)
		if c == nil {
			var err error
			if c, err = t.dial(req.Context(), key, dl.at); err != nil {
				closeBody(req)
				return nil, dl.explain(err)
			}
		}
		resp, err := t.exchange(req, c, dl)
		if err == nil {
			return resp, nil
		}
		// A kept-alive connection the server closed while idle fails before
		// the server read anything: the request is safe to send once more.
		// Its pool mates are likely just as dead (a restarted upstream closes
		// them all), so they go too and the retry dials afresh.
		if reused && attempt == 0 && staleConn(err) && req.Context().Err() == nil && !dl.passed() && rewind(req) {
			t.dropIdle(key)
			continue
		}
		closeBody(req)
		if ctxErr := req.Context().Err(); ctxErr != nil {
			return nil, ctxErr
		}
		if dl.passed() {
			return nil, dl.exceeded(context.DeadlineExceeded) // as a context with the deadline would say
		}
		return nil, err
	}
}

func (t *Transport) exchange(req *http.Request, c *conn, dl callDeadline) (*http.Response, error) {
	// Blocking reads and writes end at the deadline (none clears the last
	// request's), and when the request's context ends: the deadline is
	// set first, so that an abort is never overwritten.
	_ = c.SetDeadline(dl.at)
	stop := context.AfterFunc(req.Context(), c.abort)
	if err := writeRequest(c.bw, req); err != nil {
		stop()
		c.Close()
		return nil, err
	}
	if err := c.bw.Flush(); err != nil {
		stop()
		c.Close()
		return nil, err
	}
	resp, err := readResponse(c.br, req)
	if err != nil {
		stop()
		c.Close()
		return nil, err
	}
	resp.Body = &body{ReadCloser: resp.Body, c: c, t: t, stop: stop, dl: dl, reuse: !resp.Close && !req.Close,
		atEOF: resp.Body == http.NoBody}
	return resp, nil
}

// body returns its connection to the pool once read to the end and closed.
type body struct {
	io.ReadCloser
	c      *conn
	t      *Transport
	stop   func() bool
	dl     callDeadline
	reuse  bool
	atEOF  bool
	closed bool
}

func (b *body) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if err == io.EOF {
		b.atEOF = true
	} else if err != nil {
		err = b.dl.explain(err)
	}
	return n, err
}

func (b *body) Close() error {
	if b.closed {
		return nil
	}
	b.closed = true
	err := b.ReadCloser.Close()
	// stop reports false when the context already fired and poisoned the deadline.
	if b.stop() && b.atEOF && b.reuse && b.c.br.Buffered() == 0 {
		b.t.put(b.c)
	} else {
		b.c.Close()
	}
	return err
}

func (t *Transport) dial(ctx context.Context, key poolKey, deadline time.Time) (*conn, error) {
	addr := dialAddr(key)
	dialer := t.Dialer
	if !deadline.IsZero() && (dialer.Deadline.IsZero() || deadline.Before(dialer.Deadline)) {
		d := *dialer
		d.Deadline = deadline
		dialer = &d
	}
	var nc net.Conn
	var err error
	if key.scheme == "https" {
		cfg := t.TLSConfig.Clone()
		if cfg == nil {
			cfg = &tls.Config{}
		}
		if cfg.ServerName == "" {
			cfg.ServerName, _, _ = net.SplitHostPort(addr)
		}
		cfg.NextProtos = []string{"http/1.1"}
		nc, err = (&tls.Dialer{NetDialer: dialer, Config: cfg}).DialContext(ctx, "tcp", addr)
	} else {
		nc, err = dialer.DialContext(ctx, "tcp", addr)
	}
	if err != nil {
		return nil, err
	}
	c := &conn{Conn: nc, key: key,
		br: bufio.NewReaderSize(nc, t.ReadBufferSize), bw: bufio.NewWriterSize(nc, t.WriteBufferSize)}
	c.abort = func() { _ = c.SetDeadline(longAgo) }
	return c, nil
}

// get takes the most recently used idle connection (it is the least likely
// to have been closed by the server).
func (t *Transport) get(key poolKey) (*conn, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	list := t.idle[key]
	for len(list) > 0 {
		c := list[len(list)-1]
		list = list[:len(list)-1]
		t.idle[key] = list
		if time.Since(c.idleAt) < t.IdleTimeout {
			return c, true // exchange sets its deadline
		}
		c.Close()
	}
	return nil, false
}

func (t *Transport) put(c *conn) {
	c.idleAt = time.Now()
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.idle == nil {
		t.idle = map[poolKey][]*conn{}
	}
	list := t.idle[c.key]
	// Drop connections idle too long (oldest first) while we are here.
	for len(list) > 0 && time.Since(list[0].idleAt) >= t.IdleTimeout {
		list[0].Close()
		list = list[1:]
	}
	if len(list) >= t.MaxIdlePerHost {
		c.Close()
		t.idle[c.key] = list
		return
	}
	t.idle[c.key] = append(list, c)
}

// dropIdle closes the pooled connections to one host.
func (t *Transport) dropIdle(key poolKey) {
	t.mu.Lock()
	list := t.idle[key]
	delete(t.idle, key)
	t.mu.Unlock()
	for _, c := range list {
		c.Close()
	}
}

// CloseIdleConnections closes every pooled connection.
func (t *Transport) CloseIdleConnections() {
	t.mu.Lock()
	defer t.mu.Unlock()
	for k, list := range t.idle {
		for _, c := range list {
			c.Close()
		}
		delete(t.idle, k)
	}
}

func staleConn(err error) bool {
	return errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE)
}

// rewind makes the request body readable again for a retry.
func rewind(req *http.Request) bool {
	if req.Body == nil || req.Body == http.NoBody {
		return true
	}
	if b, ok := req.Body.(*memBody); ok {
		b.rewind()
		return true
	}
	if req.GetBody == nil {
		return false
	}
	b, err := req.GetBody()
	if err != nil {
		return false
	}
	req.Body = b
	return true
}

func closeBody(req *http.Request) {
	if req.Body != nil {
		_ = req.Body.Close()
	}
}

// dialAddr is the address to dial for key: its host, with the scheme's
// default port when the URL names none.
func dialAddr(key poolKey) string {
	u := url.URL{Scheme: key.scheme, Host: key.host}
	port := u.Port()
	if port == "" {
		port = "80"
		if u.Scheme == "https" {
			port = "443"
		}
	}
	return net.JoinHostPort(u.Hostname(), port)
}
