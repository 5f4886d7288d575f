package delta

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

// commitHookStorage runs a hook before the first commit-file create it sees,
// so a test can slip another writer's commit in between a writer's last
// refresh and its commit.
type commitHookStorage struct {
	Storage
	once sync.Once
	hook func()
}

func (s *commitHookStorage) PutIfAbsent(ctx context.Context, path string, data []byte) error {
	if strings.HasSuffix(path, ".json") {
		s.once.Do(s.hook)
	}
	return s.Storage.PutIfAbsent(ctx, path, data)
}

func usageRows(batch, n int) []UsageRow { return AppendUsageRows(nil, testEvents(batch, n)) }

func loadTestSnapshot(t *testing.T, dir string) *snapshot {
	t.Helper()
	store, err := NewLocalStorage(dir)
	if err != nil {
		t.Fatal(err)
	}
	s, err := loadSnapshot(context.Background(), store)
	if err != nil {
		t.Fatalf("loadSnapshot: %v", err)
	}
	return s
}

func TestConflictingCommitRetriesAtNextVersion(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	other := newTestWriter(t, dir, UsageTableSpec("usage"), Options{})
	base, err := NewLocalStorage(dir)
	if err != nil {
		t.Fatal(err)
	}
	var otherVersion int64
	hooked := &commitHookStorage{Storage: base, hook: func() {
		res := mustAppend(t, other, usageRows(100, 5), "other-app", 0)
		otherVersion = res.Version
	}}
	reg := prometheus.NewRegistry()
	w, err := NewWriter(ctx, Storage(base), UsageTableSpec("usage"), Options{Registerer: reg})
	if err != nil {
		t.Fatal(err)
	}
	w.table.store = hooked // from here on, the other writer commits first

	res := mustAppend(t, w, usageRows(1, 5), "spool", 0)
	if otherVersion != 1 || res.Version != 2 {
		t.Fatalf("versions: other %d, ours %d; want 1 and 2", otherVersion, res.Version)
	}
	if got := testutil.ToFloat64(w.metrics.conflicts); got != 1 {
		t.Errorf("conflicts counted = %v, want 1", got)
	}
	s := loadTestSnapshot(t, dir)
	if len(s.files) != 2 || s.lastTxnVersion("spool") != 0 || s.lastTxnVersion("other-app") != 0 {
		t.Errorf("state after the race: %d files, txns %v", len(s.files), s.txns)
	}
}

