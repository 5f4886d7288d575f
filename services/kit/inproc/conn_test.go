package inproc

import (
	"context"
	"errors"
	"io"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	telemetryv1 "github.com/tollgate/tollgate/gen/go/tollgate/telemetry/v1"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
)

func TestUnaryCallsTheImplementation(t *testing.T) {
	hs := health.NewServer()
	hs.SetServingStatus("svc", healthpb.HealthCheckResponse_NOT_SERVING)
	client := healthpb.NewHealthClient(New(&healthpb.Health_ServiceDesc, hs))
	resp, err := client.Check(context.Background(), &healthpb.HealthCheckRequest{Service: "svc"})
	if err != nil {
		t.Fatal(err)
	}
	if resp.GetStatus() != healthpb.HealthCheckResponse_NOT_SERVING {
		t.Fatalf("status %v", resp.GetStatus())
	}
	_, err = client.Check(context.Background(), &healthpb.HealthCheckRequest{Service: "missing"})
	if status.Code(err) != codes.NotFound {
		t.Fatalf("want NotFound from the implementation, got %v", err)
	}
}

func TestServerStreamDeliversInOrderAndStopsOnCancel(t *testing.T) {
	hs := health.NewServer()
	hs.SetServingStatus("svc", healthpb.HealthCheckResponse_SERVING)
	client := healthpb.NewHealthClient(New(&healthpb.Health_ServiceDesc, hs))
	ctx, cancel := context.WithCancel(context.Background())
	stream, err := client.Watch(ctx, &healthpb.HealthCheckRequest{Service: "svc"})
	if err != nil {
		t.Fatal(err)
	}
	first, err := stream.Recv()
	if err != nil || first.GetStatus() != healthpb.HealthCheckResponse_SERVING {
		t.Fatalf("first: %v %v", first, err)
	}
	hs.SetServingStatus("svc", healthpb.HealthCheckResponse_NOT_SERVING)
	second, err := stream.Recv()
	if err != nil || second.GetStatus() != healthpb.HealthCheckResponse_NOT_SERVING {
		t.Fatalf("second: %v %v", second, err)
	}
	cancel()
	if _, err := stream.Recv(); status.Code(err) != codes.Canceled {
		t.Fatalf("after cancel: want Canceled, got %v", err)
	}
}

// ingestServer is a client-streaming implementation that counts events and
// checks the caller's metadata arrived as incoming metadata.
type ingestServer struct {
	telemetryv1.UnimplementedTelemetryServiceServer
	failWith error
}

func (s *ingestServer) Ingest(stream grpc.ClientStreamingServer[telemetryv1.IngestRequest, telemetryv1.IngestResponse]) error {
	md, _ := metadata.FromIncomingContext(stream.Context())
	if got := md.Get("x-sender"); len(got) != 1 || got[0] != "r1" {
		return status.Errorf(codes.InvalidArgument, "metadata not propagated: %v", md)
	}
	if s.failWith != nil {
		return s.failWith
	}
	_ = stream.SendHeader(metadata.Pairs("x-seen", "yes"))
	var n int64
	for {
		req, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			return stream.SendAndClose(&telemetryv1.IngestResponse{Accepted: n})
		}
		if err != nil {
			return err
		}
		n += int64(len(req.GetEvents()))
	}
}

