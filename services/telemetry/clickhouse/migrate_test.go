package clickhouse

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
)

// columnsOf lists a table's columns in order (DESCRIBE: 18.16's
// system.columns has no position).
func columnsOf(t *testing.T, st *Store, table string) []string {
	t.Helper()
	rows, err := st.conn.Query(context.Background(), "DESCRIBE TABLE "+st.table(table))
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var cols []string
	for rows.Next() {
		fields := make([]any, len(rows.Columns()))
		for i := range fields {
			fields[i] = new(string)
		}
		if err := rows.Scan(fields...); err != nil {
			t.Fatal(err)
		}
		cols = append(cols, *fields[0].(*string))
	}
	return cols
}

func migrationRows(t *testing.T, st *Store) []uint32 {
	t.Helper()
	rows, err := st.conn.Query(context.Background(), "SELECT version FROM "+st.table(tableMigrations)+" ORDER BY version")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []uint32
	for rows.Next() {
		var v uint32
		if err := rows.Scan(&v); err != nil {
			t.Fatal(err)
		}
		out = append(out, v)
	}
	return out
}

func TestMigrateFromEmpty(t *testing.T) {
	srv := requireServer(t)
	st := newTestStore(t, srv)
	ctx := context.Background()
	if v, err := st.SchemaVersion(ctx); err != nil || v != 0 {
		t.Fatalf("empty database: version %d, %v; want 0", v, err)
	}
	if err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	if v, err := st.SchemaVersion(ctx); err != nil || v != LatestSchemaVersion() {
		t.Fatalf("after Migrate: version %d, %v; want %d", v, err, LatestSchemaVersion())
	}
	for _, table := range []string{tableUsage, tableServedEntities, tablePayloadTemplate, tableLoaderState} {
		if ok, err := st.tableExists(ctx, table); err != nil || !ok {
			t.Errorf("table %s missing after Migrate (%v)", table, err)
		}
	}
	if got, want := columnsOf(t, st, tableUsage), append(slices.Clone(usageColumns), "loaded_at"); !slices.Equal(got, want) {
		t.Errorf("endpoint_usage columns = %v, want %v", got, want)
	}
	if got := columnsOf(t, st, tablePayloadTemplate); !slices.Equal(got, payloadColumns) {
		t.Errorf("payload template columns = %v, want %v", got, payloadColumns)
	}
	// Idempotent: a second run (another replica, a restart) changes nothing.
	if err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	if got := migrationRows(t, st); !slices.Equal(got, []uint32{1, 2}) {
		t.Errorf("schema_migrations versions = %v, want [1 2]", got)
	}
}

func TestMigrateFromV1ToV2KeepsRows(t *testing.T) {
	srv := requireServer(t)
	st := newTestStore(t, srv)
	ctx := context.Background()
	if err := st.migrateTo(ctx, 1); err != nil {
		t.Fatal(err)
	}
	if v, _ := st.SchemaVersion(ctx); v != 1 {
		t.Fatalf("version %d, want 1", v)
	}
	if slices.Contains(columnsOf(t, st, tableUsage), "loaded_at") {
		t.Fatal("v1 already has loaded_at")
	}
	// Rows written by a v1 loader.
	var block usageBlock
	for _, e := range makeEvents("v1", 0, 50) {
		block.add(e)
	}
	err := st.insert(ctx, "", tableUsage, usageColumns, func(b driver.Batch) error { return appendColumns(b, block.columns(0, block.len())) })
	if err != nil {
		t.Fatal(err)
	}

	if err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	if v, _ := st.SchemaVersion(ctx); v != 2 {
		t.Fatalf("version %d after upgrade, want 2", v)
	}
	if !slices.Contains(columnsOf(t, st, tableUsage), "loaded_at") {
		t.Fatal("loaded_at missing after the upgrade")
	}
	var n, stamped uint64
	if err := st.conn.QueryRow(ctx, "SELECT count(), countIf(loaded_at > toDateTime(0)) FROM "+st.table(tableUsage)).Scan(&n, &stamped); err != nil {
		t.Fatal(err)
	}
	if n != 50 {
		t.Errorf("%d rows after the upgrade, want 50", n)
	}
	// Rows inserted after the upgrade get loaded_at from its default.
	block.reset()
	for _, e := range makeEvents("v2", 0, 5) {
		block.add(e)
	}
	before := time.Now().Add(-time.Second).Truncate(time.Second)
	err = st.insert(ctx, "", tableUsage, usageColumns, func(b driver.Batch) error { return appendColumns(b, block.columns(0, block.len())) })
	if err != nil {
		t.Fatal(err)
	}
	var loadedAt time.Time
	if err := st.conn.QueryRow(ctx, "SELECT max(loaded_at) FROM "+st.table(tableUsage)+" WHERE databricks_request_id LIKE 'v2-%'").Scan(&loadedAt); err != nil {
		t.Fatal(err)
	}
	if loadedAt.Before(before) {
		t.Errorf("loaded_at = %s for a fresh row, want about now", loadedAt)
	}
}

// A step that ran but was not recorded (a crash in between) runs again
// without failing.
func TestMigrateRerunsAnUnrecordedStep(t *testing.T) {
	srv := requireServer(t)
	st := newTestStore(t, srv)
	ctx := context.Background()
	if err := st.migrateTo(ctx, 1); err != nil {
		t.Fatal(err)
	}
	if err := migrations[1].apply(ctx, st); err != nil {
		t.Fatal(err)
	}
	if err := st.Migrate(ctx); err != nil {
		t.Fatalf("Migrate after an unrecorded step: %v", err)
	}
	if got := migrationRows(t, st); !slices.Equal(got, []uint32{1, 2}) {
		t.Errorf("schema_migrations versions = %v, want [1 2]", got)
	}
}

func TestPayloadTablesAreCreatedFromTheTemplate(t *testing.T) {
	srv := requireServer(t)
	st := newTestStore(t, srv)
	ctx := context.Background()
	if err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	table := PayloadTable("team.alpha-1")
	for range 2 { // idempotent
		if err := st.createPayloadTable(ctx, table); err != nil {
			t.Fatal(err)
		}
	}
	if got := columnsOf(t, st, table); !slices.Equal(got, payloadColumns) {
		t.Errorf("%s columns = %v, want %v", table, got, payloadColumns)
	}
	var engine string
	if err := st.conn.QueryRow(ctx, "SELECT engine_full FROM system.tables WHERE database = ? AND name = ?", st.Database(), table).Scan(&engine); err != nil {
		t.Fatal(err)
	}
	if want := "MergeTree PARTITION BY request_date ORDER BY (request_time, databricks_request_id)"; len(engine) < len(want) || engine[:len(want)] != want {
		t.Errorf("%s engine = %q, want %q…", table, engine, want)
	}
}
