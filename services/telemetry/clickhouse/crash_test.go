package clickhouse

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/tollgate/tollgate/services/telemetry/spool"
)

// crashAt returns a fault hook that crashes at point p the n-th time the
// loader reaches it.
func crashAt(p faultPoint, n int) func(faultPoint) error {
	seen := 0
	return func(q faultPoint) error {
		if q != p {
			return nil
		}
		seen++
		if seen == n {
			return fmt.Errorf("crash at point %d, visit %d", p, n)
		}
		return nil
	}
}

// runUntilCrash runs l and expects it to stop with a simulated crash.
func runUntilCrash(t *testing.T, l *Loader) {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- l.Run(context.Background()) }()
	select {
	case err := <-done:
		if !errors.Is(err, errSimulatedCrash) {
			t.Fatalf("Run returned %v, want the simulated crash", err)
		}
	case <-time.After(60 * time.Second):
		t.Fatal("the loader did not reach the crash point")
	}
}

func TestLoaderCrashAtEachPointLoadsExactlyOnce(t *testing.T) {
	srv := requireServer(t)
	const batches, rows = 5, 1000
	for _, tc := range []struct {
		name string
		at   faultPoint
		// alreadyThere is how many of the crashed batch's usage rows the
		// restarted loader must find in ClickHouse and skip.
		alreadyThere float64
	}{
		{"after recording the pending range", faultAfterState, 0},
		{"half way through the usage insert", faultMidInsert, rows / 2},
		{"after the usage insert, before the payload inserts", faultAfterUsage, rows},
		{"after every insert, before the position is recorded", faultAfterInsert, rows},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st := newTestStore(t, srv)
			sp := openTestSpool(t, t.TempDir())
			events := makeEvents("c", 0, batches*rows)
			appendChunks(t, sp, events, 100)

			opts := fastOptions(t, nil)
			opts.BatchRows = rows
			opts.BatchDelay = time.Second // batches close on size: exactly 1000 records each
			opts.faults = crashAt(tc.at, 3)
			crashing, err := NewLoader(sp, st, opts)
			if err != nil {
				t.Fatal(err)
			}
			runUntilCrash(t, crashing)

			reg := prometheus.NewRegistry()
			resumed, err := NewLoader(sp, storeOn(t, srv, st.Database()), fastOptions(t, reg))
			if err != nil {
				t.Fatal(err)
			}
			stop := startLoader(t, resumed)
			waitLoaded(t, st, expectTotals(events), 60*time.Second)
			waitCaughtUp(t, reg)
			if err := stop(); err != nil {
				t.Fatal(err)
			}
			assertTotals(t, st, expectTotals(events))
			if got := metricValue(t, reg, "tollgate_telemetry_clickhouse_rows_skipped_total", map[string]string{"reason": skipAlreadyLoaded}); got != tc.alreadyThere {
				t.Errorf("rows found already loaded after the crash = %v, want %v", got, tc.alreadyThere)
			}
		})
	}
}

// A crash while recovering from a crash, with a smaller batch size after
// the restart: the whole range the first attempt may have written is still
// checked, across several smaller batches.
func TestLoaderCrashDuringRecoveryLoadsExactlyOnce(t *testing.T) {
	srv := requireServer(t)
	st := newTestStore(t, srv)
	sp := openTestSpool(t, t.TempDir())
	events := makeEvents("d", 0, 6000)
	appendChunks(t, sp, events, 100)

	opts := fastOptions(t, nil)
	opts.BatchRows = 2000
	opts.BatchDelay = time.Second
	opts.faults = crashAt(faultAfterInsert, 2) // rows 2000-3999 in, position not recorded
	first, err := NewLoader(sp, st, opts)
	if err != nil {
		t.Fatal(err)
	}
	runUntilCrash(t, first)

	opts = fastOptions(t, nil)
	opts.BatchRows = 300
	opts.BatchDelay = time.Second
	opts.faults = crashAt(faultMidInsert, 1) // nothing to insert in the recovered range: crashes after it
	second, err := NewLoader(sp, st, opts)
	if err != nil {
		t.Fatal(err)
	}
	runUntilCrash(t, second)

	reg := prometheus.NewRegistry()
	opts = fastOptions(t, reg)
	opts.BatchRows = 300
	third, err := NewLoader(sp, st, opts)
	if err != nil {
		t.Fatal(err)
	}
	stop := startLoader(t, third)
	waitLoaded(t, st, expectTotals(events), 60*time.Second)
	waitCaughtUp(t, reg)
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	assertTotals(t, st, expectTotals(events))
}

