package clickhouse

import (
	"context"
	"testing"
	"time"

	ch "github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/ext"
)

func TestScratch(t *testing.T) {
	ctx := context.Background()
	conn, err := ch.Open(&ch.Options{Addr: []string{"127.0.0.1:19000"}, DialTimeout: time.Second})
	if err != nil { t.Fatal(err) }
	tbl, err := ext.NewTable("ids", ext.Column("id", "String"))
	if err != nil { t.Fatal(err) }
	tbl.Append("x"); tbl.Append("zz")
	rows, err := conn.Query(ch.Context(ctx, ch.WithExternalTable(tbl), ch.WithQueryID("tollgate-q1")), "SELECT id FROM t1 WHERE id IN (SELECT id FROM ids)")
	if err != nil { t.Fatal(err) }
	for rows.Next() { var s string; rows.Scan(&s); t.Log(s) }
	t.Log(rows.Err())
	t.Log(conn.Exec(ctx, "CREATE TABLE IF NOT EXISTS t2 AS t1"))
	t.Log(conn.Exec(ctx, "ALTER TABLE t2 ADD COLUMN IF NOT EXISTS zz UInt8"))
	t.Log(conn.Exec(ctx, "ALTER TABLE t2 ADD COLUMN zz UInt8 DEFAULT 3"))
	t.Log(conn.Exec(ctx, "ALTER TABLE t2 ADD COLUMN zz UInt8 DEFAULT 3"))
	r := conn.QueryRow(ctx, "SELECT engine_full FROM system.tables WHERE name='t2'")
	var s string; t.Log(r.Scan(&s), s)
	r = conn.QueryRow(ctx, "SELECT count() FROM system.processes WHERE query_id LIKE 'tollgate-%'")
	var n uint64; t.Log(r.Scan(&n), n)
	r = conn.QueryRow(ctx, "SELECT quantiles(0.5,0.95,0.99)(n) FROM t1")
	var qs []float64; t.Log(r.Scan(&qs), qs)
	t.Log(conn.Exec(ctx, "CREATE TABLE IF NOT EXISTS t3 (a String, b Nullable(DateTime), c DateTime DEFAULT now()) ENGINE = ReplacingMergeTree(c) ORDER BY a"))
	t.Log(conn.Exec(ctx, "INSERT INTO t3 (a, b) VALUES ('q', NULL)"))
	r = conn.QueryRow(ctx, "SELECT a, b FROM t3 FINAL")
	var a string; var b *time.Time; t.Log(r.Scan(&a, &b), a, b)
}
