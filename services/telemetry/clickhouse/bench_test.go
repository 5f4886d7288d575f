package clickhouse

import (
	"context"
	"testing"
	"time"
)

// BenchmarkLoaderThroughput drains a spool of b.N events into the local
// server with the default batching and reports rows/s. Run it with a fixed
// count, e.g. -bench LoaderThroughput -benchtime 300000x.
func BenchmarkLoaderThroughput(b *testing.B) {
	for _, bc := range []struct {
		name      string
		payloads  bool
		batchRows int
	}{
		{"usage", false, DefaultBatchRows},
		{"usage+payloads", true, DefaultBatchRows},
		{"usage/batch=10000", false, 10000},
	} {
		b.Run(bc.name, func(b *testing.B) {
			srv := requireServer(b)
			st := newTestStore(b, srv)
			sp := openTestSpool(b, b.TempDir())
			events := makeEvents("bench", 0, b.N)
			if !bc.payloads {
				for _, e := range events {
					e.Payload = nil
				}
			}
			appendChunks(b, sp, events, 5000)
			want := expectTotals(events)
			if err := st.Migrate(b.Context()); err != nil {
				b.Fatal(err)
			}
			l, err := NewLoader(sp, st, LoaderOptions{BatchRows: bc.batchRows})
			if err != nil {
				b.Fatal(err)
			}
			b.ResetTimer()
			start := time.Now()
			stop := startLoader(b, l)
			waitCounts(b, st, want)
			elapsed := time.Since(start)
			b.StopTimer()
			if err := stop(); err != nil {
				b.Fatal(err)
			}
			assertTotals(b, st, want)
			b.ReportMetric(float64(b.N)/elapsed.Seconds(), "rows/s")
		})
	}
}

// BenchmarkUsageBlockAdd is the loader's per-event conversion cost.
func BenchmarkUsageBlockAdd(b *testing.B) {
	events := makeEvents("conv", 0, 10000)
	batch := newBatch()
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		if i%len(events) == 0 {
			batch.reset(batch.start)
		}
		batch.add(events[i%len(events)])
	}
}

// waitCounts polls row counts only (cheap next to waitLoaded's sums), so
// the wait disturbs the measurement little.
func waitCounts(b *testing.B, st *Store, want totals) {
	deadline := time.Now().Add(10 * time.Minute)
	for {
		done := true
		n, err := st.countRows(context.Background(), tableUsage)
		done = err == nil && n >= want.rows
		for table, w := range want.payload {
			if !done {
				break
			}
			n, err := st.countRows(context.Background(), table)
			done = err == nil && n >= w
		}
		if done {
			return
		}
		if time.Now().After(deadline) {
			b.Fatal("the loader did not finish in time")
		}
		time.Sleep(50 * time.Millisecond)
	}
}
