package clickhouse

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	telemetryv1 "github.com/tollgate/tollgate/gen/go/tollgate/telemetry/v1"
	"github.com/tollgate/tollgate/services/kit/errs"
)

func TestLoaderStoresEveryEventOnceAndQueriesAgree(t *testing.T) {
	srv := requireServer(t)
	st := newTestStore(t, srv)
	sp := openTestSpool(t, t.TempDir())
	reg := prometheus.NewRegistry()
	l, err := NewLoader(sp, st, fastOptions(t, reg))
	if err != nil {
		t.Fatal(err)
	}
	stop := startLoader(t, l)

	// Events arrive while the loader runs, in many small commits.
	events := makeEvents("req", 0, 12000)
	appendChunks(t, sp, events, 250)
	waitLoaded(t, st, expectTotals(events), 60*time.Second)
	if err := stop(); err != nil {
		t.Fatalf("Run returned %v", err)
	}

	assertTotals(t, st, expectTotals(events))
	if got := metricValue(t, reg, "tollgate_telemetry_clickhouse_rows_inserted_total", map[string]string{"table": "endpoint_usage"}); got != float64(len(events)) {
		t.Errorf("rows_inserted_total{endpoint_usage} = %v, want %d", got, len(events))
	}
	if got := metricValue(t, reg, "tollgate_telemetry_export_lag_records", nil); got != 0 {
		t.Errorf("export_lag_records = %v after catching up, want 0", got)
	}
	if got := metricValue(t, reg, "tollgate_telemetry_clickhouse_rows_skipped_total", nil); got != 0 {
		t.Errorf("rows_skipped_total = %v on a clean run, want 0", got)
	}
	if l.Loaded() != sp.Committed() {
		t.Errorf("Loaded() = %s after a clean stop, want the spool's end %s", l.Loaded(), sp.Committed())
	}

	ctx := context.Background()
	assertStoredRowMatches(t, st, events[36]) // has a payload and a usage context
	for _, dims := range [][]string{
		nil,
		{GroupByEndpoint},
		{GroupByRequester},
		{GroupByGroup},
		{GroupByModel, GroupByProvider},
		{GroupByClientKind},
		{GroupByStatus},
		{GroupByEndpoint, GroupByGroup, GroupByStatus},
	} {
		for _, window := range [][2]time.Time{
			{baseTime, baseTime.Add(3 * time.Hour)},
			{baseTime.Add(30 * time.Minute), baseTime.Add(90 * time.Minute)},
		} {
			got, err := st.QueryUsage(ctx, window[0], window[1], dims)
			if err != nil {
				t.Fatalf("QueryUsage(%v): %v", dims, err)
			}
			want := expectedUsage(events, window[0], window[1], dims)
			compareUsage(t, fmt.Sprintf("group by %v in [%s, %s)", dims, window[0].Format("15:04"), window[1].Format("15:04")), dims, got, want)
		}
	}
}

// assertStoredRowMatches reads one event's row back column by column.
func assertStoredRowMatches(t *testing.T, st *Store, e *telemetryv1.UsageEvent) {
	t.Helper()
	var (
		requester, endpoint, clientKind, errorCode, entityName string
		status                                                 int32
		when                                                   time.Time
		in, out, latency                                       int64
		streaming, rateLimited                                 uint8
		groups, ctxKeys, ctxValues                             []string
	)
	err := st.conn.QueryRow(context.Background(), "SELECT requester, endpoint_name, client_kind, error_code, served_entity_name, status_code, request_time, "+
		"input_token_count, output_token_count, latency_ms, request_streaming, rate_limited, groups, usage_context_keys, usage_context_values FROM "+
		st.table(tableUsage)+" WHERE databricks_request_id = ?", e.GetDatabricksRequestId()).Scan(
		&requester, &endpoint, &clientKind, &errorCode, &entityName, &status, &when, &in, &out, &latency, &streaming, &rateLimited, &groups, &ctxKeys, &ctxValues)
	if err != nil {
		t.Fatal(err)
	}
	if requester != e.GetRequester() || endpoint != e.GetEndpointName() || clientKind != e.GetClientKind() || errorCode != e.GetErrorCode() ||
		entityName != e.GetServedEntityName() || status != e.GetStatusCode() || in != e.GetInputTokenCount() || out != e.GetOutputTokenCount() ||
		latency != e.GetLatencyMs() || (streaming == 1) != e.GetRequestStreaming() || (rateLimited == 1) != e.GetRateLimited() {
		t.Errorf("stored row differs from event %s", e.GetDatabricksRequestId())
	}
	if !when.Equal(time.UnixMilli(e.GetRequestTimeUnixMs()).Truncate(time.Second)) {
		t.Errorf("request_time = %s, want %s", when, time.UnixMilli(e.GetRequestTimeUnixMs()))
	}
	if !slices.Equal(groups, e.GetGroups()) {
		t.Errorf("groups = %v, want %v", groups, e.GetGroups())
	}
	if !slices.Equal(ctxKeys, []string{"project", "team"}) || len(ctxValues) != 2 || ctxValues[0] != e.GetUsageContext()["project"] {
		t.Errorf("usage_context = %v=%v, want %v", ctxKeys, ctxValues, e.GetUsageContext())
	}
	var request, response string
	var codes []string
	err = st.conn.QueryRow(context.Background(), "SELECT request, response, logging_error_codes FROM "+
		st.table(PayloadTable(e.GetPayload().GetTableNamePrefix()))+" WHERE databricks_request_id = ?", e.GetDatabricksRequestId()).Scan(&request, &response, &codes)
	if err != nil {
		t.Fatal(err)
	}
	if request != string(e.GetPayload().GetRequest()) || response != string(e.GetPayload().GetResponse()) {
		t.Errorf("payload row differs from event %s", e.GetDatabricksRequestId())
	}
}

