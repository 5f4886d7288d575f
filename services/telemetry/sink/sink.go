// Package sink is the router's side of telemetry: Emit hands a usage event
// over without ever blocking the request, and a background flusher ships
// batches to the telemetry service, retrying until they are acknowledged.
//
// Delivery is at least once; the server stores each request id once, so a
// batch resent after a lost acknowledgement is not stored twice. An event is
// lost only when the queue is full (the router outruns telemetry for long
// enough), when the server refuses an event as malformed, or when Close runs
// out of time; each case is counted in tollgate_telemetry_dropped_events_total
// and logged.
package sink

import (
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	telemetryv1 "github.com/tollgate/tollgate/gen/go/tollgate/telemetry/v1"
)

// Options tunes a Sink; zero fields take the defaults.
type Options struct {
	// QueueSize bounds events waiting to be sent (default 65536).
	QueueSize int
	// MaxBatch bounds events per Ingest call (default 1000).
	MaxBatch int
	// MaxBatchBytes bounds a batch's encoded size; a batch closes once it
	// reaches this (default 4 MiB, well under the 64 MiB message limit).
	MaxBatchBytes int
	// FlushInterval is the longest an event waits for its batch to fill (default 200ms).
	FlushInterval time.Duration
	// AttemptTimeout bounds one Ingest call (default 10s).
	AttemptTimeout time.Duration
}

// Defaults.
const (
	DefaultQueueSize      = 65536
	DefaultMaxBatch       = 1000
	DefaultMaxBatchBytes  = 4 << 20
	DefaultFlushInterval  = 200 * time.Millisecond
	DefaultAttemptTimeout = 10 * time.Second
)

func (o Options) withDefaults() Options {
	if o.QueueSize <= 0 {
		o.QueueSize = DefaultQueueSize
	}
	if o.MaxBatch <= 0 {
		o.MaxBatch = DefaultMaxBatch
	}
	if o.MaxBatchBytes <= 0 {
		o.MaxBatchBytes = DefaultMaxBatchBytes
	}
	if o.FlushInterval <= 0 {
		o.FlushInterval = DefaultFlushInterval
	}
	if o.AttemptTimeout <= 0 {
		o.AttemptTimeout = DefaultAttemptTimeout
	}
	return o
}

// Retry backoff between failed Ingest attempts.
const (
	initialBackoff = 100 * time.Millisecond
	maxBackoff     = 5 * time.Second
)

// dropLogInterval rate-limits the queue-full warning.
const dropLogInterval = 10 * time.Second

// Sink queues usage events and ships them to the telemetry service.
type Sink struct {
	client telemetryv1.TelemetryServiceClient
	sender string
	log    *slog.Logger
	opts   Options
	m      *sinkMetrics

	queue  chan *telemetryv1.UsageEvent
	full   chan struct{} // signalled when a batch's worth is queued
	closed atomic.Bool

	// Queue-full drops not yet logged, and when they were last logged.
	unloggedDrops atomic.Int64
	lastDropLog   atomic.Int64 // unix nanoseconds

	// flusher is held by whoever ships batches: Run, or Close once Run has
	// stopped. carry is the batch the last holder took but did not deliver.
	flusher  chan struct{}
	carry    []*telemetryv1.UsageEvent
	stop     chan struct{}
	stopOnce sync.Once
}

// New makes a sink sending to client as sender (the replica's name). Start
// Run in the background, and call Close on shutdown.
func New(client telemetryv1.TelemetryServiceClient, sender string, log *slog.Logger, reg prometheus.Registerer, opts Options) *Sink {
	opts = opts.withDefaults()
	s := &Sink{
		client:  client,
		sender:  sender,
		log:     log,
		opts:    opts,
		queue:   make(chan *telemetryv1.UsageEvent, opts.QueueSize),
		full:    make(chan struct{}, 1),
		flusher: make(chan struct{}, 1),
		stop:    make(chan struct{}),
	}
	s.m = newSinkMetrics(reg, func() float64 { return float64(len(s.queue)) }, log)
	return s
}

// Emit queues e for sending and returns at once. If the queue is full the
// event is dropped (counted and logged). The sink owns e afterwards: the
// caller must not modify it.
func (s *Sink) Emit(e *telemetryv1.UsageEvent) {
	if e == nil {
		return
	}
	if s.closed.Load() {
		s.m.droppedClosed.Inc()
		s.noteQueueDrop()
		return
	}
	select {
	case s.queue <- e:
		if len(s.queue) >= s.opts.MaxBatch {
			select {
			case s.full <- struct{}{}: // a batch is ready: flush before the interval
			default:
			}
		}
	default:
		s.m.droppedQueueFull.Inc()
		s.noteQueueDrop()
	}
}

func (s *Sink) noteQueueDrop() {
	s.unloggedDrops.Add(1)
	s.logDrops(time.Now())
}

// logDrops logs the drops since the last log, at most once per dropLogInterval.
func (s *Sink) logDrops(now time.Time) {
	last := s.lastDropLog.Load()
	if now.UnixNano()-last < int64(dropLogInterval) || s.unloggedDrops.Load() == 0 {
		return
	}
	if !s.lastDropLog.CompareAndSwap(last, now.UnixNano()) {
		return // another goroutine is logging
	}
	n := s.unloggedDrops.Swap(0)
	if n == 0 {
		return
	}
	s.log.Warn("usage events dropped: telemetry queue full (or sink closed)",
		"dropped", n, "queue_size", s.opts.QueueSize, "sender", s.sender)
}

// QueueLen is the number of events waiting to be sent.
func (s *Sink) QueueLen() int { return len(s.queue) }
