package sink

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	telemetryv1 "github.com/tollgate/tollgate/gen/go/tollgate/telemetry/v1"
	"github.com/tollgate/tollgate/services/kit/inproc"
)

// fakeServer records what it receives; fail decides each stream's outcome.
type fakeServer struct {
	telemetryv1.UnimplementedTelemetryServiceServer
	mu       sync.Mutex
	received []*telemetryv1.UsageEvent
	streams  int
	fail     func(stream int) error
}

func (f *fakeServer) Ingest(stream grpc.ClientStreamingServer[telemetryv1.IngestRequest, telemetryv1.IngestResponse]) error {
	var got []*telemetryv1.UsageEvent
	for {
		req, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return err
		}
		got = append(got, req.GetEvents()...)
	}
	f.mu.Lock()
	f.streams++
	n := f.streams
	f.mu.Unlock()
	if f.fail != nil {
		if err := f.fail(n); err != nil {
			return err
		}
	}
	f.mu.Lock()
	f.received = append(f.received, got...)
	f.mu.Unlock()
	return stream.SendAndClose(&telemetryv1.IngestResponse{Accepted: int64(len(got))})
}

func (f *fakeServer) ids() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make([]string, len(f.received))
	for i, e := range f.received {
		out[i] = e.GetDatabricksRequestId()
	}
	return out
}

func (f *fakeServer) client() telemetryv1.TelemetryServiceClient {
	return telemetryv1.NewTelemetryServiceClient(inproc.New(&telemetryv1.TelemetryService_ServiceDesc, f))
}

func quietLog() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func usage(i int) *telemetryv1.UsageEvent {
	return &telemetryv1.UsageEvent{DatabricksRequestId: fmt.Sprintf("req-%d", i), EndpointName: "chat", StatusCode: 200}
}

func closeWithin(t *testing.T, s *Sink, d time.Duration) error {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	return s.Close(ctx)
}

func wantIDs(t *testing.T, got []string, n int) {
	t.Helper()
	if len(got) != n {
		t.Fatalf("server received %d events, want %d", len(got), n)
	}
	for i, id := range got {
		if want := fmt.Sprintf("req-%d", i); id != want {
			t.Fatalf("event %d is %s, want %s (order kept)", i, id, want)
		}
	}
}

