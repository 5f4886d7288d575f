package serve

import (
	"google.golang.org/grpc/encoding"
	grpcproto "google.golang.org/grpc/encoding/proto"
	"google.golang.org/grpc/mem"
	"google.golang.org/protobuf/proto"
)

// The mesh's messages carry generated MarshalVT/UnmarshalVT/SizeVT
// (vtprotobuf, see buf.gen.yaml), which encode the same wire format as
// protobuf-go without its reflection-driven encoder: profiles had that
// encoder at about a tenth of the CPU on each side of a mesh hop.
//
// The codec replaces grpc-go's "proto" codec for the whole process rather
// than being forced per server and client: that keeps the content-type
// header ("application/grpc") and grpc-go's codec selection exactly as they
// were, and every server from NewGRPCServer and client from DialInternal /
// ClientOptions (any importer of this package) uses it. The in-process
// connection (package inproc) hands messages over without a codec.
func init() {
	// Importing grpc-go's proto codec package registers it, so it is there;
	// were it not, grpc-go's own choice would stand.
	if reflectionCodec := encoding.GetCodecV2(grpcproto.Name); reflectionCodec != nil {
		encoding.RegisterCodecV2(meshCodec{reflection: reflectionCodec})
	}
}

// vtMessage is a generated message with vtprotobuf's fast methods.
type vtMessage interface {
	proto.Message
	SizeVT() int
	MarshalToSizedBufferVT(dAtA []byte) (int, error)
	UnmarshalVT(dAtA []byte) error
}

// meshCodec encodes messages that have vtprotobuf methods with them and
// everything else (health checks, reflection, OTLP export) with grpc-go's
// own codec. Where the two encoders part — a string that is not UTF-8
// (protobuf-go refuses it), input the generated decoder does not accept, a
// float holding -0 (the generated encoder drops it) — the message is handed
// to protobuf-go, so such a call goes exactly as before: same bytes, same
// error.
type meshCodec struct {
	reflection encoding.CodecV2
}

var _ encoding.CodecV2 = meshCodec{}

// Name is grpc-go's name for the protobuf codec: registering under it
// replaces the default one.
func (meshCodec) Name() string { return grpcproto.Name }

// Marshal encodes v; buffers from the pool are used above grpc-go's pooling
// threshold, as its own codec does.
func (c meshCodec) Marshal(v any) (mem.BufferSlice, error) {
	m, ok := v.(vtMessage)
	if !ok {
		return c.reflection.Marshal(v)
	}
	plan := planOf(m)
	if plan.zeros.holdsNegativeZero(m.ProtoReflect()) {
		return c.reflection.Marshal(v)
	}
	size := m.SizeVT()
	if mem.IsBelowBufferPoolingThreshold(size) {
		buf := make([]byte, size)
		if marshalVT(m, plan, buf) {
			return mem.BufferSlice{mem.SliceBuffer(buf)}, nil
		}
		return c.reflection.Marshal(v)
	}
	pool := mem.DefaultBufferPool()
	buf := pool.Get(size)
	if marshalVT(m, plan, *buf) {
		return mem.BufferSlice{mem.NewBuffer(buf, pool)}, nil
	}
	pool.Put(buf)
	return c.reflection.Marshal(v)
}

// marshalVT encodes m into buf (exactly SizeVT bytes long) and reports
// whether buf now holds what protobuf-go would send; when it does not, the
// caller lets protobuf-go encode the message (and report its error).
func marshalVT(m vtMessage, plan *typePlan, buf []byte) bool {
	n, err := m.MarshalToSizedBufferVT(buf)
	if err != nil || n != len(buf) {
		// An error from a foreign field's encoder, or a message that
		// changed size while being sent: protobuf-go decides.
		return false
	}
	return plan.strings.valid(buf, 0)
}

// Unmarshal decodes data into v. The generated decoder copies every string,
// byte slice and unknown field out of data, so the buffer is released here
// as grpc-go's codec does.
func (c meshCodec) Unmarshal(data mem.BufferSlice, v any) error {
	m, ok := v.(vtMessage)
	if !ok {
		return c.reflection.Unmarshal(data, v)
	}
	buf := data.MaterializeToBuffer(mem.DefaultBufferPool())
	defer buf.Free()
	b := buf.ReadOnlyData()
	if planOf(m).strings.valid(b, 0) {
		// protobuf-go's Unmarshal replaces the message; UnmarshalVT merges.
		proto.Reset(m)
		if m.UnmarshalVT(b) == nil {
			return nil
		}
	}
	// Input the fast path declines gets protobuf-go's verdict and error.
	return c.reflection.Unmarshal(data, v)
}
