package e2e

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tollgate/tollgate/e2e/harness"
)

// TestTelemetryExactlyOnceThroughCrashesAndOutages drives steady traffic
// through the split mesh while the telemetry service is killed (SIGKILL)
// and restarted twice and ClickHouse is killed and restarted, then checks
// that ClickHouse and the Delta tables each hold exactly one usage row per
// request the gateway answered, agreeing with each other row for row, and
// the same inference-table rows.
func TestTelemetryExactlyOnceThroughCrashesAndOutages(t *testing.T) {
	began := time.Now()
	ts := startTelemetryStack(t, harness.SplitMesh)
	t.Logf("stack up in %s", time.Since(began).Round(time.Millisecond))

	// Load and faults, on one clock.
	const loadFor = 16 * time.Second
	load := startTelemetryLoad(ts.baseURL(), 4, 6000, loadFor)
	loadStart := load.start
	at := func(d time.Duration, what string, f func() error) {
		t.Helper()
		time.Sleep(time.Until(loadStart.Add(d)))
		stepStart := time.Now()
		if err := f(); err != nil {
			load.stop()
			t.Fatalf("%s: %v", what, err)
		}
		t.Logf("t=%5.1fs %s (%s)", time.Since(loadStart).Seconds(), what, time.Since(stepStart).Round(time.Millisecond))
	}
	gw := ts.stack.Gateway
	killTelemetry := func() error { gw.Proc("telemetry").Kill(); return nil }
	restartTelemetry := func() error { _, err := gw.Restart("telemetry", 30*time.Second); return err }
	at(2500*time.Millisecond, "telemetry killed (SIGKILL)", killTelemetry)
	at(4500*time.Millisecond, "telemetry restarted", restartTelemetry)
	at(6500*time.Millisecond, "clickhouse killed (SIGKILL)", func() error { ts.ch.Kill(); return nil })
	at(8500*time.Millisecond, "telemetry killed again, clickhouse still down", killTelemetry)
	at(10*time.Second, "telemetry restarted, clickhouse still down", restartTelemetry)
	at(12*time.Second, "clickhouse restarted on the same data and port", ts.ch.Restart)
	res := load.wait()
	t.Logf("load: %d requests in %s: %d answered 200 (%d streamed, %d on %s), %d failed",
		res.sent, res.took.Round(time.Millisecond), len(res.answered), res.streamed, res.logged, endpointLogged, len(res.failures))
	for i, f := range res.failures {
		if i == 5 {
			t.Errorf("…and %d more failed requests", len(res.failures)-5)
			break
		}
		t.Errorf("request failed while telemetry was faulted (serving must not depend on telemetry): %s", f)
	}
	if len(res.answered) == 0 {
		t.Fatal("no request was answered")
	}
	failures, _, err := scrapeMetric(ts.routerAdmin(), "tollgate_telemetry_sink_send_failures_total")
	if err != nil {
		t.Fatal(err)
	}
	if failures == 0 {
		t.Error("the router's sink never failed to send: the telemetry crashes did not hit the traffic, so the test proved nothing")
	}
	dropped, _, err := scrapeMetric(ts.routerAdmin(), "tollgate_telemetry_dropped_events_total")
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("router sink: %v failed sends (retried), %v dropped events", failures, dropped)

	// The last telemetry incarnation started while ClickHouse was down, so
	// its loader must have failed and retried.
	if chErrors, _, err := scrapeMetric(ts.telemetryAdmin(), "tollgate_telemetry_clickhouse_errors_total"); err != nil || chErrors == 0 {
		t.Errorf("telemetry's ClickHouse loader saw no errors (%v, %v): the outage did not hit it, so the test proved nothing", chErrors, err)
	}

	waitStart := time.Now()
	caughtUp := ts.waitCaughtUp(t, len(res.answered), 50*time.Second)
	t.Logf("stores caught up: %v, after %s", caughtUp, time.Since(waitStart).Round(time.Millisecond))
	if dupes, ok, _ := scrapeMetric(ts.telemetryAdmin(), "tollgate_telemetry_duplicate_events_total"); ok {
		t.Logf("telemetry (last incarnation) dropped %v repeated events", dupes)
	}

	checkStart := time.Now()
	ts.checkUsageExactlyOnce(t, res, dropped)
	ts.checkPayloadsAgree(t, res)
	t.Logf("checks took %s; whole test %s", time.Since(checkStart).Round(time.Millisecond), time.Since(began).Round(time.Millisecond))
}