func TestQueueOverflowDropsAndCountsWithoutBlocking(t *testing.T) {
	var logged strings.Builder
	var logMu sync.Mutex
	log := slog.New(slog.NewTextHandler(writerFunc(func(p []byte) (int, error) {
		logMu.Lock()
		defer logMu.Unlock()
		return logged.Write(p)
	}), nil))
	reg := prometheus.NewRegistry()
	s := New((&fakeServer{}).client(), "r1", log, reg, Options{QueueSize: 10})

	// Run is not started, so nothing drains the queue: a blocking Emit would hang here.
	emitted := make(chan struct{})
	go func() {
		for i := range 25 {
			s.Emit(usage(i))
		}
		close(emitted)
	}()
	select {
	case <-emitted:
	case <-time.After(10 * time.Second):
		t.Fatal("Emit blocked on a full queue")
	}
	if got := testutil.ToFloat64(s.m.droppedQueueFull); got != 15 {
		t.Fatalf("dropped = %v, want 15", got)
	}
	if err := testutil.GatherAndCompare(reg, strings.NewReader(`
# HELP tollgate_telemetry_queue_depth Usage events waiting in the router-side queue.
# TYPE tollgate_telemetry_queue_depth gauge
tollgate_telemetry_queue_depth 10
# HELP tollgate_telemetry_dropped_events_total Usage events the router-side sink lost, by reason (queue_full, rejected, shutdown).
# TYPE tollgate_telemetry_dropped_events_total counter
tollgate_telemetry_dropped_events_total{reason="queue_full"} 15
tollgate_telemetry_dropped_events_total{reason="rejected"} 0
tollgate_telemetry_dropped_events_total{reason="shutdown"} 0
`), "tollgate_telemetry_queue_depth", "tollgate_telemetry_dropped_events_total"); err != nil {
		t.Fatal(err)
	}
	logMu.Lock()
	out := logged.String()
	logMu.Unlock()
	if !strings.Contains(out, "dropped=1") || strings.Count(out, "queue full") != 1 {
		t.Fatalf("want exactly one rate-limited drop log carrying its count, got:\n%s", out)
	}
	if s.unloggedDrops.Load() != 14 {
		t.Fatalf("%d drops waiting to be logged, want 14", s.unloggedDrops.Load())
	}
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

func TestRunBatchesAndCloseFlushes(t *testing.T) {
	srv := &fakeServer{}
	s := New(srv.client(), "r1", quietLog(), nil, Options{MaxBatch: 7, FlushInterval: 5 * time.Millisecond})
	runDone := make(chan error, 1)
	go func() { runDone <- s.Run(context.Background()) }()
	for i := range 100 {
		s.Emit(usage(i))
	}
	if err := closeWithin(t, s, 10*time.Second); err != nil {
		t.Fatal(err)
	}
	if err := <-runDone; err != nil {
		t.Fatal(err)
	}
	wantIDs(t, srv.ids(), 100)
	if srv.streams < 100/7 {
		t.Fatalf("%d streams for 100 events in batches of at most 7", srv.streams)
	}
	s.Emit(usage(100))
	if got := testutil.ToFloat64(s.m.droppedClosed); got != 1 {
		t.Fatalf("Emit after Close: dropped{shutdown} = %v, want 1", got)
	}
}

func TestSecondRunIsRefused(t *testing.T) {
	s := New((&fakeServer{}).client(), "r1", quietLog(), nil, Options{})
	ctx, cancel := context.WithCancel(context.Background())
	runDone := make(chan error, 1)
	go func() { runDone <- s.Run(ctx) }()
	// Wait until the first Run holds the flusher.
	for len(s.flusher) == 0 {
		time.Sleep(time.Millisecond)
	}
	if err := s.Run(ctx); !errors.Is(err, errRunning) {
		t.Fatalf("second Run = %v, want errRunning", err)
	}
	cancel()
	if err := <-runDone; err != nil {
		t.Fatal(err)
	}
}

func TestFailedBatchIsRetriedWhileEventsKeepQueueing(t *testing.T) {
	srv := &fakeServer{fail: func(n int) error {
		if n <= 3 {
			return status.Error(codes.Unavailable, "telemetry restarting")
		}
		return nil
	}}
	reg := prometheus.NewRegistry()
	s := New(srv.client(), "r1", quietLog(), reg, Options{MaxBatch: 10, FlushInterval: time.Millisecond})
	runDone := make(chan error, 1)
	go func() { runDone <- s.Run(context.Background()) }()
	for i := range 50 {
		s.Emit(usage(i))
	}
	if err := closeWithin(t, s, 20*time.Second); err != nil {
		t.Fatal(err)
	}
	<-runDone
	wantIDs(t, srv.ids(), 50)
	if got := testutil.ToFloat64(s.m.sendFailures); got != 3 {
		t.Fatalf("send failures = %v, want 3", got)
	}
	if got := testutil.ToFloat64(s.m.sent); got != 50 {
		t.Fatalf("sent = %v, want 50", got)
	}
}

func TestRefusedBatchIsDroppedAndCounted(t *testing.T) {
	srv := &fakeServer{fail: func(n int) error {
		if n == 1 {
			return status.Error(codes.InvalidArgument, "malformed")
		}
		return nil
	}}
	s := New(srv.client(), "r1", quietLog(), nil, Options{})
	for i := range 4 {
		s.Emit(usage(i))
	}
	if err := closeWithin(t, s, 10*time.Second); err != nil {
		t.Fatal(err)
	}
	if got := testutil.ToFloat64(s.m.droppedRejected); got != 4 {
		t.Fatalf("dropped{rejected} = %v, want 4", got)
	}
	if len(srv.ids()) != 0 {
		t.Fatal("a refused batch was stored")
	}
}

func TestCloseDeadlineDropsTheRestVisibly(t *testing.T) {
	srv := &fakeServer{fail: func(int) error { return status.Error(codes.Unavailable, "down") }}
	s := New(srv.client(), "r1", quietLog(), nil, Options{MaxBatch: 5})
	for i := range 12 {
		s.Emit(usage(i))
	}
	if err := closeWithin(t, s, 300*time.Millisecond); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Close = %v, want the deadline error", err)
	}
	if got := testutil.ToFloat64(s.m.droppedClosed); got != 12 {
		t.Fatalf("dropped{shutdown} = %v, want 12", got)
	}
	if s.QueueLen() != 0 {
		t.Fatalf("%d events left in the queue", s.QueueLen())
	}
}

