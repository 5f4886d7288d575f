package telemetry_test

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	telemetryv1 "github.com/tollgate/tollgate/gen/go/tollgate/telemetry/v1"
	"github.com/tollgate/tollgate/services/kit/inproc"
	"github.com/tollgate/tollgate/services/telemetry"
	"github.com/tollgate/tollgate/services/telemetry/sink"
	"github.com/tollgate/tollgate/services/telemetry/spool"
)

// waitFor polls cond; the deadline only guards against a hang.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestSinkStoresEachEventOnceWhenAnAckIsLost(t *testing.T) {
	ts := startServer(t, t.TempDir())
	flaky := &lostAckClient{TelemetryServiceClient: ts.client, lose: 1}
	sinkReg := prometheus.NewRegistry()
	s := sink.New(flaky, "router-a", testLogger(t), sinkReg, sink.Options{MaxBatch: 25, FlushInterval: 10 * time.Millisecond})
	runDone := make(chan error, 1)
	go func() { runDone <- s.Run(context.Background()) }()

	events := usages("lost-ack", 100)
	for _, e := range events {
		s.Emit(e)
	}
	waitFor(t, "every event acknowledged", func() bool {
		return metric(t, sinkReg, "tollgate_telemetry_sink_sent_events_total", nil) == float64(len(events))
	})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := s.Close(ctx); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := <-runDone; err != nil {
		t.Fatalf("Run: %v", err)
	}

	if len(flaky.lostSent) != 1 {
		t.Fatalf("%d acks dropped, want 1", len(flaky.lostSent))
	}
	wantStoredOnce(t, ts.spool, events)
	if got, want := metric(t, ts.reg, "tollgate_telemetry_duplicate_events_total", nil), float64(flaky.lostSent[0]); got != want {
		t.Errorf("duplicates = %v, want the %v events of the resent batch", got, want)
	}
	if got := metric(t, ts.reg, "tollgate_telemetry_events_ingested_total", map[string]string{"endpoint": "chat", "status_class": "2xx"}); got != 100 {
		t.Errorf("ingested = %v, want 100", got)
	}
	if got := metric(t, ts.reg, "tollgate_telemetry_tokens_total", map[string]string{"direction": "input"}); got != 1000 {
		t.Errorf("input tokens = %v, want 1000", got)
	}
	if got := metric(t, sinkReg, "tollgate_telemetry_sink_send_failures_total", nil); got != 1 {
		t.Errorf("send failures = %v, want 1", got)
	}
	if got := metric(t, sinkReg, "tollgate_telemetry_dropped_events_total", nil); got != 0 {
		t.Errorf("dropped = %v, want 0", got)
	}
}

func TestSinkCloseDeliversWhatIsQueued(t *testing.T) {
	ts := startServer(t, t.TempDir())
	s := sink.New(ts.client, "router-b", testLogger(t), nil, sink.Options{FlushInterval: time.Hour})
	events := usages("close", 2500)
	for _, e := range events {
		s.Emit(e)
	}
	// Run is never started: Close alone must deliver everything.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := s.Close(ctx); err != nil {
		t.Fatalf("Close: %v", err)
	}
	wantStoredOnce(t, ts.spool, events)
}

func TestRestartedServerRecognisesStoredIDs(t *testing.T) {
	dir := t.TempDir()
	small := spool.WithSegmentBytes(2 << 10) // several segments, so the rebuild walks back across them
	ctx := context.Background()

	first := startServer(t, dir, small)
	old := usages("old", 60)
	if n, err := ingest(ctx, first.client, old[:30], old[30:]); err != nil || n != 60 {
		t.Fatalf("first ingest: accepted %d, err %v", n, err)
	}
	first.stop()

	second := startServer(t, dir, small)
	fresh := usages("new", 10)
	if n, err := ingest(ctx, second.client, append(append([]*telemetryv1.UsageEvent{}, old...), fresh...)); err != nil || n != 70 {
		t.Fatalf("ingest after restart: accepted %d, err %v (repeats count as accepted)", n, err)
	}
	if got := metric(t, second.reg, "tollgate_telemetry_duplicate_events_total", nil); got != 60 {
		t.Errorf("duplicates after restart = %v, want 60", got)
	}
	if got := metric(t, second.reg, "tollgate_telemetry_events_ingested_total", nil); got != 10 {
		t.Errorf("ingested after restart = %v, want 10", got)
	}
	wantStoredOnce(t, second.spool, append(old, fresh...))
}

