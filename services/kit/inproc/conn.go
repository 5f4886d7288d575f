// Package inproc connects a gRPC client to a server implementation in the
// same process: the generated client calls the generated handler directly, so
// the all-in-one binary wires services through exactly the interfaces the
// split mesh uses over the network, without sockets or serialization.
//
// Messages are handed over shallowly (top-level fields are shared, not deep
// copied): senders must not modify a message after sending it, which is how
// Tollgate's services already treat them.
package inproc

import (
	"context"
	"io"
	"reflect"
	"sync"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
)

// Conn is a grpc.ClientConnInterface bound to one service implementation.
type Conn struct {
	impl      any
	unary     map[string]grpc.MethodDesc
	streams   map[string]grpc.StreamDesc
	unaryInt  grpc.UnaryServerInterceptor
	streamInt grpc.StreamServerInterceptor
}

var _ grpc.ClientConnInterface = (*Conn)(nil)

// Option configures a Conn.
type Option func(*Conn)

// WithInterceptors runs the same interceptors the network server runs.
func WithInterceptors(u grpc.UnaryServerInterceptor, s grpc.StreamServerInterceptor) Option {
	return func(c *Conn) { c.unaryInt, c.streamInt = u, s }
}

// New binds desc's methods to impl.
func New(desc *grpc.ServiceDesc, impl any, opts ...Option) *Conn {
	c := &Conn{impl: impl, unary: map[string]grpc.MethodDesc{}, streams: map[string]grpc.StreamDesc{}}
	for _, m := range desc.Methods {
		c.unary["/"+desc.ServiceName+"/"+m.MethodName] = m
	}
	for _, s := range desc.Streams {
		c.streams["/"+desc.ServiceName+"/"+s.StreamName] = s
	}
	for _, o := range opts {
		o(c)
	}
	return c
}

// Invoke calls a unary method.
func (c *Conn) Invoke(ctx context.Context, method string, args, reply any, _ ...grpc.CallOption) error {
	m, ok := c.unary[method]
	if !ok {
		return status.Errorf(codes.Unimplemented, "inproc: unknown method %s", method)
	}
	if err := ctx.Err(); err != nil {
		return status.FromContextError(err).Err()
	}
	dec := func(v any) error { return shallowCopy(v, args) }
	resp, err := m.Handler(c.impl, serverContext(ctx), dec, c.unaryInt)
	if err != nil {
		return err
	}
	return shallowCopy(reply, resp)
}

// NewStream starts a streaming method; its handler runs on its own goroutine.
func (c *Conn) NewStream(ctx context.Context, desc *grpc.StreamDesc, method string, _ ...grpc.CallOption) (grpc.ClientStream, error) {
	sd, ok := c.streams[method]
	if !ok {
		return nil, status.Errorf(codes.Unimplemented, "inproc: unknown stream %s", method)
	}
	if sd.ServerStreams && !sd.ClientStreams {
		return c.newPullStream(ctx, sd, method), nil
	}
	sctx, cancel := context.WithCancel(serverContext(ctx))
	cs := &clientStream{
		ctx:         ctx,
		toServer:    make(chan any, 1),
		toClient:    make(chan any),
		done:        make(chan struct{}),
		headerReady: make(chan struct{}),
	}
	ss := &serverStream{ctx: sctx, cs: cs}
	// sctx derives from the caller's ctx, so the client going away cancels
	// the handler, as a real transport would.
	go func() {
		defer cancel()
		var err error
		if c.streamInt != nil {
			info := &grpc.StreamServerInfo{FullMethod: method, IsClientStream: sd.ClientStreams, IsServerStream: sd.ServerStreams}
			err = c.streamInt(c.impl, ss, info, sd.Handler)
		} else {
			err = sd.Handler(c.impl, ss)
		}
		cs.finish(err)
	}()
	return cs, nil
}

// serverContext turns the caller's outgoing metadata into the handler's
// incoming metadata, as the wire would.
func serverContext(ctx context.Context) context.Context {
	md, ok := metadata.FromOutgoingContext(ctx)
	if !ok {
		if _, inherited := metadata.FromIncomingContext(ctx); !inherited {
			return ctx // nothing to hand over and nothing to hide
		}
	}
	// Replace, never inherit: a handler called from inside another handler
	// must not see its caller's incoming metadata (credentials included).
	return metadata.NewIncomingContext(ctx, md)
}

