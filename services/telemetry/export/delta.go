// Package export drains the telemetry spool into the lakehouse: Delta tables
// for usage (one row per request) and for each endpoint's inference table.
//
// Exactly once: every Append carries a Delta txn action whose version is the
// spool position just after the batch's last event. On start the exporter
// resumes from the usage table's txn version, so a crash anywhere (before
// the files are written, between files and commit, between the payload and
// the usage commits) re-reads the same events and the repeated Appends are
// no-ops for tables that already hold them. Payload tables are committed
// before the usage table, whose version is therefore never ahead of theirs.
//
// The export reads the spool, not ClickHouse: the spool is the one durable
// source both the hot store and the lake are filled from, so the lake keeps
// filling when ClickHouse is down or not configured (the embedded default).
// Appends it is caught up with it takes as they become durable, through the
// spool's tap, instead of reading back and decoding them (see memTail); the
// positions, and so the txn versions, are the spool's either way.
package export

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/tollgate/tollgate/services/telemetry/delta"
	"github.com/tollgate/tollgate/services/telemetry/spool"
)

// AppID names the exporter in the tables' txn actions.
const AppID = "tollgate-telemetry-export"

// UsageTable is the usage table's directory name under the root.
const UsageTable = "endpoint_usage"

// Options tune batching.
type Options struct {
	MaxRows       int           // events per Append (default 10000; one ingest batch more at most)
	FlushInterval time.Duration // longest wait before a partial batch is written (default 5s: fewer, larger files)
	Retry         time.Duration // first retry delay after a failed Append (default 200ms, doubling to 10s)
}

// DeltaExporter tails the spool into Delta tables under a root directory.
type DeltaExporter struct {
	sp       *spool.Spool
	root     string
	log      *slog.Logger
	opts     Options
	usage    *delta.Writer[delta.UsageRow]
	payloads map[string]*delta.Writer[delta.PayloadRow]
	tail     *memTail
	reg      prometheus.Registerer
	m        *metrics
	done     chan struct{}
}

// NewDeltaExporter opens (or creates) the usage table under root.
func NewDeltaExporter(ctx context.Context, sp *spool.Spool, root string, log *slog.Logger, reg prometheus.Registerer, opts Options) (*DeltaExporter, error) {
	if opts.MaxRows <= 0 {
		opts.MaxRows = 10000
	}
	if opts.FlushInterval <= 0 {
		opts.FlushInterval = 5 * time.Second
	}
	if opts.Retry <= 0 {
		opts.Retry = 200 * time.Millisecond
	}
	e := &DeltaExporter{sp: sp, root: root, log: log, opts: opts, reg: reg,
		payloads: map[string]*delta.Writer[delta.PayloadRow]{}, m: newMetrics(reg), done: make(chan struct{}),
		tail: newMemTail(2 * opts.MaxRows)}
	store, err := delta.NewLocalStorage(filepath.Join(root, UsageTable))
	if err != nil {
		return nil, err
	}
	if e.usage, err = delta.NewWriter(ctx, store, delta.UsageTableSpec(UsageTable), delta.Options{Registerer: reg}); err != nil {
		return nil, fmt.Errorf("export: open usage table: %w", err)
	}
	return e, nil
}

// Done is closed when Run has returned.
func (e *DeltaExporter) Done() <-chan struct{} { return e.done }

// Run exports until ctx ends; a failing Append is retried with backoff (the
// spool keeps the events), so Run returns only when ctx ends.
func (e *DeltaExporter) Run(ctx context.Context) error {
	defer close(e.done)
	defer e.sp.Tap(e.tail.add)()
	for {
		err := e.runOnce(ctx)
		if ctx.Err() != nil {
			return nil
		}
		e.log.Error("delta export failed; restarting from the last committed batch", "err", err)
		e.m.errors.Inc()
		if !sleep(ctx, e.opts.Retry) {
			return nil
		}
	}
}

