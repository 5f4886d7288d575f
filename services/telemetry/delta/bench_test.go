package delta

import (
	"context"
	"strings"
	"testing"
)

// Appends of 10k-row batches (the size a spool drain would commit), through
// the real local storage: encode, fsync'd data file, fsync'd commit, and a
// checkpoint every 10 commits.

const benchBatch = 10_000

func BenchmarkAppendUsage10k(b *testing.B) {
	rows := usageRows(0, benchBatch) // spans one day boundary: two files per append
	w := newTestWriter(b, b.TempDir(), UsageTableSpec("usage"), Options{})
	ctx := context.Background()
	b.ReportAllocs()
	appends := 0
	for b.Loop() {
		if _, err := w.Append(ctx, rows, "bench", int64(appends)); err != nil {
			b.Fatal(err)
		}
		appends++
	}
	b.ReportMetric(float64(appends*benchBatch)/b.Elapsed().Seconds(), "rows/s")
}

func BenchmarkAppendPayload10k(b *testing.B) {
	body := `{"messages":[{"role":"user","content":"` + strings.Repeat("lorem ipsum ", 80) + `"}]}` // ~1 KB
	rows := make([]PayloadRow, benchBatch)
	for i, e := range testEvents(0, benchBatch) {
		rows[i] = PayloadRow{
			DatabricksRequestID: e.DatabricksRequestId, ClientRequestID: e.ClientRequestId,
			RequestTimeMicros: e.RequestTimeUnixMs * 1000, StatusCode: e.StatusCode, SamplingFraction: 1,
			ExecutionDurationMs: 100, Request: body, Response: body, ServedEntityID: e.ServedEntityId,
			Requester: e.Requester,
		}
	}
	w := newTestWriter(b, b.TempDir(), PayloadTableSpec("chat_payload"), Options{})
	ctx := context.Background()
	b.ReportAllocs()
	appends := 0
	for b.Loop() {
		if _, err := w.Append(ctx, rows, "bench", int64(appends)); err != nil {
			b.Fatal(err)
		}
		appends++
	}
	b.ReportMetric(float64(appends*benchBatch)/b.Elapsed().Seconds(), "rows/s")
}

// BenchmarkEncodeUsage10k is the Parquet encoding of a 10k-row file alone
// (one partition, no storage): the export's CPU per row that is not I/O.
func BenchmarkEncodeUsage10k(b *testing.B) {
	rows := usageRows(0, benchBatch)
	day := UsageTableSpec("usage").PartitionDay
	last := &rows[len(rows)-1]
	oneDay := rows[:0:0]
	for i := range rows {
		if day(&rows[i]) == day(last) {
			oneDay = append(oneDay, rows[i])
		}
	}
	enc := newFileEncoder[UsageRow](nil)
	b.ReportAllocs()
	var size int
	for b.Loop() {
		data, _, err := enc.encode(oneDay)
		if err != nil {
			b.Fatal(err)
		}
		size = len(data)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(oneDay)), "ns/row")
	b.ReportMetric(float64(size)/float64(len(oneDay)), "file-bytes/row")
}
