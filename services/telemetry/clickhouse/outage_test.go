package clickhouse

import (
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// ClickHouse is killed while events stream in and comes back later: the
// loader falls behind (metrics say so), then catches up with every event
// stored exactly once. The test runs its own server, as it kills it.
func TestLoaderRidesOutServerOutage(t *testing.T) {
	shared := requireServer(t)
	srv, err := startServer(shared.bin, shared.args)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.remove()

	st := newTestStore(t, srv)
	sp := openTestSpool(t, t.TempDir())
	reg := prometheus.NewRegistry()
	opts := fastOptions(t, reg)
	opts.BatchRows = 500
	l, err := NewLoader(sp, st, opts)
	if err != nil {
		t.Fatal(err)
	}
	stop := startLoader(t, l)

	before := makeEvents("o", 0, 8000)
	appendChunks(t, sp, before[:2000], 200)
	waitRows(t, st, 1, 30*time.Second)
	// Kill the server while the loader is busy with the rest.
	appendChunks(t, sp, before[2000:], 200)
	srv.kill()

	during := makeEvents("o", 8000, 3000)
	appendChunks(t, sp, during, 200)
	deadline := time.Now().Add(10 * time.Second)
	for metricValue(t, reg, "tollgate_telemetry_clickhouse_errors_total", nil) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("no ClickHouse error counted while the server is down")
		}
		time.Sleep(10 * time.Millisecond)
	}
	time.Sleep(300 * time.Millisecond)
	if lag := metricValue(t, reg, "tollgate_telemetry_export_lag_records", nil); lag == 0 {
		t.Error("export_lag_records = 0 while the server is down and events wait")
	}
	if lag := metricValue(t, reg, "tollgate_telemetry_export_lag_seconds", nil); lag <= 0 {
		t.Error("export_lag_seconds = 0 while the server is down and events wait")
	}

	if err := srv.start(); err != nil {
		t.Fatal(err)
	}
	after := makeEvents("o", 11000, 2000)
	appendChunks(t, sp, after, 200)
	all := append(append(before, during...), after...)
	waitLoaded(t, st, expectTotals(all), 60*time.Second)
	waitCaughtUp(t, reg)
	if lag := metricValue(t, reg, "tollgate_telemetry_export_lag_seconds", nil); lag != 0 {
		t.Errorf("export_lag_seconds = %v after catching up, want 0", lag)
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	assertTotals(t, st, expectTotals(all))
}

// The loader starts while ClickHouse is down: the spool keeps the events and
// loading starts once the server does.
func TestLoaderWaitsForServerAtStart(t *testing.T) {
	shared := requireServer(t)
	srv, err := startServer(shared.bin, shared.args)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.remove()
	srv.kill()

	st := newTestStore(t, srv)
	sp := openTestSpool(t, t.TempDir())
	events := makeEvents("w", 0, 3000)
	appendChunks(t, sp, events, 300)
	reg := prometheus.NewRegistry()
	l, err := NewLoader(sp, st, fastOptions(t, reg))
	if err != nil {
		t.Fatal(err)
	}
	stop := startLoader(t, l)
	deadline := time.Now().Add(10 * time.Second)
	for metricValue(t, reg, "tollgate_telemetry_clickhouse_errors_total", map[string]string{"op": opMigrate}) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("no migrate error counted while the server is down")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err := srv.start(); err != nil {
		t.Fatal(err)
	}
	waitLoaded(t, st, expectTotals(events), 60*time.Second)
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	assertTotals(t, st, expectTotals(events))
}