func waitCaughtUp(t testing.TB, reg *prometheus.Registry) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for metricValue(t, reg, "tollgate_telemetry_export_lag_records", nil) != 0 {
		if time.Now().After(deadline) {
			t.Fatal("the loader did not catch up with the spool")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// The loader runs in a child process that is killed with SIGKILL at random
// moments, several times over, and then finishes in this process: every
// event must be stored exactly once.
func TestLoaderKilledAtRandomLoadsExactlyOnce(t *testing.T) {
	srv := requireServer(t)
	st := newTestStore(t, srv)
	dir := t.TempDir()
	sp := openTestSpool(t, dir)
	events := makeEvents("k", 0, 40000)
	appendChunks(t, sp, events, 1000)
	if err := sp.Close(); err != nil { // the child opens it
		t.Fatal(err)
	}
	if err := st.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}

	rng := rand.New(rand.NewPCG(4, 2))
	var midway int
	for i := 0; i < 8; i++ {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), childEnv+"=1", childSpoolEnv+"="+dir, childAddrEnv+"="+srv.addr, childDBEnv+"="+st.Database())
		cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
		setDeathSignal(cmd)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Duration(100+rng.IntN(400)) * time.Millisecond)
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		n, err := st.countRows(context.Background(), tableUsage)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("after kill %d: %d of %d rows", i+1, n, len(events))
		if n > 0 && n < uint64(len(events)) {
			midway++
		}
	}
	if midway == 0 {
		t.Log("no kill landed while loading was in progress; the test proved less than intended")
	}

	sp = openTestSpool(t, dir)
	reg := prometheus.NewRegistry()
	l, err := NewLoader(sp, st, fastOptions(t, reg))
	if err != nil {
		t.Fatal(err)
	}
	stop := startLoader(t, l)
	waitLoaded(t, st, expectTotals(events), 60*time.Second)
	waitCaughtUp(t, reg)
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	assertTotals(t, st, expectTotals(events))
}

// Environment of the child process the kill test starts.
const (
	childEnv      = "TOLLGATE_CLICKHOUSE_LOADER_CHILD"
	childSpoolEnv = "TOLLGATE_CLICKHOUSE_LOADER_SPOOL"
	childAddrEnv  = "TOLLGATE_CLICKHOUSE_LOADER_ADDR"
	childDBEnv    = "TOLLGATE_CLICKHOUSE_LOADER_DB"
)

// runLoaderChild loads the spool named in the environment until killed.
func runLoaderChild() int {
	sp, err := spool.Open(os.Getenv(childSpoolEnv))
	if err != nil {
		fmt.Fprintln(os.Stderr, "child:", err)
		return 1
	}
	st, err := Open(Options{Addr: os.Getenv(childAddrEnv), Database: os.Getenv(childDBEnv)})
	if err != nil {
		fmt.Fprintln(os.Stderr, "child:", err)
		return 1
	}
	l, err := NewLoader(sp, st, LoaderOptions{BatchRows: 500, BatchDelay: 10 * time.Millisecond, MinBackoff: 10 * time.Millisecond, MaxBackoff: 100 * time.Millisecond})
	if err != nil {
		fmt.Fprintln(os.Stderr, "child:", err)
		return 1
	}
	if err := l.Run(context.Background()); err != nil {
		fmt.Fprintln(os.Stderr, "child:", err)
		return 1
	}
	return 0
}
