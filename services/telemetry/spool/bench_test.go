package spool

import (
	"fmt"
	"testing"
)

// BenchmarkAppend measures events/s appended (and synced) in batches of 1000.
func BenchmarkAppend(b *testing.B) {
	s, err := Open(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	batch := events("bench", 1000)
	for i := 0; b.Loop(); i++ {
		for j, e := range batch {
			e.DatabricksRequestId = fmt.Sprintf("b%d-%d", i, j)
		}
		if err := s.Append(batch); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*len(batch))/b.Elapsed().Seconds(), "events/s")
}
