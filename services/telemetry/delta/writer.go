package delta

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// DefaultCheckpointInterval is how many commits pass between checkpoints.
const DefaultCheckpointInterval = 10

// TableSpec describes a table whose rows are values of R. R's exported fields
// with `parquet` tags are the data columns (see parquet-go's tag syntax); the
// Delta schema is derived from them. The table is partitioned by a date
// column that is not a field of R: its value comes from PartitionDay.
type TableSpec[R any] struct {
	// Name and Description go into the table's metadata.
	Name        string
	Description string
	// PartitionColumn names the date partition column (e.g. "request_date").
	PartitionColumn string
	// PartitionAfter places the partition column after this data column in
	// the table schema; empty puts it last.
	PartitionAfter string
	// PartitionDay is the row's partition as days since the Unix epoch (UTC).
	PartitionDay func(*R) int32
	// NoStatsBounds lists columns that get no min/max stats (large payloads).
	NoStatsBounds []string
}

// Options tunes a Writer; zero fields take the defaults.
type Options struct {
	// CheckpointInterval: a checkpoint is written after each commit whose
	// version is a multiple of it (default 10; negative disables).
	CheckpointInterval int
	// Registerer receives the writer's metrics (nil registers none).
	Registerer prometheus.Registerer
	// Now is the clock (tests).
	Now func() time.Time
}

// Writer appends rows to one Delta table, exactly once per (appID, version):
// each Append commits its data files together with a txn action, and an
// Append whose txn version the table already has is a no-op. Appends are
// serialised; the Writer is safe for concurrent use.
type Writer[R any] struct {
	table    *Table
	spec     TableSpec[R]
	interval int
	metrics  *writerMetrics

	mu      sync.Mutex // serialises Append: guards enc and scratch
	enc     *fileEncoder[R]
	scratch []R
	days    []int32

	// beforeCommit, when set, runs after the data files are written and
	// before the commit; an error aborts the Append (tests simulate crashes).
	beforeCommit func() error
}

// AppendResult tells what an Append did.
type AppendResult struct {
	// Version is the table version committed, -1 when nothing was committed.
	Version int64
	// Skipped is true when the table already had this txn version.
	Skipped bool
	// Files and Rows written (zero when skipped).
	Files, Rows int
	// CheckpointErr is a failed checkpoint after a successful commit; the
	// data is committed regardless, the next checkpoint will cover it.
	CheckpointErr error
}

