package harness

import (
	"errors"
	"path/filepath"
	"testing"
	"time"
)

func TestClickHouseKeepsItsDataAcrossKillAndStop(t *testing.T) {
	ch, err := StartClickHouse(filepath.Join(t.TempDir(), "ch"))
	if errors.Is(err, ErrNoClickHouse) {
		t.Skip(err)
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(ch.Kill)
	for _, sql := range []string{
		"CREATE TABLE default.kept (n UInt32) ENGINE = MergeTree ORDER BY n",
		"INSERT INTO default.kept (n) VALUES (1), (2), (3)",
	} {
		if _, err := ch.Query(sql); err != nil {
			t.Fatal(err)
		}
	}
	addr := ch.Addr
	ch.Kill()
	if _, err := ch.Query("SELECT 1"); err == nil {
		t.Fatal("a killed server still answers")
	}
	if err := ch.Restart(); err != nil {
		t.Fatal(err)
	}
	if err := ch.Stop(10 * time.Second); err != nil {
		t.Fatalf("graceful stop: %v", err)
	}
	if err := ch.Restart(); err != nil {
		t.Fatal(err)
	}
	if ch.Addr != addr {
		t.Errorf("address changed across restarts: %s, then %s", addr, ch.Addr)
	}
	n, err := ch.QueryInt("SELECT sum(n) FROM default.kept")
	if err != nil {
		t.Fatal(err)
	}
	if n != 6 {
		t.Errorf("sum after restarts = %d, want 6", n)
	}
}
