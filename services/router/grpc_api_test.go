package router

import (
	"context"
	"net"
	"strings"
	"testing"
	"time"

	"google.golang.org/genproto/googleapis/api/httpbody"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"

	routerv1 "github.com/tollgate/tollgate/gen/go/tollgate/router/v1"
)

// A gRPC caller of the router's inference API (another internal service)
// sends its credentials and request id as metadata, not through the facade.
func TestGRPCCallerReadsMetadata(t *testing.T) {
	usage := &recordingSink{}
	_, svc := newTestService(t, testConfig, &stubAdapter{}, "", usage)
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	gs := grpc.NewServer()
	routerv1.RegisterRouterServiceServer(gs, svc)
	go func() { _ = gs.Serve(lis) }()
	t.Cleanup(gs.Stop)
	conn, err := grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()), grpc.WithUserAgent("internal-batch/1.0"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	client := routerv1.NewRouterServiceClient(conn)

	call := func(md metadata.MD) (status string, body string) {
		t.Helper()
		ctx, cancel := context.WithTimeout(metadata.NewOutgoingContext(context.Background(), md), 5*time.Second)
		defer cancel()
		var header metadata.MD
		st, err := client.CreateChatCompletion(ctx, &routerv1.CreateChatCompletionRequest{
			Body: &httpbody.HttpBody{ContentType: "application/json", Data: []byte(chat("chat", ""))},
		}, grpc.Header(&header))
		if err != nil {
			t.Fatal(err)
		}
		var sb strings.Builder
		for {
			m, err := st.Recv()
			if err != nil {
				break
			}
			sb.Write(m.GetBody().GetData())
		}
		if v := header.Get(mdHTTPStatus); len(v) > 0 {
			status = v[0]
		}
		return status, sb.String()
	}

	if status, body := call(metadata.Pairs("authorization", "Bearer "+aliceToken, mdRequestID, "grpc-req-1")); status != "" || !strings.Contains(body, `"choices"`) {
		t.Fatalf("authorized gRPC call: status %q body %s", status, body)
	}
	deadline := time.Now().Add(5 * time.Second)
	for usage.last() == nil || usage.last().GetDatabricksRequestId() != "grpc-req-1" {
		if time.Now().After(deadline) {
			t.Fatalf("no usage event with the metadata's request id; last %v", usage.last())
		}
		time.Sleep(time.Millisecond)
	}
	if ua := usage.last().GetUserAgent(); !strings.HasPrefix(ua, "internal-batch/1.0") {
		t.Errorf("user agent %q, want the metadata's", ua)
	}
	if status, body := call(metadata.Pairs("authorization", "Bearer not-a-token")); status != "401" {
		t.Fatalf("bad token over gRPC: status %q body %s", status, body)
	}
}
