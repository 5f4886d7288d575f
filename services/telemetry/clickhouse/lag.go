package clickhouse

import (
	"context"
	"io"
	"sync"
	"time"

	"github.com/tollgate/tollgate/services/telemetry/spool"
)

// lagTracker measures how far the loader is behind the spool. Positions are
// byte offsets, so records are counted, without decoding, by two readers:
//   - the backlog: records between the resume position and the spool's end
//     when Run started (known only once ClickHouse has said where to resume,
//     and counted in the background, so it may still be growing);
//   - the fresh records appended since Run started.
//
// The loader reports how many records past the resume position it has
// loaded. For the lag in seconds, fresh records are timed when first seen:
// one checkpoint (index of its first record, time) per read pass, at most
// one a second, so a long outage costs a few thousand checkpoints, not one
// per record. Backlog records count as seen when Run started.
type lagTracker struct {
	now     func() time.Time
	started time.Time

	mu          sync.Mutex
	backlog     int64 // records before the spool's end at Run start, counted so far
	fresh       int64 // records appended since Run started
	loaded      int64 // records loaded past the resume position
	checkpoints []lagCheckpoint
}

type lagCheckpoint struct {
	first int64 // index among fresh records of the first one seen in this pass
	seen  time.Time
}

// checkpointSpacing coalesces read passes into one checkpoint.
const checkpointSpacing = time.Second

func newLagTracker(now func() time.Time) *lagTracker { return &lagTracker{now: now, started: now()} }

// begin marks when Run started (when backlog records count as seen).
func (t *lagTracker) begin() {
	t.mu.Lock()
	t.started = t.now()
	t.mu.Unlock()
}

func (t *lagTracker) addBacklog(n int64) {
	t.mu.Lock()
	t.backlog += n
	t.trim()
	t.mu.Unlock()
}

// saw records n more fresh records.
func (t *lagTracker) saw(n int64) {
	if n <= 0 {
		return
	}
	now := t.now()
	t.mu.Lock()
	if k := len(t.checkpoints); k == 0 || now.Sub(t.checkpoints[k-1].seen) >= checkpointSpacing {
		t.checkpoints = append(t.checkpoints, lagCheckpoint{first: t.fresh, seen: now})
	}
	t.fresh += n
	t.mu.Unlock()
}

// loadedMore records that n more records are in ClickHouse.
func (t *lagTracker) loadedMore(n int64) {
	t.mu.Lock()
	t.loaded += n
	t.trim()
	t.mu.Unlock()
}

// trim drops checkpoints wholly behind the oldest unloaded record.
func (t *lagTracker) trim() {
	oldest := t.loaded - t.backlog // index among fresh records
	drop := 0
	for drop+1 < len(t.checkpoints) && t.checkpoints[drop+1].first <= oldest {
		drop++
	}
	if drop > 0 {
		t.checkpoints = append(t.checkpoints[:0], t.checkpoints[drop:]...)
	}
}

// records is how many spooled records are not loaded yet.
func (t *lagTracker) records() float64 {
	t.mu.Lock()
	defer t.mu.Unlock()
	return float64(max(t.backlog+t.fresh-t.loaded, 0))
}

// seconds is how long the oldest unloaded record has been in the spool, as
// far as this process has seen (0 when nothing is waiting).
func (t *lagTracker) seconds() float64 {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.loaded >= t.backlog+t.fresh {
		return 0
	}
	seen := t.started
	if t.loaded >= t.backlog {
		if len(t.checkpoints) == 0 {
			return 0
		}
		seen = t.checkpoints[0].seen // the newest at or before the oldest unloaded record
	}
	return max(t.now().Sub(seen).Seconds(), 0)
}

// countFresh counts records appended from `from` (the spool's end when Run
// started) on, until ctx ends.
func countFresh(ctx context.Context, sp *spool.Spool, from spool.Position, t *lagTracker, retry time.Duration) {
	r, err := sp.Reader(from)
	if err != nil {
		return
	}
	defer r.Close()
	for {
		changed := sp.Changed()
		var n int64
		for {
			if _, err = r.NextRaw(); err != nil {
				break
			}
			n++
		}
		t.saw(n)
		if err == io.EOF {
			select {
			case <-ctx.Done():
				return
			case <-changed:
			}
			continue
		}
		// A read error here also stops the loader, which reports it; try
		// again later rather than spinning.
		select {
		case <-ctx.Done():
			return
		case <-time.After(retry):
		}
	}
}

// countBacklog counts the records in [from, to).
func countBacklog(ctx context.Context, sp *spool.Spool, from, to spool.Position, t *lagTracker) {
	r, err := sp.Reader(from)
	if err != nil {
		return
	}
	defer r.Close()
	var n int64
	for r.Position().Less(to) && ctx.Err() == nil {
		if _, err := r.NextRaw(); err != nil {
			break
		}
		if n++; n == 1024 {
			t.addBacklog(n)
			n = 0
		}
	}
	t.addBacklog(n)
}
