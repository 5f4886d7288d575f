package clickhouse

import (
	"math"
	"slices"
	"testing"
	"time"

	telemetryv1 "github.com/tollgate/tollgate/gen/go/tollgate/telemetry/v1"
)

func TestPayloadTableNamesAreValidIdentifiers(t *testing.T) {
	for prefix, want := range map[string]string{
		"chat_a":          "chat_a_payload",
		"my-prefix":       "my_prefix_payload",
		"main.ml.traffic": "main_ml_traffic_payload",
		"2024logs":        "_2024logs_payload",
		"":                "inference_payload",
		"naïve":           "na__ve_payload",
	} {
		got := PayloadTable(prefix)
		if got != want {
			t.Errorf("PayloadTable(%q) = %q, want %q", prefix, got, want)
		}
		if !validIdentifier(got) {
			t.Errorf("PayloadTable(%q) = %q is not a valid identifier", prefix, got)
		}
	}
}

func TestBackoffDoublesUpToTheCap(t *testing.T) {
	lo, hi := 100*time.Millisecond, 2*time.Second
	top := func(n int64) int64 { return n - 1 }
	bottom := func(int64) int64 { return 0 }
	for attempt, wantMax := range []time.Duration{100, 200, 400, 800, 1600, 2000, 2000} {
		wantMax *= time.Millisecond
		if got := backoff(attempt, lo, hi, top); got != wantMax {
			t.Errorf("attempt %d: longest wait %s, want %s", attempt, got, wantMax)
		}
		if got := backoff(attempt, lo, hi, bottom); got != wantMax/2 {
			t.Errorf("attempt %d: shortest wait %s, want %s", attempt, got, wantMax/2)
		}
	}
	if got := backoff(1000, lo, hi, top); got != hi {
		t.Errorf("attempt 1000: %s, want the cap %s", got, hi)
	}
}

func TestLagTrackerCountsAndAgesUnloadedRecords(t *testing.T) {
	now := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	lag := newLagTracker(clock)
	lag.begin()
	if lag.records() != 0 || lag.seconds() != 0 {
		t.Fatal("a new tracker reports lag")
	}
	lag.addBacklog(100) // waiting since Run started
	now = now.Add(5 * time.Second)
	lag.saw(10) // fresh records seen at t=5s
	now = now.Add(5 * time.Second)
	lag.saw(10) // at t=10s
	if got := lag.records(); got != 120 {
		t.Errorf("records = %v, want 120", got)
	}
	if got := lag.seconds(); got != 10 {
		t.Errorf("seconds = %v while backlog waits, want 10", got)
	}
	lag.loadedMore(105) // backlog done, 5 of the t=5s records too
	if got := lag.seconds(); got != 5 {
		t.Errorf("seconds = %v, want 5 (oldest waiting record seen at t=5s)", got)
	}
	lag.loadedMore(5)
	if got := lag.seconds(); got != 0 {
		t.Errorf("seconds = %v, want 0 (oldest waiting record seen just now)", got)
	}
	now = now.Add(3 * time.Second)
	if got := lag.seconds(); got != 3 {
		t.Errorf("seconds = %v, want 3", got)
	}
	lag.loadedMore(10)
	if lag.records() != 0 || lag.seconds() != 0 {
		t.Errorf("caught up: records=%v seconds=%v, want 0 0", lag.records(), lag.seconds())
	}
	// Passes within a second share a checkpoint.
	lag.saw(1)
	now = now.Add(100 * time.Millisecond)
	lag.saw(1)
	if len(lag.checkpoints) > 2 {
		t.Errorf("%d checkpoints kept, want old ones trimmed and close passes coalesced", len(lag.checkpoints))
	}
}

func TestUsageRowsAreDeterministic(t *testing.T) {
	e := &telemetryv1.UsageEvent{
		DatabricksRequestId: "r1",
		UsageContext:        map[string]string{"b": "2", "a": "1", "c": "3"},
		RequestTimeUnixMs:   1700000000999,
	}
	var u usageBlock
	u.add(e)
	if !slices.Equal(u.contextKeys[0], []string{"a", "b", "c"}) || !slices.Equal(u.contextValues[0], []string{"1", "2", "3"}) {
		t.Errorf("usage_context = %v=%v, want sorted by key", u.contextKeys[0], u.contextValues[0])
	}
	if got := u.requestTime[0]; got.Unix() != 1700000000 {
		t.Errorf("request_time = %v, want truncated to the second", got)
	}
	if u.groups[0] == nil || u.contextKeys[0] == nil {
		t.Error("empty arrays must be non-nil")
	}
	if got := len(u.columns(0, 1)); got != len(usageColumns) {
		t.Errorf("%d column slices, want %d", got, len(usageColumns))
	}
	var p payloadBlock
	if got := len(p.columns(0, 0)); got != len(payloadColumns) {
		t.Errorf("%d payload column slices, want %d", got, len(payloadColumns))
	}
}

func TestRequestTimeIsClampedToDateTime(t *testing.T) {
	for ms, want := range map[int64]int64{
		-5000:             0,
		0:                 0,
		1500:              1,
		math.MaxInt64:     math.MaxUint32,
		4294967296 * 1000: math.MaxUint32,
		1741647600123:     1741647600,
	} {
		if got := requestTime(&telemetryv1.UsageEvent{RequestTimeUnixMs: ms}).Unix(); got != want {
			t.Errorf("requestTime(%d ms) = %d, want %d", ms, got, want)
		}
	}
}

func TestBatchKeepsFirstOfRepeatedIDs(t *testing.T) {
	b := newBatch()
	events := makeEvents("u", 0, 4)
	for _, e := range append(events, events[1], &telemetryv1.UsageEvent{}) {
		b.add(e)
	}
	if got := b.usage.requestID; !slices.Equal(got, []string{"u-0", "u-1", "u-2", "u-3"}) {
		t.Errorf("rows = %v", got)
	}
	if b.skipped[skipDuplicate] != 1 || b.skipped[skipMissingID] != 1 {
		t.Errorf("skipped = %v", b.skipped)
	}
	b.usage.keep([]bool{true, false, true, false})
	if got := b.usage.requestID; !slices.Equal(got, []string{"u-0", "u-2"}) || len(b.usage.latencyMs) != 2 || len(b.usage.groups) != 2 {
		t.Errorf("after keep: ids %v, %d latencies", got, len(b.usage.latencyMs))
	}
}

func TestLoaderNamesAndDatabaseNamesAreChecked(t *testing.T) {
	for _, name := range []string{"telemetry", "replica-1.eu", "a_b"} {
		if !validLoaderName(name) {
			t.Errorf("loader name %q rejected", name)
		}
	}
	for _, name := range []string{"", "a b", "x'y", "a/b"} {
		if validLoaderName(name) {
			t.Errorf("loader name %q accepted", name)
		}
	}
	if _, err := Open(Options{Database: "bad-name"}); err == nil {
		t.Error("database name with a dash accepted")
	}
}