type clientStream struct {
	ctx         context.Context
	toServer    chan any
	toClient    chan any
	done        chan struct{}
	err         error
	closeOnce   sync.Once
	headerOnce  sync.Once
	headerReady chan struct{}
	mu          sync.Mutex
	header      metadata.MD
	trailer     metadata.MD
}

func (cs *clientStream) finish(err error) {
	cs.err = err
	cs.markHeader()
	close(cs.done)
}

func (cs *clientStream) markHeader() { cs.headerOnce.Do(func() { close(cs.headerReady) }) }

func (cs *clientStream) Header() (metadata.MD, error) {
	select {
	case <-cs.headerReady:
	case <-cs.ctx.Done():
		return nil, status.FromContextError(cs.ctx.Err()).Err()
	}
	cs.mu.Lock()
	defer cs.mu.Unlock()
	return cs.header.Copy(), nil
}

func (cs *clientStream) Trailer() metadata.MD {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	return cs.trailer.Copy()
}

func (cs *clientStream) CloseSend() error {
	cs.closeOnce.Do(func() { close(cs.toServer) })
	return nil
}

func (cs *clientStream) Context() context.Context { return cs.ctx }

func (cs *clientStream) SendMsg(m any) error {
	select {
	case cs.toServer <- m:
		return nil
	case <-cs.done:
		return io.EOF // as grpc-go: the real error comes from RecvMsg
	case <-cs.ctx.Done():
		return status.FromContextError(cs.ctx.Err()).Err()
	}
}

func (cs *clientStream) RecvMsg(m any) error {
	select {
	case v := <-cs.toClient:
		return shallowCopy(m, v)
	case <-cs.done:
		if cs.err != nil {
			return cs.err
		}
		return io.EOF
	case <-cs.ctx.Done():
		return status.FromContextError(cs.ctx.Err()).Err()
	}
}

type serverStream struct {
	ctx context.Context
	cs  *clientStream
}

func (ss *serverStream) SetHeader(md metadata.MD) error {
	ss.cs.mu.Lock()
	ss.cs.header = metadata.Join(ss.cs.header, md)
	ss.cs.mu.Unlock()
	return nil
}

func (ss *serverStream) SendHeader(md metadata.MD) error {
	_ = ss.SetHeader(md)
	ss.cs.markHeader()
	return nil
}

func (ss *serverStream) SetTrailer(md metadata.MD) {
	ss.cs.mu.Lock()
	ss.cs.trailer = metadata.Join(ss.cs.trailer, md)
	ss.cs.mu.Unlock()
}

func (ss *serverStream) Context() context.Context { return ss.ctx }

func (ss *serverStream) SendMsg(m any) error {
	ss.cs.markHeader()
	select {
	case ss.cs.toClient <- m:
		return nil
	case <-ss.ctx.Done():
		return status.FromContextError(ss.ctx.Err()).Err()
	}
}

func (ss *serverStream) RecvMsg(m any) error {
	select {
	case v, ok := <-ss.cs.toServer:
		if !ok {
			return io.EOF
		}
		return shallowCopy(m, v)
	case <-ss.ctx.Done():
		return status.FromContextError(ss.ctx.Err()).Err()
	}
}

// shallowCopy makes dst hold src's field values, sharing nested messages,
// lists and bytes instead of deep-copying them. dst and src are the same
// generated message type, so one struct assignment does it: generated
// messages hold only their fields plus protoimpl bookkeeping (the message
// info pointer, size cache, unknown fields) that is valid to share.
func shallowCopy(dst, src any) error {
	d, ok1 := dst.(proto.Message)
	s, ok2 := src.(proto.Message)
	if !ok1 || !ok2 {
		return status.Errorf(codes.Internal, "inproc: %T or %T is not a proto message", dst, src)
	}
	dv, sv := reflect.ValueOf(d), reflect.ValueOf(s)
	if dv.Type() != sv.Type() || dv.Kind() != reflect.Pointer || dv.IsNil() || sv.IsNil() {
		return status.Errorf(codes.Internal, "inproc: cannot copy %T into %T", src, dst)
	}
	dv.Elem().Set(sv.Elem())
	return nil
}
