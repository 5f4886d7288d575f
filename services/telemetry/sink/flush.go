package sink

import (
	"context"
	"errors"
	"io"
	"math/rand/v2"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	telemetryv1 "github.com/tollgate/tollgate/gen/go/tollgate/telemetry/v1"
)

// errRunning is returned by a second concurrent Run.
var errRunning = errors.New("telemetry sink: Run is already running")

// Run ships queued events until ctx ends or Close is called. A batch is sent
// once it holds MaxBatch events (or MaxBatchBytes), or FlushInterval after
// its first event; a failed batch is retried with backoff while new events
// keep queueing. An undelivered batch is kept for Close (or the next Run).
func (s *Sink) Run(ctx context.Context) error {
	select {
	case <-s.stop:
		return nil // closed: Close delivers what is queued
	case s.flusher <- struct{}{}:
	default:
		select {
		case <-s.stop:
			return nil // Close holds the flusher
		default:
			return errRunning
		}
	}
	defer func() { <-s.flusher }()
	select {
	case <-s.stop:
		return nil
	default:
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	// Close cancels the attempt in flight: the batch is resent by Close,
	// and the server stores it once even if the cancelled attempt landed.
	go func() {
		select {
		case <-s.stop:
			cancel()
		case <-ctx.Done():
		}
	}()

	batch := s.carry
	s.carry = nil
	if batch == nil {
		batch = make([]*telemetryv1.UsageEvent, 0, s.opts.MaxBatch)
	}
	for {
		if len(batch) == 0 {
			batch = s.collect(ctx, batch)
		}
		if ctx.Err() != nil || !s.deliver(ctx, batch) {
			s.carry = batch
			return nil
		}
		clear(batch)
		batch = batch[:0]
		s.logDrops(time.Now())
	}
}

// collect adds queued events to batch until it is full or FlushInterval has
// passed since its first event; with an empty batch it first waits for one.
func (s *Sink) collect(ctx context.Context, batch []*telemetryv1.UsageEvent) []*telemetryv1.UsageEvent {
	// Sleep for the flush interval (or until a batch's worth is queued), then
	// take what is queued. Waiting on the queue itself would wake this
	// goroutine for every event: a scheduler wake-up per request, which at
	// low load costs the request path tens of microseconds.
	timer := time.NewTimer(s.opts.FlushInterval)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return batch
		case <-timer.C:
		case <-s.full:
		}
		if batch = s.fill(batch); len(batch) > 0 || ctx.Err() != nil {
			return batch
		}
		timer.Reset(s.opts.FlushInterval)
	}
}

// fill adds queued events to batch without waiting, up to the batch limits.
func (s *Sink) fill(batch []*telemetryv1.UsageEvent) []*telemetryv1.UsageEvent {
	size := 0
	for _, e := range batch {
		size += eventSize(e)
	}
	for len(batch) < s.opts.MaxBatch && size < s.opts.MaxBatchBytes {
		select {
		case e := <-s.queue:
			batch = append(batch, e)
			size += eventSize(e)
		default:
			return batch
		}
	}
	return batch
}

// deliver sends batch until the server acknowledges it (true), refuses it
// for good (true: the batch is dropped and counted), or ctx ends (false).
func (s *Sink) deliver(ctx context.Context, batch []*telemetryv1.UsageEvent) bool {
	if len(batch) == 0 {
		return true
	}
	backoff := initialBackoff
	repaired := false
	for attempt := 1; ; attempt++ {
		err := s.send(ctx, batch)
		if err == nil {
			s.m.sent.Add(float64(len(batch)))
			return true
		}
		if ctx.Err() != nil {
			return false
		}
		s.m.sendFailures.Inc()
		if !repaired {
			// Strings that are not UTF-8 make protobuf refuse the whole
			// batch on every attempt; mend them once rather than retry forever.
			repaired = true
			if n := repairBatch(batch); n > 0 {
				s.log.Warn("telemetry: usage events held invalid UTF-8; bad bytes replaced", "events", n, "err", err)
				continue
			}
		}
		if permanent(err) {
			s.m.droppedRejected.Add(float64(len(batch)))
			s.log.Error("telemetry refused a batch of usage events; dropped", "dropped", len(batch), "err", err)
			return true
		}
		wait := jitter(backoff)
		s.log.Warn("telemetry ingest failed; retrying", "attempt", attempt, "events", len(batch),
			"retry_in", wait.String(), "queued", len(s.queue), "err", err)
		s.logDrops(time.Now())
		if !sleep(ctx, wait) {
			return false
		}
		backoff = min(backoff*2, maxBackoff)
	}
}

// send makes one Ingest call carrying batch.
func (s *Sink) send(ctx context.Context, batch []*telemetryv1.UsageEvent) error {
	ctx, cancel := context.WithTimeout(ctx, s.opts.AttemptTimeout)
	defer cancel()
	stream, err := s.client.Ingest(ctx)
	if err != nil {
		return err
	}
	// On a broken stream Send reports io.EOF; the real status comes from CloseAndRecv.
	if err := stream.Send(&telemetryv1.IngestRequest{Events: batch, Sender: s.sender}); err != nil && !errors.Is(err, io.EOF) {
		return err
	}
	_, err = stream.CloseAndRecv()
	return err
}

// permanent says whether resending the same batch cannot succeed.
func permanent(err error) bool {
	switch status.Code(err) {
	case codes.InvalidArgument, codes.ResourceExhausted:
		return true
	}
	return false
}

// jitter spreads retries of many routers over ±20% of d.
func jitter(d time.Duration) time.Duration {
	return d - d/5 + rand.N(2*d/5+1)
}

func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// Close stops Run and delivers every queued event, giving up when ctx ends;
// whatever is left then is dropped, counted and logged. Emit after Close
// drops its event.
func (s *Sink) Close(ctx context.Context) error {
	s.closed.Store(true)
	s.stopOnce.Do(func() { close(s.stop) })
	select {
	case s.flusher <- struct{}{}:
	case <-ctx.Done():
		s.dropRest(nil, "telemetry sink: Run did not stop before the shutdown deadline")
		return ctx.Err()
	}
	defer func() { <-s.flusher }()
	batch := s.carry
	s.carry = nil
	for {
		batch = s.fill(batch)
		if len(batch) == 0 {
			return nil
		}
		if !s.deliver(ctx, batch) {
			s.dropRest(batch, "telemetry sink: shutdown deadline passed before every usage event was delivered")
			return ctx.Err()
		}
		clear(batch)
		batch = batch[:0]
	}
}

// dropRest drops batch and everything queued, counting and logging them.
func (s *Sink) dropRest(batch []*telemetryv1.UsageEvent, msg string) {
	n := len(batch)
	for drained := false; !drained; {
		select {
		case <-s.queue:
			n++
		default:
			drained = true
		}
	}
	if n > 0 {
		s.m.droppedClosed.Add(float64(n))
		s.log.Error(msg, "dropped", n)
	}
	if u := s.unloggedDrops.Swap(0); u > 0 {
		s.log.Warn("usage events dropped: telemetry queue full (or sink closed)", "dropped", u)
	}
}
