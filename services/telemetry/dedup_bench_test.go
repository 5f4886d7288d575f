package telemetry

import (
	"fmt"
	"runtime"
	"strconv"
	"testing"
	"time"

	telemetryv1 "github.com/tollgate/tollgate/gen/go/tollgate/telemetry/v1"
)

// BenchmarkDedupSteadyState is the index's cost per event once the window is
// full (every stored id evicts the oldest), in batches of 1000 as the sink
// sends them. gc-ms is the time of one full garbage collection with the
// index as the only sizeable heap: what its size alone adds to every
// collection of the process.
func BenchmarkDedupSteadyState(b *testing.B) {
	const batchLen = 1000
	x := newDedupIndex(DefaultDedupWindow)
	for i := range DefaultDedupWindow {
		x.addDurable(x.key(fmt.Sprint("warm-", i)))
	}
	batches := make([][]*telemetryv1.UsageEvent, 64)
	for i := range batches {
		batches[i] = make([]*telemetryv1.UsageEvent, batchLen)
		for j := range batches[i] {
			batches[i][j] = &telemetryv1.UsageEvent{DatabricksRequestId: fmt.Sprintf("0f8e3c1a-5b7d-4e2f-9a61-%06d%06d", i, j)}
		}
	}
	id := []byte("0f8e3c1a-5b7d-4e2f-9a61-")
	prefix := len(id)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		batch := batches[i%len(batches)]
		if i >= len(batches) {
			for j, e := range batch { // fresh ids again, one allocation each
				id = strconv.AppendInt(id[:prefix], int64(i*batchLen+j), 10)
				e.DatabricksRequestId = string(id)
			}
		}
		w := newPendingWrite()
		c := x.claim(batch, w)
		x.settle(w, c.keys, nil)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*batchLen), "ns/event")
	runtime.GC()
	start := time.Now()
	runtime.GC()
	b.ReportMetric(float64(time.Since(start).Microseconds())/1000, "gc-ms")
	runtime.KeepAlive(x)
}