func TestRunStoppedByContextHandsItsBatchToClose(t *testing.T) {
	var mu sync.Mutex
	down := true
	srv := &fakeServer{fail: func(int) error {
		mu.Lock()
		defer mu.Unlock()
		if down {
			return status.Error(codes.Unavailable, "down")
		}
		return nil
	}}
	s := New(srv.client(), "r1", quietLog(), nil, Options{MaxBatch: 100, FlushInterval: time.Millisecond})
	ctx, cancel := context.WithCancel(context.Background())
	runDone := make(chan error, 1)
	go func() { runDone <- s.Run(ctx) }()
	for i := range 30 {
		s.Emit(usage(i))
	}
	// Let Run take the events and start failing, then stop it mid-retry.
	for testutil.ToFloat64(s.m.sendFailures) == 0 {
		time.Sleep(time.Millisecond)
	}
	cancel()
	<-runDone
	mu.Lock()
	down = false
	mu.Unlock()
	if err := closeWithin(t, s, 10*time.Second); err != nil {
		t.Fatal(err)
	}
	got := srv.ids()
	if len(got) != 30 {
		t.Fatalf("server received %d events, want 30", len(got))
	}
}

func TestBatchesStayUnderMaxBatchBytes(t *testing.T) {
	srv := &fakeServer{}
	s := New(srv.client(), "r1", quietLog(), nil, Options{MaxBatchBytes: 10 << 10})
	for i := range 20 {
		e := usage(i)
		e.Payload = &telemetryv1.InferencePayload{Request: make([]byte, 4<<10)}
		s.Emit(e)
	}
	if err := closeWithin(t, s, 10*time.Second); err != nil {
		t.Fatal(err)
	}
	wantIDs(t, srv.ids(), 20)
	// 4 KiB events under a 10 KiB bound: batches of at most 3.
	if srv.streams < 7 {
		t.Fatalf("20 events of 4 KiB went in %d streams; the byte bound was not applied", srv.streams)
	}
}

func TestRepairBatchLeavesOriginalsAlone(t *testing.T) {
	good := usage(1)
	bad := usage(2)
	bad.Groups = []string{"ok", "b\xffd"}
	bad.UsageContext = map[string]string{"k\xfe": "v", "k": "v\xfe"}
	bad.Payload = &telemetryv1.InferencePayload{LoggingErrorCodes: []string{"\xc0"}, TableNamePrefix: "t\xff"}
	batch := []*telemetryv1.UsageEvent{good, bad}
	if n := repairBatch(batch); n != 1 {
		t.Fatalf("repaired %d events, want 1", n)
	}
	if batch[0] != good {
		t.Fatal("a valid event was replaced")
	}
	fixed := batch[1]
	if fixed == bad || bad.Groups[1] != "b\xffd" {
		t.Fatal("the original event was modified")
	}
	if !walkStrings(fixed.ProtoReflect(), false) {
		t.Fatalf("repaired event still holds invalid UTF-8: %v", fixed)
	}
	if fixed.Groups[1] != "b\uFFFDd" || fixed.UsageContext["k"] != "v\uFFFD" || fixed.UsageContext["k\uFFFD"] != "v" ||
		fixed.Payload.TableNamePrefix != "t\uFFFD" || fixed.Payload.LoggingErrorCodes[0] != "\uFFFD" {
		t.Fatalf("repaired event = %v", fixed)
	}
}

func TestEmitNilIsIgnored(t *testing.T) {
	s := New((&fakeServer{}).client(), "r1", quietLog(), nil, Options{QueueSize: 1})
	s.Emit(nil)
	if s.QueueLen() != 0 {
		t.Fatal("nil event queued")
	}
}

// discardServer acknowledges without keeping anything.
type discardServer struct {
	telemetryv1.UnimplementedTelemetryServiceServer
}

func (d *discardServer) Ingest(stream grpc.ClientStreamingServer[telemetryv1.IngestRequest, telemetryv1.IngestResponse]) error {
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

func (d *discardServer) client() telemetryv1.TelemetryServiceClient {
	return telemetryv1.NewTelemetryServiceClient(inproc.New(&telemetryv1.TelemetryService_ServiceDesc, d))
}