// answer is one request the gateway answered.
type answer struct {
	id, endpoint string
	stream       bool
}

// loadResult is what a telemetryLoad saw.
type loadResult struct {
	answered []answer // status 200, with the x-request-id
	failures []string // anything else, described
	sent     int
	streamed int
	logged   int // answered on endpointLogged
	took     time.Duration
}

// telemetryLoad is a few goroutines sending a mix of requests, each
// bounded in count and time.
type telemetryLoad struct {
	start time.Time
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu  sync.Mutex
	res loadResult
}

// loadKind is one kind of request in the mix.
type loadKind struct {
	endpoint string
	stream   bool
}

// telemetryLoadMix covers both providers, streaming and not, embeddings and
// the inference-table endpoint.
var telemetryLoadMix = []loadKind{
	{harness.EndpointFakeChat, false},
	{harness.EndpointChat, true},
	{endpointLogged, false},
	{harness.EndpointEmbeddings, false},
	{endpointLogged, true},
	{harness.EndpointChat, false},
	{harness.EndpointFakeChat, true},
}

// startTelemetryLoad starts workers goroutines that send requests to the
// gateway at baseURL, in turn through telemetryLoadMix, until maxRequests
// are sent or duration has passed (requests in flight then finish).
func startTelemetryLoad(baseURL string, workers, maxRequests int, duration time.Duration) *telemetryLoad {
	l := &telemetryLoad{start: time.Now()}
	ctx, cancel := context.WithTimeout(context.Background(), duration)
	l.cancel = cancel
	client := &http.Client{Timeout: 30 * time.Second}
	var budget atomic.Int64
	budget.Store(int64(maxRequests))
	for w := range workers {
		l.wg.Add(1)
		go func() {
			defer l.wg.Done()
			for i := w; ctx.Err() == nil && budget.Add(-1) >= 0; i++ {
				k := telemetryLoadMix[i%len(telemetryLoadMix)]
				id, err := sendLoadRequest(client, baseURL, k, fmt.Sprintf("load %d/%d", w, i))
				l.record(k, id, err)
				// A short pause leaves the two cores room for the
				// telemetry service and ClickHouse to catch up.
				select {
				case <-ctx.Done():
				case <-time.After(8 * time.Millisecond):
				}
			}
		}()
	}
	return l
}

func (l *telemetryLoad) record(k loadKind, id string, err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.res.sent++
	if err != nil {
		l.res.failures = append(l.res.failures, fmt.Sprintf("%s stream=%v: %v", k.endpoint, k.stream, err))
		return
	}
	l.res.answered = append(l.res.answered, answer{id: id, endpoint: k.endpoint, stream: k.stream})
	if k.stream {
		l.res.streamed++
	}
	if k.endpoint == endpointLogged {
		l.res.logged++
	}
}

// stop ends the load early.
func (l *telemetryLoad) stop() { l.cancel(); l.wg.Wait() }

// wait waits for the workers to finish and returns what they saw.
func (l *telemetryLoad) wait() loadResult {
	l.wg.Wait()
	l.cancel()
	l.mu.Lock()
	defer l.mu.Unlock()
	l.res.took = time.Since(l.start)
	return l.res
}

