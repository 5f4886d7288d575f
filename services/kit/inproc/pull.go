package inproc

import (
	"context"
	"io"
	"sync"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
)

// pullStream serves a server-streaming call (one request, many responses)
// by running the handler as a coroutine (iter.Pull): each RecvMsg switches
// straight into the handler until its next Send, with no channel hand-off
// and no scheduler wake-up. That is most of the gateway's traffic (every
// chat completion), so it is worth the second implementation. Handlers must
// send from their own goroutine, which every Tollgate handler (and grpc-go's
// rule against concurrent SendMsg) already ensures. The coroutines are
// pooled (see coroutine.go).
type pullStream struct {
	ctx    context.Context
	conn   *Conn
	sd     grpc.StreamDesc
	method string
	req    any

	mu          sync.Mutex // serialises next and stop (the caller and context cancellation)
	started     bool
	co          *coroutine // nil once the call is over and co is back in the pool
	abandoned   bool       // the client went away: sends fail, the handler runs to its end
	stopWatch   func() bool
	cancel      context.CancelFunc
	pending     any
	hasPending  bool
	done        bool
	err         error
	header      metadata.MD
	trailer     metadata.MD
	headerReady bool

	// The handler's side and what the interceptor is told, allocated
	// with the stream.
	server pullServerStream
	info   grpc.StreamServerInfo
}

func (c *Conn) newPullStream(ctx context.Context, sd grpc.StreamDesc, method string) *pullStream {
	return &pullStream{ctx: ctx, conn: c, sd: sd, method: method}
}

func (p *pullStream) start() {
	p.started = true
	sctx, cancel := context.WithCancel(serverContext(p.ctx))
	p.cancel = cancel
	p.server = pullServerStream{ctx: sctx, p: p}
	p.co = getCoroutine()
	p.co.call = p
	// A client that goes away without reading to the end must not leave the
	// handler suspended forever: its sends fail from then on and it is run
	// to its end here.
	p.stopWatch = context.AfterFunc(p.ctx, func() {
		p.mu.Lock()
		defer p.mu.Unlock()
		if p.done {
			return
		}
		p.abandoned = true
		p.cancel()
		for p.co != nil {
			p.resume()
		}
		p.finish()
	})
}

// run runs the handler on the coroutine, yield handing its messages out.
func (p *pullStream) run(yield func(any) bool) {
	ss := &p.server
	ss.yield = yield
	if p.conn.streamInt != nil {
		p.info = grpc.StreamServerInfo{FullMethod: p.method, IsServerStream: true}
		p.err = p.conn.streamInt(p.conn.impl, ss, &p.info, p.sd.Handler)
	} else {
		p.err = p.sd.Handler(p.conn.impl, ss)
	}
	ss.yield = nil // the coroutine moves on to other calls
}

// advance runs the handler to its next message or its end. Callers hold mu.
func (p *pullStream) advance() {
	if !p.started {
		p.start()
	}
	if p.hasPending || p.done {
		return
	}
	if v, ok := p.resume(); ok {
		p.pending, p.hasPending = v, true
		return
	}
	p.finish()
}

// resume runs the handler until it sends (a message, true) or returns
// (false; the coroutine goes back to the pool). Callers hold mu.
func (p *pullStream) resume() (any, bool) {
	v, ok := p.co.next()
	if ok {
		if _, end := v.(callEnded); !end {
			return v, true
		}
		putCoroutine(p.co)
	}
	// !ok: the coroutine died (a handler panic with no interceptor to
	// recover it); it is not reused.
	p.co = nil
	return nil, false
}

func (p *pullStream) finish() {
	p.done, p.headerReady = true, true
	p.cancel()
	if p.stopWatch != nil {
		p.stopWatch()
	}
}

func (p *pullStream) Header() (metadata.MD, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.headerReady {
		p.advance()
	}
	if p.done && p.ctx.Err() != nil && !p.hasPending {
		return nil, status.FromContextError(p.ctx.Err()).Err()
	}
	return p.header.Copy(), nil
}

func (p *pullStream) Trailer() metadata.MD {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.trailer.Copy()
}

func (p *pullStream) CloseSend() error         { return nil }
func (p *pullStream) Context() context.Context { return p.ctx }

func (p *pullStream) SendMsg(m any) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.req != nil || p.started {
		return status.Error(codes.Internal, "inproc: a server-streaming call takes exactly one request")
	}
	p.req = m
	return nil
}

func (p *pullStream) RecvMsg(m any) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.advance()
	if p.hasPending {
		v := p.pending
		p.pending, p.hasPending = nil, false
		return shallowCopy(m, v)
	}
	if p.err != nil {
		return p.err
	}
	if err := p.ctx.Err(); err != nil {
		return status.FromContextError(err).Err()
	}
	return io.EOF
}

type pullServerStream struct {
	ctx   context.Context
	p     *pullStream
	yield func(any) bool
	read  bool
}

func (s *pullServerStream) SetHeader(md metadata.MD) error {
	s.p.header = metadata.Join(s.p.header, md)
	return nil
}

func (s *pullServerStream) SendHeader(md metadata.MD) error {
	_ = s.SetHeader(md)
	s.p.headerReady = true
	return nil
}

func (s *pullServerStream) SetTrailer(md metadata.MD) { s.p.trailer = metadata.Join(s.p.trailer, md) }

func (s *pullServerStream) Context() context.Context { return s.ctx }

func (s *pullServerStream) SendMsg(m any) error {
	if err := s.ctx.Err(); err != nil {
		return status.FromContextError(err).Err()
	}
	if s.yield == nil {
		return status.Error(codes.Internal, "inproc: send after the handler returned")
	}
	s.p.headerReady = true
	if !s.yield(m) || s.p.abandoned {
		return status.Error(codes.Canceled, "inproc: the client stopped reading")
	}
	return nil
}

func (s *pullServerStream) RecvMsg(m any) error {
	if s.read || s.p.req == nil {
		return io.EOF
	}
	s.read = true
	return shallowCopy(m, s.p.req)
}
