// Package http1 is the HTTP/1.1 server of the gateway's front door.
//
// net/http's server starts a background read on every request's connection
// (to notice a client that goes away) and hands the connection between that
// goroutine and the handler's: at the gateway's request rates those
// hand-offs, the extra read system calls and the per-request bookkeeping
// cost as much CPU as the gateway's own work. This server reads the request,
// runs the handler and writes the response on the connection's goroutine.
// It notices a client that goes away by watching the connection only once a
// request has run for WatchAfter (a model call that is worth cancelling runs
// far longer than that; a quick answer is never watched), and by failed
// writes on streams.
//
// It serves any http.Handler and keeps net/http's rules where a client or
// handler can tell: keep-alive and Connection: close, HTTP/1.0, chunked
// request bodies, Expect: 100-continue, Content-Length computed for small
// answers that set none, chunked answers otherwise, HEAD, Date,
// Content-Type sniffing, header size limit (431), timeouts for idle
// connections and slow headers, graceful Shutdown. It refuses what a front
// door must refuse: both Content-Length and Transfer-Encoding (request
// smuggling), conflicting lengths, obsolete line folding, control bytes in
// the target, unknown transfer codings, HTTP versions other than 1.x. It
// does not do TLS, HTTP/2 or Hijack; the facade needs none.
package http1

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// Defaults for the zero values of Server's fields.
const (
	DefaultReadHeaderTimeout = 30 * time.Second
	DefaultIdleTimeout       = 120 * time.Second
	DefaultMaxHeaderBytes    = 1 << 20
	DefaultWatchAfter        = 100 * time.Millisecond
)

// Server serves HTTP/1.1 requests with Handler. Set its fields before Serve.
type Server struct {
	Handler http.Handler
	// ReadHeaderTimeout bounds reading a request's line and headers.
	ReadHeaderTimeout time.Duration
	// IdleTimeout bounds the wait for the next request on a kept-alive connection.
	IdleTimeout time.Duration
	// MaxHeaderBytes bounds a request's line plus headers; more gets 431.
	MaxHeaderBytes int
	// WatchAfter is how long a request runs before the server watches its
	// connection for the client going away (and then cancels the request's
	// context).
	WatchAfter time.Duration
	// Log receives handler panics and accept errors; nil means slog.Default().
	Log *slog.Logger

	inShutdown atomic.Bool
	mu         sync.Mutex
	listeners  map[net.Listener]struct{}
	conns      map[*conn]struct{}
}

// Serve accepts connections on lis and serves each on its own goroutine.
// It returns http.ErrServerClosed after Shutdown or Close.
func (s *Server) Serve(lis net.Listener) error {
	if !s.trackListener(lis, true) {
		return http.ErrServerClosed
	}
	defer s.trackListener(lis, false)
	var backoff time.Duration
	for {
		rw, err := lis.Accept()
		if err != nil {
			if s.inShutdown.Load() {
				return http.ErrServerClosed
			}
			if errors.Is(err, net.ErrClosed) {
				return err
			}
			// Out of descriptors and the like: wait and try again, as
			// net/http does, rather than stop serving.
			backoff = min(max(2*backoff, 5*time.Millisecond), time.Second)
			s.log().Warn("http1: accept failed; retrying", "err", err, "in", backoff)
			time.Sleep(backoff)
			continue
		}
		backoff = 0
		c := newConn(s, rw)
		if !s.trackConn(c, true) {
			_ = rw.Close()
			return http.ErrServerClosed
		}
		go c.serve()
	}
}

// Shutdown stops accepting, closes idle connections and waits for the
// active ones to finish their request (their answer says Connection:
// close), or for ctx to end.
func (s *Server) Shutdown(ctx context.Context) error {
	s.inShutdown.Store(true)
	s.closeListeners()
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for {
		if s.closeIdle() == 0 {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-tick.C:
		}
	}
}

// Close stops accepting and closes every connection at once, cancelling the
// requests in flight.
func (s *Server) Close() error {
	s.inShutdown.Store(true)
	s.closeListeners()
	s.mu.Lock()
	defer s.mu.Unlock()
	for c := range s.conns {
		c.abort()
	}
	return nil
}

func (s *Server) trackListener(lis net.Listener, add bool) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if add {
		if s.inShutdown.Load() {
			return false
		}
		if s.listeners == nil {
			s.listeners = map[net.Listener]struct{}{}
		}
		s.listeners[lis] = struct{}{}
		return true
	}
	delete(s.listeners, lis)
	return true
}

func (s *Server) trackConn(c *conn, add bool) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if add {
		if s.inShutdown.Load() {
			return false
		}
		if s.conns == nil {
			s.conns = map[*conn]struct{}{}
		}
		s.conns[c] = struct{}{}
		return true
	}
	delete(s.conns, c)
	return true
}

func (s *Server) closeListeners() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for lis := range s.listeners {
		_ = lis.Close()
	}
}

// closeIdle closes the connections waiting for a request and returns how
// many connections remain.
func (s *Server) closeIdle() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	for c := range s.conns {
		if c.state.CompareAndSwap(stateIdle, stateClosed) {
			_ = c.rwc.Close()
		}
	}
	return len(s.conns)
}

func (s *Server) log() *slog.Logger {
	if s.Log != nil {
		return s.Log
	}
	return slog.Default()
}

func (s *Server) readHeaderTimeout() time.Duration {
	return orDefault(s.ReadHeaderTimeout, DefaultReadHeaderTimeout)
}

func (s *Server) idleTimeout() time.Duration { return orDefault(s.IdleTimeout, DefaultIdleTimeout) }

func (s *Server) watchAfter() time.Duration { return orDefault(s.WatchAfter, DefaultWatchAfter) }

func (s *Server) maxHeaderBytes() int {
	if s.MaxHeaderBytes > 0 {
		return s.MaxHeaderBytes
	}
	return DefaultMaxHeaderBytes
}

func orDefault(d, def time.Duration) time.Duration {
	if d > 0 {
		return d
	}
	return def
}
