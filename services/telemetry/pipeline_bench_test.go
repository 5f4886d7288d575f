//go:build unix

package telemetry_test

import (
	"context"
	"fmt"
	"path/filepath"
	"runtime"
	"syscall"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	telemetryv1 "github.com/tollgate/tollgate/gen/go/tollgate/telemetry/v1"
	"github.com/tollgate/tollgate/services/kit/inproc"
	"github.com/tollgate/tollgate/services/telemetry"
	"github.com/tollgate/tollgate/services/telemetry/export"
	"github.com/tollgate/tollgate/services/telemetry/sink"
)

// routerEvent is an event shaped like the router's (services/router/usage.go)
// for a served chat request: every column the usage table fills.
func routerEvent(i int) *telemetryv1.UsageEvent {
	return &telemetryv1.UsageEvent{
		DatabricksRequestId:  fmt.Sprintf("0f8e3c1a-5b7d-4e2f-9a61-%012d", i),
		ClientRequestId:      fmt.Sprintf("client-%d", i),
		AccountId:            "acct-0001",
		WorkspaceId:          "ws-0001",
		ServedEntityId:       "se-7f3a9c",
		Requester:            "alice@example.com",
		RequesterType:        "user",
		Groups:               []string{"eng", "ml-platform"},
		StatusCode:           200,
		RequestTimeUnixMs:    time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC).UnixMilli() + int64(i),
		InputTokenCount:      420,
		OutputTokenCount:     96,
		InputCharacterCount:  1680,
		OutputCharacterCount: 384,
		RequestStreaming:     i%2 == 0,
		EndpointName:         "chat",
		Provider:             "openai",
		Model:                "gpt-4o-mini",
		UserAgent:            "OpenAI/Go 1.12.0",
		ClientKind:           "openai-go-sdk",
		ApiType:              "openai_chat",
		LatencyMs:            812,
		TimeToFirstByteMs:    143,
		CacheReadInputTokens: 128,
		ServedEntityName:     "gpt-4o-mini-primary",
	}
}

// cpuTime is the CPU (user + system) the process has used.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkPipeline is what telemetry costs per usage event in the
// all-in-one process, one op per event: the router's sink batches them (1000
// per Ingest, as in production), the server dedups them, appends them to the
// fsync'd spool and counts them, and the Delta exporter takes them (handed
// over by the spool's tap) and commits them to the usage table. The events are built before the timer
// starts: building them is the router's cost. cpu-ns/event is the process's
// CPU time, every goroutine included, which is what a request pays for when
// cores are busy; ns/op also holds the waits for fsync.
//
// The exporter runs with its default batch size but a short flush interval,
// so the benchmark's last partial batch does not wait 5s. Run it with a
// fixed count (-benchtime=200000x): a run's last export batch and the
// dedup index's growth make tiny runs unrepresentative.
func BenchmarkPipeline(b *testing.B) {
	events := make([]*telemetryv1.UsageEvent, b.N)
	for i := range events {
		events[i] = routerEvent(i)
	}
	dir := b.TempDir()
	sp, err := telemetry.OpenSpool(filepath.Join(dir, "spool"))
	if err != nil {
		b.Fatal(err)
	}
	defer sp.Close()
	reg := prometheus.NewRegistry()
	srv := telemetry.NewServer(sp, testLogger(b), reg)
	client := telemetryv1.NewTelemetryServiceClient(inproc.New(&telemetryv1.TelemetryService_ServiceDesc, srv))

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	exp, err := export.NewDeltaExporter(ctx, sp, filepath.Join(dir, "delta"), testLogger(b), reg,
		export.Options{FlushInterval: 100 * time.Millisecond})
	if err != nil {
		b.Fatal(err)
	}
	go func() { _ = exp.Run(ctx) }()
	defer func() { cancel(); <-exp.Done() }()

	s := sink.New(client, "bench", testLogger(b), nil, sink.Options{})
	runDone := make(chan error, 1)
	go func() { runDone <- s.Run(ctx) }()

	runtime.GC() // the events just built are not telemetry's garbage
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := cpuTime(b)
	for i, e := range events {
		for s.QueueLen() >= 2*sink.DefaultMaxBatch {
			time.Sleep(100 * time.Microsecond) // the router does not outrun telemetry for long either
		}
		s.Emit(e)
		events[i] = nil // the router lets go of its events too
	}
	closeCtx, closeCancel := context.WithTimeout(ctx, time.Minute)
	defer closeCancel()
	if err := s.Close(closeCtx); err != nil {
		b.Fatalf("sink close: %v", err)
	}
	if err := <-runDone; err != nil {
		b.Fatalf("sink run: %v", err)
	}
	deadline := time.Now().Add(time.Minute)
	for metric(b, reg, "tollgate_telemetry_delta_exported_events_total", nil) < float64(b.N) {
		if time.Now().After(deadline) {
			b.Fatalf("export did not reach %d events", b.N)
		}
		time.Sleep(2 * time.Millisecond)
	}
	b.StopTimer()
	b.ReportMetric(float64(cpuTime(b)-cpu0)/float64(b.N), "cpu-ns/event")
}