// expectedUsage computes QueryUsage's answer in Go.
func expectedUsage(events []*telemetryv1.UsageEvent, from, to time.Time, dims []string) map[string]*usageExpect {
	out := map[string]*usageExpect{}
	for _, e := range events {
		sec := e.GetRequestTimeUnixMs() / 1000
		if sec < from.Unix() || sec >= to.Unix() {
			continue
		}
		keys := []string{""}
		for _, d := range dims {
			var values []string
			switch d {
			case GroupByEndpoint:
				values = []string{e.GetEndpointName()}
			case GroupByRequester:
				values = []string{e.GetRequester()}
			case GroupByGroup:
				values = e.GetGroups()
				if len(values) == 0 {
					values = []string{""}
				}
			case GroupByModel:
				values = []string{e.GetModel()}
			case GroupByProvider:
				values = []string{e.GetProvider()}
			case GroupByClientKind:
				values = []string{e.GetClientKind()}
			case GroupByStatus:
				values = []string{fmt.Sprint(e.GetStatusCode())}
			}
			var next []string
			for _, k := range keys {
				for _, v := range values {
					next = append(next, k+"|"+v)
				}
			}
			keys = next
		}
		for _, k := range keys {
			u := out[k]
			if u == nil {
				u = &usageExpect{}
				out[k] = u
			}
			u.requests++
			if e.GetStatusCode() >= 400 {
				u.errors++
			}
			u.in += e.GetInputTokenCount()
			u.out += e.GetOutputTokenCount()
			u.latencies = append(u.latencies, float64(e.GetLatencyMs()))
		}
	}
	return out
}

type usageExpect struct {
	requests, errors uint64
	in, out          int64
	latencies        []float64
}

func usageKey(r UsageRow, dims []string) string {
	k := ""
	for _, d := range dims {
		switch d {
		case GroupByEndpoint:
			k += "|" + r.Endpoint
		case GroupByRequester:
			k += "|" + r.Requester
		case GroupByGroup:
			k += "|" + r.Group
		case GroupByModel:
			k += "|" + r.Model
		case GroupByProvider:
			k += "|" + r.Provider
		case GroupByClientKind:
			k += "|" + r.ClientKind
		case GroupByStatus:
			k += "|" + fmt.Sprint(r.Status)
		}
	}
	return k
}

func compareUsage(t *testing.T, what string, dims []string, got []UsageRow, want map[string]*usageExpect) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%s: %d rows, want %d", what, len(got), len(want))
	}
	for _, r := range got {
		k := usageKey(r, dims)
		w, ok := want[k]
		if !ok {
			t.Errorf("%s: unexpected group %q", what, k)
			continue
		}
		if r.Requests != w.requests || r.Errors != w.errors || r.InputTokens != w.in || r.OutputTokens != w.out {
			t.Errorf("%s, group %q: requests=%d errors=%d in=%d out=%d; want %d %d %d %d",
				what, k, r.Requests, r.Errors, r.InputTokens, r.OutputTokens, w.requests, w.errors, w.in, w.out)
		}
		slices.Sort(w.latencies)
		lo, hi := w.latencies[0], w.latencies[len(w.latencies)-1]
		for _, q := range []struct {
			name  string
			got   float64
			level float64
		}{{"p50", r.LatencyP50Ms, 0.5}, {"p95", r.LatencyP95Ms, 0.95}, {"p99", r.LatencyP99Ms, 0.99}} {
			if q.got < lo || q.got > hi {
				t.Errorf("%s, group %q: latency %s = %v outside [%v, %v]", what, k, q.name, q.got, lo, hi)
			}
			// Up to 8192 values ClickHouse's sampled quantile is exact
			// (linear interpolation between neighbours).
			if len(w.latencies) <= 8192 {
				if exact := interpolatedQuantile(w.latencies, q.level); math.Abs(q.got-exact) > 1e-6 {
					t.Errorf("%s, group %q: latency %s = %v, want %v", what, k, q.name, q.got, exact)
				}
			}
		}
		if r.LatencyP50Ms > r.LatencyP95Ms || r.LatencyP95Ms > r.LatencyP99Ms {
			t.Errorf("%s, group %q: percentiles out of order: %v %v %v", what, k, r.LatencyP50Ms, r.LatencyP95Ms, r.LatencyP99Ms)
		}
	}
}