func TestClientStreamAndMetadata(t *testing.T) {
	client := telemetryv1.NewTelemetryServiceClient(New(&telemetryv1.TelemetryService_ServiceDesc, &ingestServer{}))
	ctx := metadata.AppendToOutgoingContext(context.Background(), "x-sender", "r1")
	stream, err := client.Ingest(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3; i++ {
		ev := &telemetryv1.UsageEvent{DatabricksRequestId: "id"}
		if err := stream.Send(&telemetryv1.IngestRequest{Events: []*telemetryv1.UsageEvent{ev, ev}}); err != nil {
			t.Fatal(err)
		}
	}
	resp, err := stream.CloseAndRecv()
	if err != nil {
		t.Fatal(err)
	}
	if resp.GetAccepted() != 6 {
		t.Fatalf("accepted %d, want 6", resp.GetAccepted())
	}
	hdr, err := stream.Header()
	if err != nil || hdr.Get("x-seen")[0] != "yes" {
		t.Fatalf("header %v %v", hdr, err)
	}
}

func TestHandlerErrorReachesClient(t *testing.T) {
	srv := &ingestServer{failWith: status.Error(codes.ResourceExhausted, "full")}
	client := telemetryv1.NewTelemetryServiceClient(New(&telemetryv1.TelemetryService_ServiceDesc, srv))
	ctx := metadata.AppendToOutgoingContext(context.Background(), "x-sender", "r1")
	stream, err := client.Ingest(ctx)
	if err != nil {
		t.Fatal(err)
	}
	_, err = stream.CloseAndRecv()
	if status.Code(err) != codes.ResourceExhausted {
		t.Fatalf("want ResourceExhausted, got %v", err)
	}
}

func TestInterceptorsRun(t *testing.T) {
	var unary, streams int
	u := func(ctx context.Context, req any, info *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
		unary++
		return h(ctx, req)
	}
	s := func(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, h grpc.StreamHandler) error {
		streams++
		return h(srv, ss)
	}
	hs := health.NewServer()
	client := healthpb.NewHealthClient(New(&healthpb.Health_ServiceDesc, hs, WithInterceptors(u, s)))
	if _, err := client.Check(context.Background(), &healthpb.HealthCheckRequest{}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	st, err := client.Watch(ctx, &healthpb.HealthCheckRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.Recv(); err != nil {
		t.Fatal(err)
	}
	if unary != 1 || streams != 1 {
		t.Fatalf("interceptors ran unary=%d stream=%d", unary, streams)
	}
}

func TestUnknownMethod(t *testing.T) {
	c := New(&healthpb.Health_ServiceDesc, health.NewServer())
	err := c.Invoke(context.Background(), "/nope/Nope", &healthpb.HealthCheckRequest{}, &healthpb.HealthCheckResponse{})
	if status.Code(err) != codes.Unimplemented {
		t.Fatalf("got %v", err)
	}
}

func BenchmarkUnary(b *testing.B) {
	client := healthpb.NewHealthClient(New(&healthpb.Health_ServiceDesc, health.NewServer()))
	ctx := context.Background()
	req := &healthpb.HealthCheckRequest{}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := client.Check(ctx, req); err != nil {
			b.Fatal(err)
		}
	}
}

// mdRecordingHealth records the incoming metadata its Check sees.
type mdRecordingHealth struct {
	healthpb.UnimplementedHealthServer
	seen metadata.MD
}

func (h *mdRecordingHealth) Check(ctx context.Context, _ *healthpb.HealthCheckRequest) (*healthpb.HealthCheckResponse, error) {
	h.seen, _ = metadata.FromIncomingContext(ctx)
	return &healthpb.HealthCheckResponse{}, nil
}

// A handler sees exactly its caller's outgoing metadata: never the incoming
// metadata of the handler that made the call (its credentials included).
func TestNestedCallSeesOnlyOutgoingMetadata(t *testing.T) {
	h := &mdRecordingHealth{}
	client := healthpb.NewHealthClient(New(&healthpb.Health_ServiceDesc, h))
	insideHandler := metadata.NewIncomingContext(context.Background(), metadata.Pairs("authorization", "Bearer outer-secret"))

	if _, err := client.Check(insideHandler, &healthpb.HealthCheckRequest{}); err != nil {
		t.Fatal(err)
	}
	if len(h.seen) != 0 {
		t.Fatalf("nested call without outgoing metadata saw %v", h.seen)
	}
	if _, err := client.Check(metadata.AppendToOutgoingContext(insideHandler, "x-a", "1"), &healthpb.HealthCheckRequest{}); err != nil {
		t.Fatal(err)
	}
	if h.seen.Get("x-a")[0] != "1" || len(h.seen.Get("authorization")) != 0 {
		t.Fatalf("nested call with outgoing metadata saw %v", h.seen)
	}
	if _, err := client.Check(context.Background(), &healthpb.HealthCheckRequest{}); err != nil {
		t.Fatal(err)
	}
	if len(h.seen) != 0 {
		t.Fatalf("plain call saw %v", h.seen)
	}
}
