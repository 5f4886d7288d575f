package telemetry_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/grpc"

	telemetryv1 "github.com/tollgate/tollgate/gen/go/tollgate/telemetry/v1"
	"github.com/tollgate/tollgate/services/kit/serve"
	"github.com/tollgate/tollgate/services/telemetry"
	"github.com/tollgate/tollgate/services/telemetry/spool"
)

// testServer is a telemetry server on a loopback port.
type testServer struct {
	reg    *prometheus.Registry
	spool  *telemetry.Spool
	client telemetryv1.TelemetryServiceClient
	stop   func()
}

func testLogger(t testing.TB) *slog.Logger {
	return slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelWarn}))
}

func startServer(t testing.TB, dir string, opts ...spool.Option) *testServer {
	t.Helper()
	sp, err := telemetry.OpenSpool(dir, opts...)
	if err != nil {
		t.Fatalf("OpenSpool: %v", err)
	}
	log := testLogger(t)
	reg := prometheus.NewRegistry()
	srv := telemetry.NewServer(sp, log, reg)
	gs := serve.NewGRPCServer(serve.NewInterceptors("telemetry", log, reg), serve.NewHealth())
	telemetryv1.RegisterTelemetryServiceServer(gs, srv)
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = gs.Serve(lis) }()
	conn, err := serve.DialInternal(lis.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	stopped := false
	stop := func() {
		if stopped {
			return
		}
		stopped = true
		_ = conn.Close()
		gs.GracefulStop()
		if err := sp.Close(); err != nil {
			t.Errorf("closing spool: %v", err)
		}
	}
	t.Cleanup(stop)
	return &testServer{reg: reg, spool: sp, client: telemetryv1.NewTelemetryServiceClient(conn), stop: stop}
}

func usage(id string) *telemetryv1.UsageEvent {
	return &telemetryv1.UsageEvent{
		DatabricksRequestId: id,
		EndpointName:        "chat",
		StatusCode:          200,
		InputTokenCount:     10,
		OutputTokenCount:    3,
		Requester:           "alice@example.com",
	}
}

func usages(prefix string, n int) []*telemetryv1.UsageEvent {
	out := make([]*telemetryv1.UsageEvent, n)
	for i := range out {
		out[i] = usage(fmt.Sprintf("%s-%d", prefix, i))
	}
	return out
}

// ingest sends batches on one stream and returns the acknowledgement.
func ingest(ctx context.Context, client telemetryv1.TelemetryServiceClient, batches ...[]*telemetryv1.UsageEvent) (int64, error) {
	stream, err := client.Ingest(ctx)
	if err != nil {
		return 0, err
	}
	for _, b := range batches {
		if err := stream.Send(&telemetryv1.IngestRequest{Events: b, Sender: "test"}); err != nil {
			if errors.Is(err, io.EOF) {
				break
			}
			return 0, err
		}
	}
	resp, err := stream.CloseAndRecv()
	if err != nil {
		return 0, err
	}
	return resp.GetAccepted(), nil
}

// storedIDs counts each request id in the spool.
func storedIDs(t testing.TB, sp *telemetry.Spool) map[string]int {
	t.Helper()
	r, err := sp.Reader(spool.Position{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	ids := map[string]int{}
	for {
		e, err := r.Next()
		if errors.Is(err, io.EOF) {
			return ids
		}
		if err != nil {
			t.Fatalf("reading spool: %v", err)
		}
		ids[e.GetDatabricksRequestId()]++
	}
}

// wantStoredOnce checks the spool holds exactly these ids, once each.
func wantStoredOnce(t testing.TB, sp *telemetry.Spool, events []*telemetryv1.UsageEvent) {
	t.Helper()
	ids := storedIDs(t, sp)
	for _, e := range events {
		if n := ids[e.GetDatabricksRequestId()]; n != 1 {
			t.Errorf("%s stored %d times, want once", e.GetDatabricksRequestId(), n)
		}
	}
	if len(ids) != len(events) {
		t.Errorf("spool holds %d distinct ids, want %d", len(ids), len(events))
	}
}

// metric sums the samples of a counter or gauge whose labels include labels.
func metric(t testing.TB, g prometheus.Gatherer, name string, labels map[string]string) float64 {
	t.Helper()
	mfs, err := g.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var sum float64
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
	samples:
		for _, m := range mf.GetMetric() {
			have := map[string]string{}
			for _, lp := range m.GetLabel() {
				have[lp.GetName()] = lp.GetValue()
			}
			for k, v := range labels {
				if have[k] != v {
					continue samples
				}
			}
			sum += m.GetCounter().GetValue() + m.GetGauge().GetValue()
		}
	}
	return sum
}

// lostAckClient drops the acknowledgement of the first lose streams after the
// server has stored them, as a connection dying at the wrong moment would.
type lostAckClient struct {
	telemetryv1.TelemetryServiceClient
	lose     int
	lostSent []int // events in each stream whose ack was dropped
}

func (c *lostAckClient) Ingest(ctx context.Context, opts ...grpc.CallOption) (grpc.ClientStreamingClient[telemetryv1.IngestRequest, telemetryv1.IngestResponse], error) {
	s, err := c.TelemetryServiceClient.Ingest(ctx, opts...)
	if err != nil {
		return nil, err
	}
	return &lostAckStream{ClientStreamingClient: s, client: c}, nil
}

type lostAckStream struct {
	grpc.ClientStreamingClient[telemetryv1.IngestRequest, telemetryv1.IngestResponse]
	client *lostAckClient
	sent   int
}

func (s *lostAckStream) Send(req *telemetryv1.IngestRequest) error {
	s.sent += len(req.GetEvents())
	return s.ClientStreamingClient.Send(req)
}

func (s *lostAckStream) CloseAndRecv() (*telemetryv1.IngestResponse, error) {
	resp, err := s.ClientStreamingClient.CloseAndRecv()
	if err == nil && len(s.client.lostSent) < s.client.lose {
		s.client.lostSent = append(s.client.lostSent, s.sent)
		return nil, errors.New("connection reset before the acknowledgement arrived")
	}
	return resp, err
}

// startServerClientOnly dials a service started elsewhere.
func startServerClientOnly(t testing.TB, addr string) telemetryv1.TelemetryServiceClient {
	t.Helper()
	conn, err := serve.DialInternal(addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	return telemetryv1.NewTelemetryServiceClient(conn)
}