// sendLoadRequest sends one request and returns its x-request-id if the
// gateway answered 200 with a complete body.
func sendLoadRequest(client *http.Client, baseURL string, k loadKind, prompt string) (string, error) {
	path := "/v1/chat/completions"
	body := fmt.Sprintf(`{"model":%q,"messages":[{"role":"user","content":%q}],"stream":%v}`, k.endpoint, prompt, k.stream)
	if k.endpoint == harness.EndpointEmbeddings {
		path = "/v1/embeddings"
		body = fmt.Sprintf(`{"model":%q,"input":%q}`, k.endpoint, prompt)
	}
	req, err := http.NewRequest(http.MethodPost, baseURL+path, strings.NewReader(body))
	if err != nil {
		return "", err
	}
	req.Header.Set("Authorization", "Bearer "+harness.AliceToken)
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return "", err
	}
	defer func() { _ = resp.Body.Close() }()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return "", fmt.Errorf("read body: %v", err)
	}
	id := resp.Header.Get("X-Request-Id")
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("status %d (x-request-id %s): %s", resp.StatusCode, id, truncate(b))
	}
	if id == "" {
		return "", fmt.Errorf("200 without x-request-id")
	}
	if k.stream && !strings.Contains(string(b), "data: [DONE]") {
		return "", fmt.Errorf("stream %s ended without [DONE]: %s", id, truncate(b))
	}
	return id, nil
}

// catchUp is one look at how far the pipeline has got.
type catchUp struct {
	routerQueue, chLag, deltaBehind float64
	chIDs, deltaIDs                 int64
}

func (c catchUp) String() string {
	return fmt.Sprintf("router queue %v, clickhouse lag %v records, delta behind %v, distinct ids: clickhouse %d, delta %d",
		c.routerQueue, c.chLag, c.deltaBehind, c.chIDs, c.deltaIDs)
}

// waitCaughtUp polls until the router's queue is empty, telemetry reports
// both exports caught up, and both usage tables hold at least want distinct
// request ids, twice in a row; it reports a failure (and returns false) if
// that does not happen within timeout.
func (ts *telemetryStack) waitCaughtUp(t *testing.T, want int, timeout time.Duration) bool {
	t.Helper()
	deadline := time.Now().Add(timeout)
	var last catchUp
	var lastErr error
	streak := 0
	for time.Now().Before(deadline) {
		last, lastErr = ts.lookCatchUp(int64(want))
		done := lastErr == nil && last.routerQueue == 0 && last.chLag == 0 && last.deltaBehind == 0 &&
			last.chIDs >= int64(want) && last.deltaIDs >= int64(want)
		if done {
			if streak++; streak == 2 {
				return true
			}
		} else {
			streak = 0
		}
		time.Sleep(500 * time.Millisecond)
	}
	t.Errorf("stores did not catch up with %d answered requests within %s: %v (last error: %v)", want, timeout, last, lastErr)
	return false
}

// lookCatchUp reads the metrics and the ClickHouse count, and the Delta
// count (a chdb process, so slower) only once everything else has caught up.
func (ts *telemetryStack) lookCatchUp(want int64) (catchUp, error) {
	var c catchUp
	var ok bool
	var err error
	if c.routerQueue, _, err = scrapeMetric(ts.routerAdmin(), "tollgate_telemetry_queue_depth"); err != nil {
		return c, err
	}
	if c.chLag, ok, err = scrapeMetric(ts.telemetryAdmin(), "tollgate_telemetry_export_lag_records", `store="clickhouse"`); err != nil || !ok {
		return c, fmt.Errorf("clickhouse lag: %v (present: %v)", err, ok)
	}
	if c.deltaBehind, ok, err = scrapeMetric(ts.telemetryAdmin(), "tollgate_telemetry_delta_export_behind"); err != nil || !ok {
		return c, fmt.Errorf("delta behind: %v (present: %v)", err, ok)
	}
	if c.chIDs, err = ts.ch.QueryInt("SELECT uniqExact(databricks_request_id) FROM " + chDatabase + ".endpoint_usage"); err != nil {
		return c, err
	}
	if c.routerQueue != 0 || c.chLag != 0 || c.deltaBehind != 0 || c.chIDs < want {
		return c, nil
	}
	rows, err := ts.delta.Query(ts.deltaDir+"/endpoint_usage", "SELECT toString(uniqExact(databricks_request_id)) AS n FROM {table}")
	if err != nil {
		return c, err
	}
	if len(rows) == 1 {
		_, err = fmt.Sscan(anyString(rows[0]["n"]), &c.deltaIDs)
	}
	return c, err
}