func TestConcurrentDuplicateAppendCommitsOnce(t *testing.T) {
	// Two writers race to commit the same (appId, version): the loser finds
	// the txn in the log on retry, commits nothing and removes its files.
	ctx := context.Background()
	dir := t.TempDir()
	other := newTestWriter(t, dir, UsageTableSpec("usage"), Options{})
	base, err := NewLocalStorage(dir)
	if err != nil {
		t.Fatal(err)
	}
	w, err := NewWriter(ctx, Storage(base), UsageTableSpec("usage"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	w.table.store = &commitHookStorage{Storage: base, hook: func() {
		mustAppend(t, other, usageRows(1, 5), "spool", 7)
	}}
	res := mustAppend(t, w, usageRows(1, 5), "spool", 7)
	if !res.Skipped {
		t.Fatalf("duplicate append committed: %+v", res)
	}
	s := loadTestSnapshot(t, dir)
	if s.version != 1 || len(s.files) != 1 {
		t.Errorf("table at version %d with %d files; want 1 and 1", s.version, len(s.files))
	}
	if n := parquetFilesOnDisk(t, dir); n != 1 {
		t.Errorf("%d data files on disk; the loser's should have been removed", n)
	}
}

func TestConcurrentWritersKeepEveryCommit(t *testing.T) {
	dir := t.TempDir()
	const writers, appends = 3, 12
	var wg sync.WaitGroup
	for i := range writers {
		w := newTestWriter(t, dir, UsageTableSpec("usage"), Options{CheckpointInterval: 5})
		wg.Go(func() {
			for v := range appends {
				if _, err := w.Append(context.Background(), usageRows(i*100+v, 3), fmt.Sprintf("app-%d", i), int64(v)); err != nil {
					t.Errorf("writer %d append %d: %v", i, v, err)
					return
				}
			}
		})
	}
	wg.Wait()
	s := loadTestSnapshot(t, dir)
	if s.version != writers*appends {
		t.Errorf("version = %d, want %d", s.version, writers*appends)
	}
	rows := int64(0)
	for _, f := range s.files {
		var st fileStats
		if err := json.Unmarshal([]byte(f.Stats), &st); err != nil {
			t.Fatal(err)
		}
		rows += st.NumRecords
	}
	if rows != writers*appends*3 {
		t.Errorf("%d rows in the table, want %d", rows, writers*appends*3)
	}
	for i := range writers {
		if v := s.lastTxnVersion(fmt.Sprintf("app-%d", i)); v != appends-1 {
			t.Errorf("app-%d txn version = %d", i, v)
		}
	}
}

func TestCheckpointHoldsTheWholeState(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	w := newTestWriter(t, dir, UsageTableSpec("usage"), Options{CheckpointInterval: 4})
	for v := range 6 {
		mustAppend(t, w, usageRows(v, 4), "spool", int64(v))
	}
	mustAppend(t, w, nil, "other", 41) // progress only, no rows
	want := w.table.snap

	var lc lastCheckpoint
	data, err := os.ReadFile(filepath.Join(dir, "_delta_log", "_last_checkpoint"))
	if err != nil || json.Unmarshal(data, &lc) != nil || lc.Version != 4 {
		t.Fatalf("_last_checkpoint = %s, %v; want version 4", data, err)
	}
	if lc.NumOfAddFiles == 0 || lc.Size != lc.NumOfAddFiles+3 { // protocol, metaData, one txn
		t.Errorf("_last_checkpoint = %+v", lc)
	}
	// Drop the commits the checkpoint covers: the state must not change.
	for v := range int64(5) {
		if err := os.Remove(filepath.Join(dir, filepath.FromSlash(commitPath(v)))); err != nil {
			t.Fatal(err)
		}
	}
	got := loadTestSnapshot(t, dir)
	if got.version != want.version || got.checkpointVersion != 4 {
		t.Errorf("version %d (checkpoint %d), want %d (4)", got.version, got.checkpointVersion, want.version)
	}
	if !reflect.DeepEqual(got.protocol, want.protocol) || !reflect.DeepEqual(got.metadata, want.metadata) {
		t.Errorf("protocol/metadata differ:\n got %+v %+v\nwant %+v %+v", got.protocol, got.metadata, want.protocol, want.metadata)
	}
	if !maps.Equal(got.txns, want.txns) {
		t.Errorf("txns = %v, want %v", got.txns, want.txns)
	}
	if !maps.EqualFunc(got.files, want.files, func(a, b *addAction) bool { return reflect.DeepEqual(a, b) }) {
		t.Errorf("files differ: %d vs %d", len(got.files), len(want.files))
	}
	table := OpenTable(w.table.store)
	if v, err := table.LastTxnVersion(ctx, "spool"); err != nil || v != 5 {
		t.Errorf("LastTxnVersion(spool) = %d, %v; want 5", v, err)
	}
	if v, _ := table.LastTxnVersion(ctx, "other"); v != 41 {
		t.Errorf("LastTxnVersion(other) = %d, want 41", v)
	}
	if v, _ := table.LastTxnVersion(ctx, "never"); v != -1 {
		t.Errorf("LastTxnVersion(never) = %d, want -1", v)
	}
}

func TestAppendSplitsRowsByDay(t *testing.T) {
	dir := t.TempDir()
	w := newTestWriter(t, dir, UsageTableSpec("usage"), Options{})
	day := func(d int) int64 { return time.Date(2025, 1, d, 12, 0, 0, 0, time.UTC).UnixMicro() }
	var rows []UsageRow
	for i, d := range []int{3, 1, 3, 2, 1, 3} {
		rows = append(rows, UsageRow{DatabricksRequestID: fmt.Sprint(i), RequestTimeMicros: day(d)})
	}
	res := mustAppend(t, w, rows, "spool", 0)
	if res.Files != 3 {
		t.Fatalf("%d files, want 3", res.Files)
	}
	perDay := map[string]int64{}
	for _, f := range loadTestSnapshot(t, dir).files {
		date := f.PartitionValues[RequestDateColumn]
		if !strings.HasPrefix(f.Path, RequestDateColumn+"="+date+"/") {
			t.Errorf("file %s is not in its partition's directory (%s)", f.Path, date)
		}
		var st fileStats
		if err := json.Unmarshal([]byte(f.Stats), &st); err != nil {
			t.Fatal(err)
		}
		perDay[date] = st.NumRecords
	}
	want := map[string]int64{"2025-01-01": 2, "2025-01-02": 1, "2025-01-03": 3}
	if !maps.Equal(perDay, want) {
		t.Errorf("rows per day = %v, want %v", perDay, want)
	}
}

func TestCrashBeforeCommitLeavesOnlyOrphans(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	w := newTestWriter(t, dir, UsageTableSpec("usage"), Options{})
	w.beforeCommit = func() error { return fmt.Errorf("killed") }
	if _, err := w.Append(ctx, usageRows(0, 10), "spool", 0); err == nil {
		t.Fatal("Append succeeded despite the crash")
	}
	if v, _ := w.LastTxnVersion(ctx, "spool"); v != -1 {
		t.Fatalf("txn recorded without a commit: %d", v)
	}
	restarted := newTestWriter(t, dir, UsageTableSpec("usage"), Options{})
	mustAppend(t, restarted, usageRows(0, 10), "spool", 0)
	s := loadTestSnapshot(t, dir)
	if len(s.files) != 1 || parquetFilesOnDisk(t, dir) != 2 {
		t.Errorf("%d files in the log, %d on disk; want 1 and 2 (one orphan)", len(s.files), parquetFilesOnDisk(t, dir))
	}
}

type narrowRow struct {
	ID   string `parquet:"id"`
	TSUs int64  `parquet:"ts,timestamp(microsecond:utc)"`
}

type widerRow struct {
	ID    string  `parquet:"id"`
	TSUs  int64   `parquet:"ts,timestamp(microsecond:utc)"`
	Extra *string `parquet:"extra,optional"`
}

type clashingRow struct {
	ID   int64 `parquet:"id"`
	TSUs int64 `parquet:"ts,timestamp(microsecond:utc)"`
}

func specOf[R any](ts func(*R) int64) TableSpec[R] {
	return TableSpec[R]{Name: "t", PartitionColumn: "day", PartitionDay: func(r *R) int32 { return DayOfMicros(ts(r)) }}
}

func TestSchemaEvolutionAllowsOnlyNullableAdditions(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	store, _ := NewLocalStorage(dir)
	if _, err := NewWriter(ctx, store, specOf(func(r *narrowRow) int64 { return r.TSUs }), Options{}); err != nil {
		t.Fatal(err)
	}
	if _, err := NewWriter(ctx, store, specOf(func(r *clashingRow) int64 { return r.TSUs }), Options{}); err == nil {
		t.Error("a writer with a changed column type opened the table")
	}
	wide, err := NewWriter(ctx, store, specOf(func(r *widerRow) int64 { return r.TSUs }), Options{})
	if err != nil {
		t.Fatalf("adding a nullable column: %v", err)
	}
	if !strings.Contains(wide.table.snap.metadata.SchemaString, `"extra"`) {
		t.Error("the new column is not in the table's schema")
	}
	// The same schema again commits nothing.
	v, _ := wide.table.Version(ctx)
	if _, err := NewWriter(ctx, store, specOf(func(r *widerRow) int64 { return r.TSUs }), Options{}); err != nil {
		t.Fatal(err)
	}
	if v2, _ := wide.table.Version(ctx); v2 != v {
		t.Errorf("reopening with the same schema committed version %d", v2)
	}
}

func TestUsageSchemaTypes(t *testing.T) {
	w := newTestWriter(t, t.TempDir(), UsageTableSpec("usage"), Options{})
	var st structType
	if err := json.Unmarshal([]byte(w.table.snap.metadata.SchemaString), &st); err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	var order []string
	for _, f := range st.Fields {
		b, _ := json.Marshal(f.Type)
		got[f.Name] = strings.Trim(string(b), `"`)
		order = append(order, f.Name)
	}
	want := map[string]string{
		"request_time":      "timestamp",
		"request_date":      "date",
		"status_code":       "integer",
		"input_token_count": "long",
		"request_streaming": "boolean",
		"groups":            `{"containsNull":false,"elementType":"string","type":"array"}`,
		"usage_context":     `{"keyType":"string","type":"map","valueContainsNull":false,"valueType":"string"}`,
		"requester":         "string",
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: %s, want %s", k, got[k], v)
		}
	}
	if len(order) != len(wantUsageColumns) {
		t.Fatalf("%d columns, want %d", len(order), len(wantUsageColumns))
	}
	for i, c := range wantUsageColumns {
		if order[i] != c[0] {
			t.Errorf("column %d is %s, want %s", i, order[i], c[0])
		}
	}
	if !reflect.DeepEqual(w.table.snap.metadata.PartitionColumns, []string{"request_date"}) {
		t.Errorf("partition columns = %v", w.table.snap.metadata.PartitionColumns)
	}
}
