package sink

import (
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"
)

// drainQueue stands in for Run: it empties the queue as fast as it can, so
// the benchmark measures Emit, not how fast a batch reaches a server.
func drainQueue(s *Sink) (stop func()) {
	done := make(chan struct{})
	go func() {
		for {
			select {
			case <-s.queue:
			case <-done:
				return
			}
		}
	}()
	return func() { close(done) }
}

// BenchmarkEmit is the router's cost per event: with room in the queue (the
// normal case), and with the queue full (the event is dropped and counted).
func BenchmarkEmit(b *testing.B) {
	e := usage(1)
	b.Run("queued", func(b *testing.B) {
		s := New((&discardServer{}).client(), "bench", quietLog(), nil, Options{})
		defer drainQueue(s)()
		b.ReportAllocs()
		for b.Loop() {
			s.Emit(e)
		}
		b.ReportMetric(testutil.ToFloat64(s.m.droppedQueueFull)/float64(b.N), "drops/op")
	})
	b.Run("full", func(b *testing.B) {
		s := New((&discardServer{}).client(), "bench", quietLog(), nil, Options{QueueSize: 1})
		s.Emit(e)
		b.ReportAllocs()
		for b.Loop() {
			s.Emit(e)
		}
	})
}

// BenchmarkEmitParallel is Emit from many request goroutines at once.
func BenchmarkEmitParallel(b *testing.B) {
	s := New((&discardServer{}).client(), "bench", quietLog(), nil, Options{})
	defer drainQueue(s)()
	e := usage(1)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			s.Emit(e)
		}
	})
	b.ReportMetric(testutil.ToFloat64(s.m.droppedQueueFull)/float64(b.N), "drops/op")
}