// runOnce resumes from the usage table's watermark and exports until an
// error or ctx's end.
func (e *DeltaExporter) runOnce(ctx context.Context) error {
	last, err := e.usage.LastTxnVersion(ctx, AppID)
	if err != nil {
		return err
	}
	from := spool.Position{}
	if last >= 0 {
		from = Unpack(last)
	}
	r, err := e.sp.Reader(from)
	if err != nil {
		return err
	}
	defer r.Close()
	var batch usageBatch
	var first time.Time
	for {
		// Wait on the channel taken before reading, so an append between the
		// read and the wait is not missed.
		changed := e.sp.Changed()
		n, err := e.next(r, &batch)
		switch {
		case err == nil:
			if batch.len() == n {
				first = time.Now()
			}
			if batch.len() < e.opts.MaxRows {
				continue
			}
		case errors.Is(err, io.EOF):
			if batch.len() == 0 {
				e.m.behind.Set(0)
				select {
				case <-ctx.Done():
					return ctx.Err()
				case <-changed:
				}
				continue
			}
			if wait := e.opts.FlushInterval - time.Since(first); wait > 0 {
				select {
				case <-ctx.Done():
					return ctx.Err()
				case <-changed:
					continue
				case <-time.After(wait):
				}
			}
		default:
			return err
		}
		if err := e.append(ctx, &batch, Pack(r.Position())); err != nil {
			return err
		}
		batch.reset()
	}
}

// next adds the events at r's position to the batch and returns how many:
// the whole append the tail holds from there, or else one record read from
// the log.
func (e *DeltaExporter) next(r *spool.Reader, b *usageBatch) (int, error) {
	if c, ok := e.tail.take(r.Position(), e.sp.Committed()); ok {
		b.addChunk(c)
		r.Seek(c.to)
		e.tail.recycle(c)
		e.m.fromIngest.Add(float64(len(c.rows)))
		return len(c.rows), nil
	}
	at := r.Position()
	rec, err := r.NextRaw()
	if err != nil {
		return 0, err
	}
	if err := b.add(rec); err != nil {
		return 0, fmt.Errorf("%w at %s: %v", spool.ErrCorrupt, at, err)
	}
	e.m.fromSpool.Inc()
	return 1, nil
}

// append commits one batch to the payload tables it touches, then usage.
func (e *DeltaExporter) append(ctx context.Context, batch *usageBatch, version int64) error {
	batch.dropRepeats()
	for name, rows := range batch.payloadTables() {
		w, err := e.payloadWriter(ctx, name)
		if err != nil {
			return err
		}
		if _, err := w.Append(ctx, rows, AppID, version); err != nil {
			return fmt.Errorf("export: append to %s: %w", name, err)
		}
	}
	res, err := e.usage.Append(ctx, batch.rows, AppID, version)
	if err != nil {
		return fmt.Errorf("export: append to %s: %w", UsageTable, err)
	}
	if res.CheckpointErr != nil {
		e.log.Warn("delta checkpoint failed (the table stays readable from its log)", "err", res.CheckpointErr)
	}
	if !res.Skipped {
		e.m.rows.Add(float64(batch.len()))
	}
	e.m.lastExport.SetToCurrentTime()
	e.m.behind.Set(1)
	return nil
}

func (e *DeltaExporter) payloadWriter(ctx context.Context, name string) (*delta.Writer[delta.PayloadRow], error) {
	if w, ok := e.payloads[name]; ok {
		return w, nil
	}
	store, err := delta.NewLocalStorage(filepath.Join(e.root, name))
	if err != nil {
		return nil, err
	}
	w, err := delta.NewWriter(ctx, store, delta.PayloadTableSpec(name), delta.Options{Registerer: e.reg})
	if err != nil {
		return nil, fmt.Errorf("export: open %s: %w", name, err)
	}
	e.payloads[name] = w
	return w, nil
}

// Pack turns a spool position into a txn version (ordered like positions).
func Pack(p spool.Position) int64 { return int64(p.Segment)<<40 | p.Offset }

// Unpack reverses Pack.
func Unpack(v int64) spool.Position {
	return spool.Position{Segment: uint64(v >> 40), Offset: v & (1<<40 - 1)}
}

func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
