package clickhouse

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"sort"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	telemetryv1 "github.com/tollgate/tollgate/gen/go/tollgate/telemetry/v1"
	"github.com/tollgate/tollgate/services/telemetry/spool"
)

// baseTime is when the test events arrive: two days, so batches span
// partitions.
var baseTime = time.Date(2025, 3, 10, 23, 0, 0, 0, time.UTC)

var (
	testEndpoints   = []string{"chat-a", "chat-b", "embed-c"}
	testRequesters  = []string{"alice", "bob", "carol", "svc-etl", "dave"}
	testModels      = []string{"gpt-4o", "gpt-4o-mini", "text-embedding-3-small"}
	testProviders   = []string{"openai", "fake"}
	testClientKinds = []string{"claude-code", "codex", "openai-sdk", ""}
	testStatuses    = []int32{200, 200, 200, 200, 429, 500, 200, 400}
)

// testGroups is who belongs where; dave belongs to no group.
var testGroups = map[string][]string{
	"alice":   {"eng", "ml"},
	"bob":     {"eng"},
	"carol":   {"ml", "research"},
	"svc-etl": {"platform"},
}

// payloadPrefixes: endpoints with an inference table ("my-prefix" shows
// prefixes are made valid table names).
var payloadPrefixes = map[string]string{"chat-a": "chat_a", "embed-c": "my-prefix"}

// makeEvents builds n varied events with request ids "<tag>-<i>", spread
// over two hours across midnight.
func makeEvents(tag string, from, n int) []*telemetryv1.UsageEvent {
	out := make([]*telemetryv1.UsageEvent, 0, n)
	for i := from; i < from+n; i++ {
		req := testRequesters[i%len(testRequesters)]
		ep := testEndpoints[(i/3)%len(testEndpoints)]
		e := &telemetryv1.UsageEvent{
			DatabricksRequestId:  fmt.Sprintf("%s-%d", tag, i),
			ClientRequestId:      fmt.Sprintf("client-%d", i),
			AccountId:            "acct-1",
			WorkspaceId:          "ws-1",
			ServedEntityId:       "se-" + ep,
			Requester:            req,
			RequesterType:        "user",
			Groups:               testGroups[req],
			StatusCode:           testStatuses[i%len(testStatuses)],
			RequestTimeUnixMs:    baseTime.UnixMilli() + int64(i%7200)*1000 + int64(i%1000),
			InputTokenCount:      int64(10 + i%97),
			OutputTokenCount:     int64(i % 53),
			InputCharacterCount:  int64(40 + i%300),
			OutputCharacterCount: int64(i % 211),
			RequestStreaming:     i%2 == 0,
			EndpointName:         ep,
			Provider:             testProviders[i%len(testProviders)],
			Model:                testModels[(i/3)%len(testModels)],
			UserAgent:            "test-agent/1.0",
			ClientKind:           testClientKinds[i%len(testClientKinds)],
			ApiType:              "openai_chat",
			LatencyMs:            int64(20 + (i*37)%500),
			TimeToFirstByteMs:    int64(5 + i%40),
			CacheReadInputTokens: int64(i % 5),
			ReasoningTokens:      int64(i % 3),
			FallbackAttempts:     int32(i % 2),
			RateLimited:          testStatuses[i%len(testStatuses)] == 429,
			ServedEntityName:     "entity-" + ep,
		}
		if e.StatusCode >= 400 {
			e.ErrorCode = fmt.Sprintf("E%d", e.StatusCode)
		}
		if i%4 == 0 {
			e.UsageContext = map[string]string{"project": fmt.Sprintf("p%d", i%3), "team": "x"}
		}
		if prefix, ok := payloadPrefixes[ep]; ok && i%5 != 2 {
			e.Payload = &telemetryv1.InferencePayload{
				Request:             []byte(fmt.Sprintf(`{"messages":[{"role":"user","content":"hi %d"}]}`, i)),
				Response:            []byte(fmt.Sprintf(`{"choices":[{"message":{"content":"hello %d"}}]}`, i)),
				SamplingFraction:    1,
				TableNamePrefix:     prefix,
				ExecutionDurationMs: int64(i % 100),
			}
		}
		out = append(out, e)
	}
	return out
}

// totals is what the tables must hold for a set of events.
type totals struct {
	rows, ids           uint64
	inputTok, outputTok int64
	payload             map[string]uint64 // table -> rows
}

func expectTotals(events []*telemetryv1.UsageEvent) totals {
	t := totals{payload: map[string]uint64{}}
	for _, e := range events {
		t.rows++
		t.ids++
		t.inputTok += e.GetInputTokenCount()
		t.outputTok += e.GetOutputTokenCount()
		if e.GetPayload() != nil {
			t.payload[PayloadTable(e.GetPayload().GetTableNamePrefix())]++
		}
	}
	return t
}

// storedTotals reads the same numbers back from ClickHouse.
func storedTotals(t testing.TB, st *Store) totals {
	t.Helper()
	got, err := readTotals(st)
	if err != nil {
		t.Fatal(err)
	}
	return got
}