func TestConcurrentStreamsWithTheSameIDsStoreOnce(t *testing.T) {
	ts := startServer(t, t.TempDir())
	events := usages("same", 50)
	const streams = 8
	var wg sync.WaitGroup
	for range streams {
		wg.Go(func() {
			if n, err := ingest(context.Background(), ts.client, events); err != nil || n != 50 {
				t.Errorf("accepted %d, err %v", n, err)
			}
		})
	}
	wg.Wait()
	wantStoredOnce(t, ts.spool, events)
	if got := metric(t, ts.reg, "tollgate_telemetry_duplicate_events_total", nil); got != 50*(streams-1) {
		t.Errorf("duplicates = %v, want %d", got, 50*(streams-1))
	}
}

func TestIngestCountsEveryBatchOfAStream(t *testing.T) {
	ts := startServer(t, t.TempDir())
	noID := usage("")
	a, b := usages("a", 3), usages("b", 2)
	n, err := ingest(context.Background(), ts.client, a, append(b, a[0], noID))
	if err != nil {
		t.Fatal(err)
	}
	if n != 6 {
		t.Fatalf("accepted %d, want 6 (5 stored, 1 repeat; the event without an id is not stored)", n)
	}
	wantStoredOnce(t, ts.spool, append(a, b...))
	if got := metric(t, ts.reg, "tollgate_telemetry_ingest_batches_total", nil); got != 2 {
		t.Errorf("batches = %v, want 2", got)
	}
	if got := metric(t, ts.reg, "tollgate_telemetry_rejected_events_total", map[string]string{"reason": "missing_request_id"}); got != 1 {
		t.Errorf("rejected = %v, want 1", got)
	}
	if got := metric(t, ts.reg, "tollgate_telemetry_spool_bytes", nil); got != float64(ts.spool.Bytes()) || got == 0 {
		t.Errorf("spool_bytes = %v, spool has %d", got, ts.spool.Bytes())
	}
}

func TestInProcessSinkMendsInvalidUTF8(t *testing.T) {
	sp, err := telemetry.OpenSpool(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer sp.Close()
	srv := telemetry.NewServer(sp, testLogger(t), nil)
	client := telemetryv1.NewTelemetryServiceClient(inproc.New(&telemetryv1.TelemetryService_ServiceDesc, srv))

	// In process nothing is marshalled on the way, so the spool is the first to refuse.
	bad := usage("bad-utf8")
	bad.UserAgent = "curl/8\xff"
	if _, err := ingest(context.Background(), client, []*telemetryv1.UsageEvent{bad}); status.Code(err) != codes.InvalidArgument {
		t.Fatalf("direct ingest of invalid UTF-8: %v, want InvalidArgument", err)
	}

	s := sink.New(client, "router-c", testLogger(t), nil, sink.Options{})
	s.Emit(bad)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := s.Close(ctx); err != nil {
		t.Fatal(err)
	}
	r, _ := sp.Reader(spool.Position{})
	got, err := r.Next()
	if err != nil {
		t.Fatalf("event not stored: %v", err)
	}
	if got.GetUserAgent() != "curl/8\uFFFD" {
		t.Fatalf("stored user agent %q", got.GetUserAgent())
	}
	if bad.UserAgent != "curl/8\xff" {
		t.Fatal("the caller's event was modified")
	}
}

func TestRunServesUntilCancelled(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "spool")
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := lis.Addr().String()
	lis.Close()

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	runDone := make(chan error, 1)
	go func() {
		runDone <- telemetry.Run(ctx, []string{"--grpc-addr", addr, "--admin-addr", "", "--data-dir", dir}, t.Output())
	}()

	ts := startServerClientOnly(t, addr)
	waitFor(t, "the service to accept an ingest", func() bool {
		n, err := ingest(ctx, ts, usages("run", 1))
		return err == nil && n == 1
	})
	cancel()
	if err := <-runDone; err != nil {
		t.Fatalf("Run: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, fmt.Sprintf("%020d.seg", 1))); err != nil {
		t.Fatalf("no spool segment in --data-dir: %v", err)
	}
}
