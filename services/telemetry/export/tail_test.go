package export

import (
	"testing"

	telemetryv1 "github.com/tollgate/tollgate/gen/go/tollgate/telemetry/v1"
	"github.com/tollgate/tollgate/services/telemetry/spool"
)

func pos(off int64) spool.Position { return spool.Position{Segment: 1, Offset: off} }

func appended(from, to int64, evs []*telemetryv1.UsageEvent) spool.Appended {
	return spool.Appended{Events: evs, From: pos(from), To: pos(to)}
}

// The tail hands out an append only to a reader standing exactly at its
// start, and only once the log includes it; appends the reader went past are
// dropped, and appends that do not fit are not kept.
func TestMemTailTakesOnlyTheAppendAtTheReader(t *testing.T) {
	tail := newMemTail(10)
	tail.add(appended(8, 100, events(0, 4, true)))
	tail.add(appended(100, 200, events(4, 4, false)))
	tail.add(appended(200, 300, events(8, 4, false))) // 12 rows: over the limit, not kept
	tail.add(appended(300, 400, events(12, 2, false)))
	end := pos(400)

	if _, ok := tail.take(pos(50), end); ok {
		t.Fatal("took an append that does not start at the reader")
	}
	c, ok := tail.take(pos(100), end) // the first was read from the log meanwhile
	if !ok || c.from != pos(100) || c.to != pos(200) || len(c.rows) != 4 || c.rows[0].DatabricksRequestID != "req-000004" {
		t.Fatalf("take at 100 = %v, %+v", ok, c)
	}
	tail.recycle(c)
	if _, ok := tail.take(pos(200), end); ok {
		t.Fatal("took an append the tail had no room for")
	}
	if _, ok := tail.take(pos(300), pos(350)); ok {
		t.Fatal("took an append the log does not include yet")
	}
	c, ok = tail.take(pos(300), end)
	if !ok || len(c.rows) != 2 || c.rows[1].DatabricksRequestID != "req-000013" {
		t.Fatalf("take at 300 = %v, %+v", ok, c)
	}
	if tail.rows != 0 || len(tail.chunks) != 0 {
		t.Fatalf("tail still holds %d rows in %d appends", tail.rows, len(tail.chunks))
	}
}

func TestMemTailKeepsPayloadsWithTheirRows(t *testing.T) {
	tail := newMemTail(100)
	evs := events(0, 7, true) // payloads on 0, 3 and 6
	tail.add(appended(8, 500, evs))
	c, ok := tail.take(pos(8), pos(500))
	if !ok || len(c.payloads) != 3 {
		t.Fatalf("take = %v with %d payloads", ok, len(c.payloads))
	}
	for _, p := range c.payloads {
		if c.rows[p.usageRow].DatabricksRequestID != p.row.DatabricksRequestID || p.table != "chat_payload" {
			t.Fatalf("payload %s in %s points at row %d (%s)", p.row.DatabricksRequestID, p.table, p.usageRow, c.rows[p.usageRow].DatabricksRequestID)
		}
	}
	var b usageBatch
	b.addChunk(c)
	b.addChunk(c)
	if b.len() != 14 || len(b.payloads) != 6 || b.payloads[3].usageRow != 7 {
		t.Fatalf("batch of two chunks: %d rows, payloads %+v", b.len(), b.payloads)
	}
}
