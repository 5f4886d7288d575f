package http1

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// Watcher states.
const (
	watchOff     = iota
	watchArmed   // the timer runs
	watchReading // a read on the connection waits for the client
	watchEnded   // the read returned (a byte, the client gone, or stopped)
)

// watcher notices a client that goes away while its request runs, so the
// request's context is cancelled (and with it the upstream call). It costs
// a quick request nothing but resetting a timer: only a request still
// running after WatchAfter, whose body has been read, gets a read on its
// connection, which returns when the client closes it (or sends the next
// request early). net/http starts such a read for every request.
type watcher struct {
	c     *conn
	mu    sync.Mutex
	timer *time.Timer
	state int
	// bodyRead says the handler is done with the connection's reader, so
	// a watching read cannot steal its bytes.
	bodyRead atomic.Bool
	cancel   context.CancelFunc
	ended    chan struct{}
	gone     bool
}

// arm starts watching the request whose context cancel ends.
func (w *watcher) arm(cancel context.CancelFunc, bodyRead bool) {
	w.bodyRead.Store(bodyRead)
	w.mu.Lock()
	w.cancel, w.gone, w.state = cancel, false, watchArmed
	if w.timer == nil {
		w.timer = time.AfterFunc(w.c.srv.watchAfter(), w.fire)
	} else {
		w.timer.Reset(w.c.srv.watchAfter())
	}
	w.mu.Unlock()
}

// fire runs on the timer's goroutine: it reads the connection until the
// client closes it, sends a byte, or stop interrupts the read.
func (w *watcher) fire() {
	w.mu.Lock()
	if w.state != watchArmed {
		w.mu.Unlock()
		return
	}
	if !w.bodyRead.Load() || w.c.br.Buffered() > 0 {
		// The handler still reads the body (it sees a client that leaves
		// itself), or the next request is already here: look again later.
		w.timer.Reset(w.c.srv.watchAfter())
		w.mu.Unlock()
		return
	}
	w.state = watchReading
	ended := make(chan struct{})
	w.ended = ended
	w.mu.Unlock()

	n, err := w.c.rwc.Read(w.c.cr.byteBuf[:])

	w.mu.Lock()
	switch {
	case n == 1:
		w.c.cr.hasByte = true // the start of the next request
	case err != nil && !isTimeout(err):
		w.gone = true
		w.cancel()
	}
	w.state = watchEnded
	close(ended)
	w.mu.Unlock()
}

// stop ends the watch when the handler returns; it reports whether the
// client went away meanwhile.
func (w *watcher) stop() (clientGone bool) {
	w.mu.Lock()
	switch w.state {
	case watchArmed:
		w.timer.Stop()
	case watchReading:
		ended := w.ended
		w.mu.Unlock()
		_ = w.c.rwc.SetReadDeadline(longAgo)
		<-ended
		_ = w.c.rwc.SetReadDeadline(time.Time{})
		w.mu.Lock()
	}
	w.state = watchOff
	gone := w.gone
	w.cancel = nil
	w.mu.Unlock()
	return gone
}

// cancelRequest cancels the running request, if any (the server closes).
func (w *watcher) cancelRequest() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.cancel != nil {
		w.cancel()
	}
}