// NewWriter opens (creating it if needed) the table in store for rows of
// spec. An existing table must have the same schema, or the same plus
// nullable columns (added to the table's schema by a metadata commit).
func NewWriter[R any](ctx context.Context, store Storage, spec TableSpec[R], opts Options) (w *Writer[R], err error) {
	if spec.PartitionColumn == "" || spec.PartitionDay == nil {
		return nil, errors.New("delta: TableSpec needs PartitionColumn and PartitionDay")
	}
	if opts.CheckpointInterval == 0 {
		opts.CheckpointInterval = DefaultCheckpointInterval
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	defer func() {
		// parquet-go panics on struct tags it cannot use: a programming error,
		// reported as an error so the service does not die for it.
		if r := recover(); r != nil {
			w, err = nil, fmt.Errorf("delta: row type of table %q: %v", spec.Name, r)
		}
	}()
	enc := newFileEncoder[R](spec.NoStatsBounds)
	schema, err := tableSchema(enc.schema, spec.PartitionColumn, spec.PartitionAfter)
	if err != nil {
		return nil, err
	}
	t := OpenTable(store)
	t.now = opts.Now
	t.mu.Lock()
	err = t.ensureCreatedLocked(ctx, spec.Name, spec.Description, schema, []string{spec.PartitionColumn})
	t.mu.Unlock()
	if err != nil {
		return nil, err
	}
	return &Writer[R]{
		table:    t,
		spec:     spec,
		interval: opts.CheckpointInterval,
		metrics:  newWriterMetrics(opts.Registerer, spec.Name),
		enc:      enc,
	}, nil
}

// Table is the table written to.
func (w *Writer[R]) Table() *Table { return w.table }

// LastTxnVersion is the newest txn version appID committed to the table, -1
// for none: a restarted pipeline resumes after it.
func (w *Writer[R]) LastTxnVersion(ctx context.Context, appID string) (int64, error) {
	return w.table.LastTxnVersion(ctx, appID)
}

// Append writes rows (one Parquet file per partition) and commits them in a
// single new table version together with the txn action (appID, txnVersion).
// If the table already has txnVersion or a newer one for appID, nothing is
// written: retrying an Append whose outcome is unknown (a crash, an error)
// with the same txnVersion is always safe. Files written by an attempt that
// never committed are not part of the table. An empty rows still commits the
// txn, recording the progress.
func (w *Writer[R]) Append(ctx context.Context, rows []R, appID string, txnVersion int64) (AppendResult, error) {
	if appID == "" || txnVersion < 0 {
		return AppendResult{Version: -1}, errors.New("delta: Append needs an appID and a txn version ≥ 0")
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	t := w.table
	t.mu.Lock()
	defer t.mu.Unlock()

	if err := t.refreshLocked(ctx); err != nil {
		return AppendResult{Version: -1}, err
	}
	if t.snap.lastTxnVersion(appID) >= txnVersion {
		w.metrics.skipped.Inc()
		return AppendResult{Version: -1, Skipped: true}, nil
	}

	adds, err := w.writeFiles(ctx, rows)
	if err != nil {
		return AppendResult{Version: -1}, err
	}
	if w.beforeCommit != nil {
		if err := w.beforeCommit(); err != nil {
			return AppendResult{Version: -1}, err
		}
	}

	now := t.now().UnixMilli()
	skipped := false
	version, err := t.commitLocked(ctx, func(s *snapshot) ([]action, bool, error) {
		if s.lastTxnVersion(appID) >= txnVersion {
			skipped = true // a concurrent writer with the same appID got there first
			return nil, true, nil
		}
		actions := make([]action, 0, 2+len(adds))
		readVersion := s.version
		actions = append(actions,
			action{CommitInfo: &commitInfoAction{
				Timestamp: now, Operation: "WRITE", EngineInfo: engineInfo, IsBlindAppend: true, ReadVersion: &readVersion,
				OperationParams: map[string]string{"mode": "Append", "appId": appID, "txnVersion": strconv.FormatInt(txnVersion, 10)},
			}},
			action{Txn: &txnAction{AppID: appID, Version: txnVersion, LastUpdated: now}},
		)
		for i := range adds {
			actions = append(actions, action{Add: &adds[i]})
		}
		return actions, false, nil
	}, w.metrics.conflicts.Inc)
	if err != nil {
		return AppendResult{Version: -1}, err
	}
	if skipped {
		w.removeOrphans(ctx, adds)
		w.metrics.skipped.Inc()
		return AppendResult{Version: -1, Skipped: true}, nil
	}
	w.metrics.commits.Inc()
	w.metrics.rows.Add(float64(len(rows)))
	w.metrics.files.Add(float64(len(adds)))
	res := AppendResult{Version: version, Files: len(adds), Rows: len(rows)}
	if w.interval > 0 && version > 0 && version%int64(w.interval) == 0 {
		if err := t.checkpointLocked(ctx); err != nil {
			w.metrics.checkpointFailures.Inc()
			res.CheckpointErr = err
		} else {
			w.metrics.checkpoints.Inc()
		}
	}
	return res, nil
}

// writeFiles stores one data file per partition of rows and returns their
// add actions.
func (w *Writer[R]) writeFiles(ctx context.Context, rows []R) ([]addAction, error) {
	if len(rows) == 0 {
		return nil, nil
	}
	groups, days := w.partition(rows)
	defer func() { clear(w.scratch); w.scratch = w.scratch[:0] }() // drop references to the rows
	adds := make([]addAction, 0, len(groups))
	for i, group := range groups {
		date := formatDay(days[i])
		data, stats, err := w.enc.encode(group)
		if err != nil {
			return nil, err
		}
		path := dataFilePath(w.spec.PartitionColumn, date, i)
		if err := w.table.store.Put(ctx, path, data); err != nil {
			return nil, fmt.Errorf("delta: write data file: %w", err)
		}
		adds = append(adds, addAction{
			Path:             path,
			PartitionValues:  map[string]string{w.spec.PartitionColumn: date},
			Size:             int64(len(data)),
			ModificationTime: w.table.now().UnixMilli(),
			DataChange:       true,
			Stats:            stats,
		})
	}
	return adds, nil
}

// partition splits rows by partition day, keeping their order within a day.
// The common case, one day, returns rows itself without copying.
func (w *Writer[R]) partition(rows []R) (groups [][]R, days []int32) {
	w.days = w.days[:0]
	oneDay := true
	for i := range rows {
		d := w.spec.PartitionDay(&rows[i])
		w.days = append(w.days, d)
		oneDay = oneDay && d == w.days[0]
	}
	if oneDay {
		return [][]R{rows}, []int32{w.days[0]}
	}
	uniq := slices.Clone(w.days)
	slices.Sort(uniq)
	uniq = slices.Compact(uniq)
	w.scratch = slices.Grow(w.scratch[:0], len(rows))
	groups = make([][]R, 0, len(uniq))
	for _, d := range uniq {
		start := len(w.scratch)
		for i := range rows {
			if w.days[i] == d {
				w.scratch = append(w.scratch, rows[i])
			}
		}
		groups = append(groups, w.scratch[start:len(w.scratch):len(w.scratch)])
	}
	// The groups alias scratch, which writeFiles clears once they are written.
	return groups, uniq
}

// removeOrphans deletes data files of an abandoned commit, best effort: they
// are not in the log, so leaving them is harmless.
func (w *Writer[R]) removeOrphans(ctx context.Context, adds []addAction) {
	for _, a := range adds {
		_ = w.table.store.Delete(ctx, a.Path)
	}
}
