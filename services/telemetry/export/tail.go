package export

import (
	"maps"
	"slices"
	"sync"

	telemetryv1 "github.com/tollgate/tollgate/gen/go/tollgate/telemetry/v1"
	"github.com/tollgate/tollgate/services/telemetry/delta"
	"github.com/tollgate/tollgate/services/telemetry/spool"
)

// memTail holds the newest appends as table rows, converted from the events
// through the spool's tap the moment they became durable, so the exporter
// does not read back and decode what the ingest has just handed over. It is
// only a shortcut: the exporter takes an append from here when it starts
// exactly where the exporter's reader stands, and reads the log as before
// otherwise (after a start or an error, and for appends the tail had no room
// for). Rows, positions and txn versions are the same either way.
type memTail struct {
	limit int // rows held at most

	mu     sync.Mutex
	chunks []tailChunk // in log order
	rows   int         // in chunks
	free   [][]delta.UsageRow
}

// tailChunk is one append as rows: the events between from and to.
type tailChunk struct {
	from, to spool.Position
	rows     []delta.UsageRow
	payloads []payloadRow // usageRow indexes rows
}

func newMemTail(limit int) *memTail { return &memTail{limit: limit} }

// add converts an append; it is the spool's tap, on the spool's writer
// goroutine. The rows own everything they hold (strings are immutable; the
// groups, usage context and error codes are copied), so nothing the sender
// does to its events later can reach the table.
func (t *memTail) add(a spool.Appended) {
	t.mu.Lock()
	full := t.rows+len(a.Events) > t.limit
	var rows []delta.UsageRow
	if n := len(t.free); n > 0 && !full {
		rows, t.free = t.free[n-1], t.free[:n-1]
	}
	t.mu.Unlock()
	if full {
		return // the exporter reads these from the log
	}
	c := tailChunk{from: a.From, to: a.To, rows: slices.Grow(rows[:0], len(a.Events))}
	groups := make([]string, 0, groupCount(a.Events))
	for _, e := range a.Events {
		row := delta.UsageRowOf(e)
		if len(row.Groups) > 0 {
			start := len(groups)
			groups = append(groups, row.Groups...)
			row.Groups = groups[start:len(groups):len(groups)]
		} else {
			row.Groups = nil
		}
		if len(row.UsageContext) > 0 {
			row.UsageContext = maps.Clone(row.UsageContext)
		} else {
			row.UsageContext = nil
		}
		c.rows = append(c.rows, row)
		if p, ok := delta.PayloadRowOf(e); ok {
			p.LoggingErrorCodes = slices.Clone(p.LoggingErrorCodes)
			c.payloads = append(c.payloads, payloadRow{
				usageRow: len(c.rows) - 1,
				table:    delta.PayloadTableName(e.GetPayload().GetTableNamePrefix()),
				row:      p,
			})
		}
	}
	t.mu.Lock()
	t.chunks = append(t.chunks, c)
	t.rows += len(c.rows)
	t.mu.Unlock()
}

func groupCount(events []*telemetryv1.UsageEvent) int {
	n := 0
	for _, e := range events {
		n += len(e.GetGroups())
	}
	return n
}

// take returns the append that starts at at, if the tail has it and it is
// within committed (the spool's tap runs just before an append is
// published), and drops the appends before at (the exporter has read those
// from the log). Give the chunk back with recycle once its rows are copied.
func (t *memTail) take(at, committed spool.Position) (tailChunk, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for len(t.chunks) > 0 && t.chunks[0].from.Less(at) {
		t.recycleLocked(t.pop())
	}
	if len(t.chunks) == 0 || t.chunks[0].from != at || committed.Less(t.chunks[0].to) {
		return tailChunk{}, false
	}
	return t.pop(), true
}

// pop removes the oldest chunk. Callers hold mu.
func (t *memTail) pop() tailChunk {
	c := t.chunks[0]
	t.chunks[0] = tailChunk{}
	t.chunks = t.chunks[1:]
	t.rows -= len(c.rows)
	return c
}

// recycle keeps a taken chunk's row buffer for a later append.
func (t *memTail) recycle(c tailChunk) {
	t.mu.Lock()
	t.recycleLocked(c)
	t.mu.Unlock()
}

// maxFreeBuffers bounds the row buffers kept for reuse.
const maxFreeBuffers = 8

func (t *memTail) recycleLocked(c tailChunk) {
	clear(c.rows)
	if len(t.free) < maxFreeBuffers {
		t.free = append(t.free, c.rows[:0])
	}
}