func interpolatedQuantile(sorted []float64, level float64) float64 {
	pos := level * float64(len(sorted)-1)
	i := int(pos)
	if i+1 >= len(sorted) {
		return sorted[len(sorted)-1]
	}
	return sorted[i] + (pos-float64(i))*(sorted[i+1]-sorted[i])
}

func TestQueryUsageRejectsBadArguments(t *testing.T) {
	srv := requireServer(t)
	st := newTestStore(t, srv)
	ctx := context.Background()
	if err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	_, err := st.QueryUsage(ctx, baseTime, baseTime.Add(time.Hour), []string{"endpoint", "colour"})
	var e *errs.Error
	if !errors.As(err, &e) || e.Kind != errs.KindInvalidArgument {
		t.Errorf("unknown dimension: err = %v, want an invalid-argument error", err)
	}
	if _, err := st.QueryUsage(ctx, baseTime, baseTime.Add(-time.Hour), nil); !errors.As(err, &e) || e.Kind != errs.KindInvalidArgument {
		t.Errorf("reversed range: err = %v, want an invalid-argument error", err)
	}
	rows, err := st.QueryUsage(ctx, baseTime, baseTime.Add(time.Hour), nil)
	if err != nil || len(rows) != 0 {
		t.Errorf("empty table: rows=%v err=%v, want none", rows, err)
	}
}

func TestLoaderResumesWhereItStopped(t *testing.T) {
	srv := requireServer(t)
	st := newTestStore(t, srv)
	sp := openTestSpool(t, t.TempDir())
	first := makeEvents("a", 0, 3000)
	appendChunks(t, sp, first, 500)

	reg := prometheus.NewRegistry()
	l, err := NewLoader(sp, st, fastOptions(t, reg))
	if err != nil {
		t.Fatal(err)
	}
	stop := startLoader(t, l)
	waitLoaded(t, st, expectTotals(first), 30*time.Second)
	if err := stop(); err != nil {
		t.Fatal(err)
	}

	second := makeEvents("b", 0, 2000)
	appendChunks(t, sp, second, 500)
	reg2 := prometheus.NewRegistry()
	l2, err := NewLoader(sp, st, fastOptions(t, reg2))
	if err != nil {
		t.Fatal(err)
	}
	stop2 := startLoader(t, l2)
	waitLoaded(t, st, expectTotals(append(first, second...)), 30*time.Second)
	if err := stop2(); err != nil {
		t.Fatal(err)
	}
	assertTotals(t, st, expectTotals(append(first, second...)))
	// A clean stop records the position, so the restart checks nothing.
	if got := metricValue(t, reg2, "tollgate_telemetry_clickhouse_rows_skipped_total", nil); got != 0 {
		t.Errorf("rows_skipped_total = %v after a clean restart, want 0", got)
	}
}

func TestLoaderSkipsRepeatsAndEventsWithoutID(t *testing.T) {
	srv := requireServer(t)
	st := newTestStore(t, srv)
	sp := openTestSpool(t, t.TempDir())
	events := makeEvents("r", 0, 10)
	repeat := makeEvents("r", 3, 1)[0]
	noID := makeEvents("x", 0, 1)[0]
	noID.DatabricksRequestId = ""
	if err := sp.Append(append(append(events, repeat), noID)); err != nil {
		t.Fatal(err)
	}
	reg := prometheus.NewRegistry()
	l, err := NewLoader(sp, st, fastOptions(t, reg))
	if err != nil {
		t.Fatal(err)
	}
	stop := startLoader(t, l)
	waitLoaded(t, st, expectTotals(events), 30*time.Second)
	// The loader passes the skipped records too before it reports caught up.
	deadline := time.Now().Add(10 * time.Second)
	for metricValue(t, reg, "tollgate_telemetry_export_lag_records", nil) != 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	assertTotals(t, st, expectTotals(events))
	if got := metricValue(t, reg, "tollgate_telemetry_clickhouse_rows_skipped_total", map[string]string{"reason": skipDuplicate}); got != 1 {
		t.Errorf("duplicates skipped = %v, want 1", got)
	}
	if got := metricValue(t, reg, "tollgate_telemetry_clickhouse_rows_skipped_total", map[string]string{"reason": skipMissingID}); got != 1 {
		t.Errorf("events without id skipped = %v, want 1", got)
	}
}
