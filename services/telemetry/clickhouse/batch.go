package clickhouse

import (
	"context"
	"errors"
	"io"
	"time"

	"google.golang.org/protobuf/proto"

	telemetryv1 "github.com/tollgate/tollgate/gen/go/tollgate/telemetry/v1"
	"github.com/tollgate/tollgate/services/telemetry/spool"
)

// batch is the spool records [start, end) turned into rows.
type batch struct {
	start, end spool.Position
	// last is where the final record starts and lastID its request id
	// (recorded in loader_state once the batch is loaded).
	last    spool.Position
	lastID  string
	records int // records read, skipped ones included
	bytes   int // encoded size of the records read

	usage    usageBlock
	payloads []*payloadBlock // in order of first appearance
	seen     map[string]struct{}
	skipped  map[string]int // reason -> rows
}

func newBatch() *batch {
	return &batch{seen: make(map[string]struct{}), skipped: make(map[string]int)}
}

// reset empties the batch for the records from start on, keeping its memory.
func (b *batch) reset(start spool.Position) {
	b.start, b.end, b.last, b.lastID = start, start, spool.Position{}, ""
	b.records, b.bytes = 0, 0
	b.usage.reset()
	b.payloads = b.payloads[:0]
	clear(b.seen)
	clear(b.skipped)
}

// add turns one decoded record into rows. Records without a request id, or
// repeating one already in the batch, have no row: the request id is the
// row's identity, which exactly-once loading relies on.
func (b *batch) add(e *telemetryv1.UsageEvent) {
	id := e.GetDatabricksRequestId()
	if id == "" {
		b.skipped[skipMissingID]++
		return
	}
	if _, dup := b.seen[id]; dup {
		b.skipped[skipDuplicate]++
		return
	}
	b.seen[id] = struct{}{}
	b.usage.add(e)
	if e.GetPayload() != nil {
		b.payloadFor(PayloadTable(e.GetPayload().GetTableNamePrefix())).add(e)
	}
}

func (b *batch) payloadFor(table string) *payloadBlock {
	for _, p := range b.payloads {
		if p.table == table {
			return p
		}
	}
	p := &payloadBlock{table: table}
	b.payloads = append(b.payloads, p)
	return p
}

// batchLimits close a batch.
type batchLimits struct {
	rows  int
	bytes int
	delay time.Duration
}

// batchReader fills batches from the spool in order.
type batchReader struct {
	sp     *spool.Spool
	r      *spool.Reader
	limits batchLimits
	event  telemetryv1.UsageEvent
	timer  *time.Timer
}

func newBatchReader(sp *spool.Spool, from spool.Position, limits batchLimits) (*batchReader, error) {
	r, err := sp.Reader(from)
	if err != nil {
		return nil, err
	}
	t := time.NewTimer(time.Hour)
	t.Stop()
	return &batchReader{sp: sp, r: r, limits: limits, timer: t}, nil
}

func (br *batchReader) close() { _ = br.r.Close() }

// fill reads records into b (reset to start at the reader's position) until
// it holds limits.rows records or limits.bytes bytes, or limits.delay has passed
// since its first record. It waits for appends while the batch is empty. A
// read error is returned only if the batch is still empty; otherwise the
// batch is closed early and the error comes back on the next fill.
func (br *batchReader) fill(ctx context.Context, b *batch) error {
	b.reset(br.r.Position())
	var deadline <-chan time.Time
	for {
		changed := br.sp.Changed()
		start := br.r.Position()
		raw, err := br.r.NextRaw()
		switch {
		case err == nil:
		case errors.Is(err, io.EOF):
			if b.records == 0 {
				select {
				case <-ctx.Done():
					return ctx.Err()
				case <-changed:
				}
				continue
			}
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-changed:
				continue
			case <-deadline:
				return nil
			}
		default:
			if b.records == 0 {
				return err
			}
			return nil
		}
		b.records++
		b.bytes += len(raw)
		b.end = br.r.Position()
		br.event.Reset()
		b.last, b.lastID = start, ""
		if err := proto.Unmarshal(raw, &br.event); err != nil {
			b.skipped[skipUndecodable]++
		} else {
			b.lastID = br.event.GetDatabricksRequestId()
			b.add(&br.event)
		}
		if b.records == 1 {
			br.timer.Reset(br.limits.delay)
			deadline = br.timer.C
			defer br.timer.Stop()
		}
		if b.records >= br.limits.rows || b.bytes >= br.limits.bytes {
			return nil
		}
		select {
		case <-deadline:
			return nil
		default:
		}
	}
}
