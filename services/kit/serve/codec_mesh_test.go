package serve

import (
	"context"
	"io"
	"log/slog"
	"net"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/mem"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	inferencev1 "github.com/tollgate/tollgate/gen/go/tollgate/inference/v1"
	provideradapterv1 "github.com/tollgate/tollgate/gen/go/tollgate/provideradapter/v1"
)

// echoAdapter answers a chat with the request's body as the raw response
// and the last message's text as the answer.
type echoAdapter struct {
	provideradapterv1.UnimplementedProviderAdapterServiceServer
	calls atomic.Int32
}

func (e *echoAdapter) Chat(_ context.Context, req *provideradapterv1.ChatRequest) (*provideradapterv1.ChatResponse, error) {
	e.calls.Add(1)
	msgs := req.GetRequest().GetMessages()
	last := msgs[len(msgs)-1].GetContent()[0]
	return &provideradapterv1.ChatResponse{Provider: "echo", Response: &inferencev1.ChatResponse{
		Model: req.GetRequest().GetModel(), Raw: req.GetRequest().GetSource().GetOriginalBody(),
		Choices: []*inferencev1.Choice{{Message: &inferencev1.Message{Role: inferencev1.Role_ROLE_ASSISTANT, Content: []*inferencev1.ContentPart{last}}}},
	}}, nil
}

// meshHop serves impl on a server from NewGRPCServer and dials it with
// DialInternal, as two services of the split mesh do.
func meshHop(t *testing.T, impl provideradapterv1.ProviderAdapterServiceServer) *grpc.ClientConn {
	t.Helper()
	s := NewGRPCServer(NewInterceptors("test", slog.New(slog.NewTextHandler(io.Discard, nil)), prometheus.NewRegistry()), NewHealth())
	provideradapterv1.RegisterProviderAdapterServiceServer(s, impl)
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = s.Serve(lis) }()
	t.Cleanup(s.Stop)
	conn, err := DialInternal(lis.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	return conn
}

func TestMeshHopCarriesRequestsAndAnswers(t *testing.T) {
	conn := meshHop(t, &echoAdapter{})
	body := []byte(`{"model":"chat","messages":[{"role":"tool","content":"{\"temp_c\":21}"}]}`)
	req := testChatRequest(body)
	got, err := provideradapterv1.NewProviderAdapterServiceClient(conn).Chat(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := (&echoAdapter{}).Chat(context.Background(), req)
	if !proto.Equal(got, want) {
		t.Fatalf("answer %v, want %v", got, want)
	}
}

// A request holding a string that is not UTF-8 fails on the sending side
// with grpc-go's wording around protobuf-go's error, and never reaches the
// server; bytes a peer sends with such a string are refused by the server
// alike.
func TestMeshHopRefusesInvalidUTF8AsBefore(t *testing.T) {
	_, reflection := codecs(t)
	adapter := &echoAdapter{}
	conn := meshHop(t, adapter)
	req := testChatRequest(nil)
	req.Request.Messages[0].Content[0] = text("bad \xff")
	_, protoErr := reflection.Marshal(req)
	if protoErr == nil {
		t.Fatal("protobuf-go accepted invalid UTF-8")
	}

	_, err := provideradapterv1.NewProviderAdapterServiceClient(conn).Chat(context.Background(), req)
	if st := status.Convert(err); st.Code() != codes.Internal || st.Message() != "grpc: error while marshaling: "+protoErr.Error() {
		t.Fatalf("client error %v, want Internal %q", err, "grpc: error while marshaling: "+protoErr.Error())
	}

	// A peer whose encoder does not check: the server refuses the bytes.
	good := testChatRequest(nil)
	good.Request.Messages[0].Content[0] = text("bad \x01")
	wire, err := proto.Marshal(good)
	if err != nil {
		t.Fatal(err)
	}
	wire = []byte(strings.Replace(string(wire), "bad \x01", "bad \xff", 1))
	err = conn.Invoke(context.Background(), provideradapterv1.ProviderAdapterService_Chat_FullMethodName, wire, new([]byte), grpc.ForceCodecV2(rawCodec{}))
	wantErr := reflection.Unmarshal(mem.BufferSlice{mem.SliceBuffer(wire)}, &provideradapterv1.ChatRequest{})
	if st := status.Convert(err); st.Code() != codes.Internal || wantErr == nil || !strings.HasSuffix(st.Message(), wantErr.Error()) {
		t.Fatalf("server error %v, want Internal ending in %v", err, wantErr)
	}
	if n := adapter.calls.Load(); n != 0 {
		t.Fatalf("the adapter was called %d times", n)
	}
}

// rawCodec sends bytes as they are, under the proto content-subtype.
type rawCodec struct{}

func (rawCodec) Name() string { return "proto" }

func (rawCodec) Marshal(v any) (mem.BufferSlice, error) {
	return mem.BufferSlice{mem.SliceBuffer(v.([]byte))}, nil
}

func (rawCodec) Unmarshal(data mem.BufferSlice, v any) error {
	*v.(*[]byte) = data.Materialize()
	return nil
}