// checkUsageExactlyOnce compares both usage tables with the answered
// requests and with each other, naming the component at fault.
func (ts *telemetryStack) checkUsageExactlyOnce(t *testing.T, res loadResult, routerDropped float64) {
	t.Helper()
	chRows, err := ts.chUsage()
	if err != nil {
		t.Fatal(err)
	}
	deltaRows, err := ts.deltaUsage()
	if err != nil {
		t.Fatal(err)
	}
	id := func(r usageRow) string { return r.ID }
	chByID, deltaByID := rowsByID(chRows, id), rowsByID(deltaRows, id)
	t.Logf("usage rows: clickhouse %d (%d ids), delta %d (%d ids), answered %d",
		len(chRows), len(chByID), len(deltaRows), len(deltaByID), len(res.answered))

	// Duplicates: in both stores means the spool holds the event twice (the
	// telemetry service's dedup let a resent batch through); in one store,
	// that store's exporter repeated it.
	chDup, deltaDup := duplicateIDs(chByID), duplicateIDs(deltaByID)
	var dupBoth, dupCH, dupDelta []string
	for _, i := range chDup {
		if len(deltaByID[i]) > 1 {
			dupBoth = append(dupBoth, i)
		} else {
			dupCH = append(dupCH, i)
		}
	}
	for _, i := range deltaDup {
		if len(chByID[i]) <= 1 {
			dupDelta = append(dupDelta, i)
		}
	}
	if len(dupBoth) > 0 {
		t.Errorf("%d request ids have several rows in BOTH stores (spooled twice: telemetry ingest dedup failed): %s", len(dupBoth), someIDs(dupBoth, 5))
	}
	if len(dupCH) > 0 {
		t.Errorf("%d request ids have several rows in ClickHouse only (the ClickHouse loader repeated an insert): %s", len(dupCH), someIDs(dupCH, 5))
	}
	if len(dupDelta) > 0 {
		t.Errorf("%d request ids have several rows in Delta only (the Delta export repeated a batch): %s", len(dupDelta), someIDs(dupDelta, 5))
	}

	// Losses: missing from both stores means the event never reached the
	// spool (router sink dropped it, or telemetry acknowledged without
	// storing); missing from one store, that store's exporter skipped it.
	var lostBoth, lostCH, lostDelta []string
	answered := map[string]answer{}
	for _, a := range res.answered {
		answered[a.id] = a
		inCH, inDelta := len(chByID[a.id]) > 0, len(deltaByID[a.id]) > 0
		switch {
		case !inCH && !inDelta:
			lostBoth = append(lostBoth, a.id)
		case !inCH:
			lostCH = append(lostCH, a.id)
		case !inDelta:
			lostDelta = append(lostDelta, a.id)
		}
	}
	if len(lostBoth) > 0 {
		t.Errorf("%d answered requests are in NEITHER store (lost before the spool: router sink dropped %v events; otherwise telemetry acknowledged without storing): %s",
			len(lostBoth), routerDropped, someIDs(lostBoth, 5))
	}
	if len(lostCH) > 0 {
		t.Errorf("%d answered requests are in Delta but not ClickHouse (the ClickHouse loader skipped them): %s", len(lostCH), someIDs(lostCH, 5))
	}
	if len(lostDelta) > 0 {
		t.Errorf("%d answered requests are in ClickHouse but not Delta (the Delta export skipped them): %s", len(lostDelta), someIDs(lostDelta, 5))
	}
	var unknown []string
	for i := range chByID {
		if _, ok := answered[i]; !ok {
			unknown = append(unknown, i)
		}
	}
	for i := range deltaByID {
		if _, ok := answered[i]; !ok && len(chByID[i]) == 0 {
			unknown = append(unknown, i)
		}
	}
	sort.Strings(unknown)
	if len(unknown) > 0 {
		t.Errorf("%d rows are for request ids no client saw answered: %s", len(unknown), someIDs(unknown, 5))
	}

	// Row for row, and in total, the stores agree.
	var sumCH, sumDelta [2]int64
	add := func(sum *[2]int64, r usageRow) {
		var in, out int64
		_, _ = fmt.Sscan(r.In, &in)
		_, _ = fmt.Sscan(r.Out, &out)
		sum[0] += in
		sum[1] += out
	}
	var differ []string
	for _, r := range chRows {
		add(&sumCH, r)
	}
	for _, r := range deltaRows {
		add(&sumDelta, r)
		if c := chByID[r.ID]; len(c) == 1 && c[0] != r {
			differ = append(differ, fmt.Sprintf("%+v in Delta, %+v in ClickHouse", r, c[0]))
		}
		if a, ok := answered[r.ID]; ok && (r.Endpoint != a.endpoint || r.Status != "200") {
			differ = append(differ, fmt.Sprintf("%+v for a 200 answer on %s", r, a.endpoint))
		}
	}
	if len(differ) > 0 {
		t.Errorf("%d usage rows disagree: %s", len(differ), someIDs(differ, 3))
	}
	if sumCH != sumDelta {
		t.Errorf("token sums (input, output) differ: clickhouse %v, delta %v", sumCH, sumDelta)
	}
	if sumCH[0] == 0 || sumCH[1] == 0 {
		t.Errorf("token sums %v: the usage rows carry no tokens", sumCH)
	}
	t.Logf("token sums (input, output): clickhouse %v, delta %v", sumCH, sumDelta)
}

