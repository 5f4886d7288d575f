package export

import (
	"google.golang.org/protobuf/proto"

	telemetryv1 "github.com/tollgate/tollgate/gen/go/tollgate/telemetry/v1"
	"github.com/tollgate/tollgate/services/telemetry/delta"
)

// usageBatch holds the events read since the last commit, already as table
// rows. Rows are decoded straight from the spool's records (see
// delta.UsageRowDecoder); only events with an inference payload, or in a
// shape the decoder leaves to protobuf, go through proto.Unmarshal. Its
// slices are reused from one batch to the next.
type usageBatch struct {
	arena    recordArena
	decoder  delta.UsageRowDecoder
	rows     []delta.UsageRow
	payloads []payloadRow // in the order of their rows
	seen     map[string]struct{}
}

// payloadRow is an inference-table row and the usage row of its event.
type payloadRow struct {
	usageRow int
	table    string
	row      delta.PayloadRow
}

func (b *usageBatch) len() int { return len(b.rows) }

// add decodes one spool record (an encoded UsageEvent) into the batch. An
// error means the record is not a UsageEvent; the batch is unchanged.
func (b *usageBatch) add(rec []byte) error {
	b.rows = append(b.rows, delta.UsageRow{})
	row := &b.rows[len(b.rows)-1]
	hasPayload, ok := b.decoder.Decode(b.arena.keep(rec), row)
	if ok && !hasPayload {
		return nil
	}
	var ev telemetryv1.UsageEvent
	if err := proto.Unmarshal(rec, &ev); err != nil {
		b.rows = b.rows[:len(b.rows)-1]
		return err
	}
	if !ok {
		*row = delta.UsageRowOf(&ev)
	}
	if p, has := delta.PayloadRowOf(&ev); has {
		b.payloads = append(b.payloads, payloadRow{
			usageRow: len(b.rows) - 1,
			table:    delta.PayloadTableName(ev.GetPayload().GetTableNamePrefix()),
			row:      p,
		})
	}
	return nil
}

// addChunk adds an append the tail converted.
func (b *usageBatch) addChunk(c tailChunk) {
	base := len(b.rows)
	b.rows = append(b.rows, c.rows...)
	for _, p := range c.payloads {
		p.usageRow += base
		b.payloads = append(b.payloads, p)
	}
}

// dropRepeats keeps the first event of each request id, as the ClickHouse
// loader does, so both stores agree even if the spool ever holds an event
// twice (telemetry's ingest dedups within a bounded window only).
func (b *usageBatch) dropRepeats() {
	if b.seen == nil {
		b.seen = make(map[string]struct{}, len(b.rows))
	}
	kept, keptPayloads, p := 0, 0, 0
	for i := range b.rows {
		id := b.rows[i].DatabricksRequestID
		_, repeat := b.seen[id]
		if !repeat {
			b.seen[id] = struct{}{}
			if kept != i {
				b.rows[kept] = b.rows[i]
			}
		}
		for ; p < len(b.payloads) && b.payloads[p].usageRow == i; p++ {
			if !repeat {
				b.payloads[keptPayloads] = b.payloads[p]
				b.payloads[keptPayloads].usageRow = kept
				keptPayloads++
			}
		}
		if !repeat {
			kept++
		}
	}
	clear(b.rows[kept:])
	b.rows = b.rows[:kept]
	clear(b.payloads[keptPayloads:])
	b.payloads = b.payloads[:keptPayloads]
	clear(b.seen) // its keys point into the records
}

// payloadTables groups the payload rows by inference table.
func (b *usageBatch) payloadTables() map[string][]delta.PayloadRow {
	if len(b.payloads) == 0 {
		return nil
	}
	byTable := map[string][]delta.PayloadRow{}
	for _, p := range b.payloads {
		byTable[p.table] = append(byTable[p.table], p.row)
	}
	return byTable
}

// reset empties the batch for the next one, letting go of its records.
func (b *usageBatch) reset() {
	clear(b.rows)
	b.rows = b.rows[:0]
	clear(b.payloads)
	b.payloads = b.payloads[:0]
}
