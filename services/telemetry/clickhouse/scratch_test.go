package clickhouse

import (
	"context"
	"testing"
	"time"

	ch "github.com/ClickHouse/clickhouse-go/v2"
)

func TestScratch(t *testing.T) {
	ctx := context.Background()
	conn, err := ch.Open(&ch.Options{Addr: []string{"127.0.0.1:19000"}, DialTimeout: time.Second})
	if err != nil { t.Fatal(err) }
	if err := conn.Ping(ctx); err != nil { t.Fatal(err) }
	v, err := conn.ServerVersion()
	t.Log(v, err)
	if err := conn.Exec(ctx, "DROP TABLE IF EXISTS t1"); err != nil { t.Fatal(err) }
	if err := conn.Exec(ctx, "CREATE TABLE t1 (id String, ts DateTime, g Array(String), n UInt64, b UInt8, d Nullable(DateTime)) ENGINE=MergeTree PARTITION BY toYYYYMMDD(ts) ORDER BY (id, ts)"); err != nil { t.Fatal(err) }
	b, err := conn.PrepareBatch(ctx, "INSERT INTO t1 (id, ts, g, n, b, d)")
	if err != nil { t.Fatal(err) }
	for i := 0; i < 3; i++ {
		var d *time.Time
		if i == 1 { now := time.Now(); d = &now }
		if err := b.Append("x", time.Now(), []string{"a", "b"}, uint64(i), uint8(1), d); err != nil { t.Fatal(err) }
	}
	if err := b.Send(); err != nil { t.Fatal(err) }
	rows, err := conn.Query(ctx, "SELECT g_, count(), sum(n), quantile(0.5)(n) FROM t1 ARRAY JOIN g AS g_ GROUP BY g_ ORDER BY g_")
	if err != nil { t.Fatal(err) }
	for rows.Next() {
		var g string; var c, s uint64; var q float64
		if err := rows.Scan(&g, &c, &s, &q); err != nil { t.Fatal(err) }
		t.Log(g, c, s, q)
	}
	t.Log(rows.Err())
	rows2, err := conn.Query(ctx, "SELECT id FROM t1 WHERE id IN (?)", []string{"x","y"})
	if err != nil { t.Fatal(err) }
	for rows2.Next() { var s string; rows2.Scan(&s); t.Log(s) }
}
