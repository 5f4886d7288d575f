package clickhouse

import (
	"context"
	"fmt"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/tollgate/tollgate/services/telemetry/spool"
)

// loaderState is one row of loader_state: how far a loader got.
type loaderState struct {
	seq uint64
	// loaded: every spool record before it is in ClickHouse.
	loaded spool.Position
	// last is the start of the record that ends at loaded and lastID its
	// request id: reading it back proves the spool is still the one loaded
	// (a replaced or wiped spool reuses positions).
	last   spool.Position
	lastID string
	// pending: records in [loaded, pending) may be in ClickHouse, because an
	// insert of them was started and its outcome is not known. It is
	// written before such an insert begins and never decreases.
	pending spool.Position
}

// readState returns the loader's newest state row; found is false when the
// loader has never written one.
func (s *Store) readState(ctx context.Context, loader string) (st loaderState, found bool, err error) {
	rows, err := s.conn.Query(ctx, "SELECT seq, loaded_segment, loaded_offset, last_segment, last_offset, last_request_id, pending_segment, pending_offset FROM "+
		s.table(tableLoaderState)+" WHERE loader = ? ORDER BY seq DESC LIMIT 1", loader)
	if err != nil {
		return st, false, err
	}
	defer rows.Close()
	if !rows.Next() {
		return st, false, rows.Err()
	}
	err = rows.Scan(&st.seq, &st.loaded.Segment, &st.loaded.Offset, &st.last.Segment, &st.last.Offset, &st.lastID, &st.pending.Segment, &st.pending.Offset)
	if err != nil {
		return st, false, fmt.Errorf("read %s: %w", tableLoaderState, err)
	}
	return st, true, rows.Err()
}

// writeState appends a state row. The caller gives every write a larger seq
// than the last, failed attempts included, so the newest row wins even if
// an attempt reported as failed was applied after all.
func (s *Store) writeState(ctx context.Context, queryID, loader string, st loaderState) error {
	return s.insert(ctx, queryID, tableLoaderState, loaderStateColumns, func(b driver.Batch) error {
		return b.Append(loader, st.seq, st.loaded.Segment, st.loaded.Offset, st.last.Segment, st.last.Offset,
			st.lastID, st.pending.Segment, st.pending.Offset, time.Now())
	})
}

func maxPosition(a, b spool.Position) spool.Position {
	if a.Less(b) {
		return b
	}
	return a
}
