package export

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	telemetryv1 "github.com/tollgate/tollgate/gen/go/tollgate/telemetry/v1"
	"github.com/tollgate/tollgate/services/telemetry/spool"
)

// BenchmarkExportBacklog is the export of events already in the spool (after
// a restart, or when it fell behind), which it reads back and decodes: one
// op per event, from reading the record to the committed Delta table.
func BenchmarkExportBacklog(b *testing.B) {
	dir := b.TempDir()
	sp, err := spool.Open(filepath.Join(dir, "spool"))
	if err != nil {
		b.Fatal(err)
	}
	defer sp.Close()
	batch := make([]*telemetryv1.UsageEvent, 0, 1000)
	for i := range b.N {
		batch = append(batch, &telemetryv1.UsageEvent{
			DatabricksRequestId: fmt.Sprintf("0f8e3c1a-5b7d-4e2f-9a61-%012d", i), ClientRequestId: fmt.Sprint("client-", i),
			AccountId: "acct-0001", WorkspaceId: "ws-0001", ServedEntityId: "se-7f3a9c", Requester: "alice@example.com",
			RequesterType: "user", Groups: []string{"eng", "ml-platform"}, StatusCode: 200,
			RequestTimeUnixMs: time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC).UnixMilli() + int64(i),
			InputTokenCount:   420, OutputTokenCount: 96, InputCharacterCount: 1680, OutputCharacterCount: 384,
			EndpointName: "chat", Provider: "openai", Model: "gpt-4o-mini", UserAgent: "OpenAI/Go 1.12.0",
			ClientKind: "openai-go-sdk", ApiType: "openai_chat", LatencyMs: 812, TimeToFirstByteMs: 143,
			CacheReadInputTokens: 128, ServedEntityName: "gpt-4o-mini-primary",
		})
		if len(batch) == cap(batch) || i == b.N-1 {
			if err := sp.Append(batch); err != nil {
				b.Fatal(err)
			}
			batch = batch[:0]
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	e, err := NewDeltaExporter(ctx, sp, filepath.Join(dir, "delta"), slog.New(slog.DiscardHandler), prometheus.NewRegistry(),
		Options{FlushInterval: 10 * time.Millisecond})
	if err != nil {
		b.Fatal(err)
	}
	want := Pack(sp.Committed())
	b.ReportAllocs()
	b.ResetTimer()
	go func() { _ = e.Run(ctx) }()
	for {
		if v, err := e.usage.LastTxnVersion(ctx, AppID); err == nil && v == want {
			break
		}
		time.Sleep(time.Millisecond)
	}
	b.StopTimer()
	cancel()
	<-e.Done()
}