func readTotals(st *Store) (totals, error) {
	ctx := context.Background()
	got := totals{payload: map[string]uint64{}}
	err := st.conn.QueryRow(ctx, "SELECT count(), uniqExact(databricks_request_id), sum(input_token_count), sum(output_token_count) FROM "+
		st.table(tableUsage)).Scan(&got.rows, &got.ids, &got.inputTok, &got.outputTok)
	if err != nil {
		return got, err
	}
	for _, prefix := range payloadPrefixes {
		table := PayloadTable(prefix)
		exists, err := st.tableExists(ctx, table)
		if err != nil {
			return got, err
		}
		if !exists {
			continue
		}
		var rows, ids uint64
		if err := st.conn.QueryRow(ctx, "SELECT count(), uniqExact(databricks_request_id) FROM "+st.table(table)).Scan(&rows, &ids); err != nil {
			return got, err
		}
		if rows != ids {
			return got, fmt.Errorf("%s: %d rows for %d request ids", table, rows, ids)
		}
		got.payload[table] = rows
	}
	return got, nil
}

func assertTotals(t testing.TB, st *Store, want totals) {
	t.Helper()
	got := storedTotals(t, st)
	if got.rows != want.rows || got.ids != want.ids || got.inputTok != want.inputTok || got.outputTok != want.outputTok {
		t.Errorf("endpoint_usage holds rows=%d ids=%d input=%d output=%d; want rows=%d ids=%d input=%d output=%d",
			got.rows, got.ids, got.inputTok, got.outputTok, want.rows, want.ids, want.inputTok, want.outputTok)
	}
	for table, n := range want.payload {
		if got.payload[table] != n {
			t.Errorf("%s holds %d rows, want %d", table, got.payload[table], n)
		}
	}
}

// waitLoaded waits until ClickHouse holds at least the rows of want (usage
// and payload tables alike); assertTotals then checks for exactly.
func waitLoaded(t testing.TB, st *Store, want totals, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		got, err := readTotals(st) // the tables may not exist yet
		done := err == nil && got.rows >= want.rows
		for table, n := range want.payload {
			done = done && got.payload[table] >= n
		}
		if done {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("after %s ClickHouse holds %d usage rows and payload rows %v (%v); want %d and %v", within, got.rows, got.payload, err, want.rows, want.payload)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// waitRows waits until endpoint_usage holds n rows.
func waitRows(t testing.TB, st *Store, n uint64, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		got, err := st.countRows(context.Background(), tableUsage)
		if err == nil && got >= n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("endpoint_usage holds %d rows after %s, want %d (last error: %v)", got, within, n, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func openTestSpool(t testing.TB, dir string) *spool.Spool {
	t.Helper()
	sp, err := spool.Open(dir, spool.WithSegmentBytes(256<<10))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sp.Close() })
	return sp
}

// appendChunks appends events in chunks (separate spool commits).
func appendChunks(t testing.TB, sp *spool.Spool, events []*telemetryv1.UsageEvent, chunk int) {
	t.Helper()
	for i := 0; i < len(events); i += chunk {
		if err := sp.Append(events[i:min(i+chunk, len(events))]); err != nil {
			t.Fatal(err)
		}
	}
}

// startLoader runs a loader in the background; the returned function stops
// it and returns Run's result.
func startLoader(t testing.TB, l *Loader) (stop func() error) {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- l.Run(context.Background()) }()
	stopped := false
	var result error
	stop = func() error {
		if !stopped {
			stopped = true
			_ = l.Close()
			result = <-done
		}
		return result
	}
	t.Cleanup(func() { _ = stop() })
	return stop
}

func testLog(t testing.TB) *slog.Logger {
	if os.Getenv("TOLLGATE_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.DiscardHandler)
}

// fastOptions are loader options for tests: small batches, quick retries.
func fastOptions(t testing.TB, reg prometheus.Registerer) LoaderOptions {
	return LoaderOptions{
		BatchRows:    1000,
		BatchDelay:   20 * time.Millisecond,
		MinBackoff:   10 * time.Millisecond,
		MaxBackoff:   200 * time.Millisecond,
		BatchTimeout: 20 * time.Second,
		Log:          testLog(t),
		Registerer:   reg,
	}
}

// metricValue sums a metric's series whose labels include want.
func metricValue(t testing.TB, reg *prometheus.Registry, name string, want map[string]string) float64 {
	t.Helper()
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var sum float64
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
		for _, m := range f.GetMetric() {
			if !labelsMatch(m, want) {
				continue
			}
			switch {
			case m.Counter != nil:
				sum += m.GetCounter().GetValue()
			case m.Gauge != nil:
				sum += m.GetGauge().GetValue()
			}
		}
	}
	return sum
}

func labelsMatch(m *dto.Metric, want map[string]string) bool {
	for k, v := range want {
		found := false
		for _, lp := range m.GetLabel() {
			if lp.GetName() == k && lp.GetValue() == v {
				found = true
			}
		}
		if !found {
			return false
		}
	}
	return true
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