// checkPayloadsAgree checks both inference tables hold exactly the answered
// requests on endpointLogged, with equal rows.
func (ts *telemetryStack) checkPayloadsAgree(t *testing.T, res loadResult) {
	t.Helper()
	chRows, err := ts.chPayloads(loggedPrefix)
	if err != nil {
		t.Fatal(err)
	}
	deltaRows, err := ts.deltaPayloads(loggedPrefix)
	if err != nil {
		t.Fatal(err)
	}
	id := func(r payloadRow) string { return r.ID }
	chByID, deltaByID := rowsByID(chRows, id), rowsByID(deltaRows, id)
	t.Logf("payload rows: clickhouse %d (%d ids), delta %d (%d ids), answered on %s %d",
		len(chRows), len(chByID), len(deltaRows), len(deltaByID), endpointLogged, res.logged)
	if d := duplicateIDs(chByID); len(d) > 0 {
		t.Errorf("%d ids repeated in ClickHouse's %s_payload: %s", len(d), loggedPrefix, someIDs(d, 5))
	}
	if d := duplicateIDs(deltaByID); len(d) > 0 {
		t.Errorf("%d ids repeated in Delta's %s_payload: %s", len(d), loggedPrefix, someIDs(d, 5))
	}
	want := map[string]bool{}
	var missCH, missDelta []string
	for _, a := range res.answered {
		if a.endpoint != endpointLogged {
			continue
		}
		want[a.id] = true
		if len(chByID[a.id]) == 0 {
			missCH = append(missCH, a.id)
		}
		if len(deltaByID[a.id]) == 0 {
			missDelta = append(missDelta, a.id)
		}
	}
	if len(missCH) > 0 {
		t.Errorf("%d logged requests missing from ClickHouse's %s_payload: %s", len(missCH), loggedPrefix, someIDs(missCH, 5))
	}
	if len(missDelta) > 0 {
		t.Errorf("%d logged requests missing from Delta's %s_payload: %s", len(missDelta), loggedPrefix, someIDs(missDelta, 5))
	}
	var extra, differ []string
	for i, rs := range chByID {
		if !want[i] {
			extra = append(extra, i)
		}
		if d := deltaByID[i]; len(d) == 1 && len(rs) == 1 && d[0] != rs[0] {
			differ = append(differ, fmt.Sprintf("%s: clickhouse %+v, delta %+v", i, rs[0], d[0]))
		}
	}
	for i := range deltaByID {
		if !want[i] && len(chByID[i]) == 0 {
			extra = append(extra, i)
		}
	}
	if len(extra) > 0 {
		t.Errorf("%d payload rows for ids not answered on %s: %s", len(extra), endpointLogged, someIDs(extra, 5))
	}
	if len(differ) > 0 {
		t.Errorf("%d payload rows differ between ClickHouse and Delta: %s", len(differ), someIDs(differ, 2))
	}
	for _, r := range chRows {
		if !strings.Contains(r.Request, `"load `) || r.Response == "" {
			t.Errorf("payload row %s lacks the request or response: %+v", r.ID, r)
			break
		}
	}
}
