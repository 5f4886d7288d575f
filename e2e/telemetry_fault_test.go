package e2e

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
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
// and restarted three times (once while ClickHouse is down, once while its
// loader catches up) and ClickHouse is killed, and later stopped, and
// restarted each time on the same data. Then ClickHouse and the Delta
// tables must each hold exactly one usage row per request the gateway
// answered, agree with each other row for row, and hold the same
// inference-table rows.
func TestTelemetryExactlyOnceThroughCrashesAndOutages(t *testing.T) {
	began := time.Now()
	ts := startTelemetryStack(t, harness.SplitMesh)
	t.Logf("stack up in %s", time.Since(began).Round(time.Millisecond))

	// Load and faults, on one clock.
	const loadFor = 16 * time.Second
	load := startTelemetryLoad(ts.baseURL(), 4, 8000, loadFor)
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
	// Repeats each telemetry incarnation dropped (resends of batches it had
	// stored but not acknowledged), read just before it is killed.
	var repeats float64
	noteRepeats := func() {
		if n, ok, _ := scrapeMetric(ts.telemetryAdmin(), "tollgate_telemetry_duplicate_events_total"); ok {
			repeats += n
		}
	}
	killTelemetry := func() error { noteRepeats(); gw.Proc("telemetry").Kill(); return nil }
	restartTelemetry := func() error { _, err := gw.Restart("telemetry", 30*time.Second); return err }
	at(2*time.Second, "telemetry killed (SIGKILL)", killTelemetry)
	at(3500*time.Millisecond, "telemetry restarted", restartTelemetry)
	at(5*time.Second, "clickhouse killed (SIGKILL)", func() error { ts.ch.Kill(); return nil })
	at(6500*time.Millisecond, "telemetry killed, clickhouse down", killTelemetry)
	at(8*time.Second, "telemetry restarted, clickhouse down", restartTelemetry)
	at(10*time.Second, "clickhouse restarted on the same data and port", ts.ch.Restart)
	// The loader is now catching up (and may be reconciling): crash it there.
	at(10500*time.Millisecond, "telemetry killed while catching up", killTelemetry)
	at(11500*time.Millisecond, "telemetry restarted", restartTelemetry)
	at(13*time.Second, "clickhouse stopped (SIGTERM)", func() error { return ts.ch.Stop(harness.DefaultGrace) })
	at(15*time.Second, "clickhouse restarted", ts.ch.Restart)
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

	// ClickHouse went away under the last telemetry incarnation, so its
	// loader must have failed and retried.
	if chErrors, _, err := scrapeMetric(ts.telemetryAdmin(), "tollgate_telemetry_clickhouse_errors_total"); err != nil || chErrors == 0 {
		t.Errorf("telemetry's ClickHouse loader saw no errors (%v, %v): the outage did not hit it, so the test proved nothing", chErrors, err)
	}

	waitStart := time.Now()
	caughtUp := ts.waitCaughtUp(t, len(res.answered), 50*time.Second)
	t.Logf("stores caught up: %v, after %s", caughtUp, time.Since(waitStart).Round(time.Millisecond))
	noteRepeats()
	t.Logf("telemetry dropped %v repeated events (resent after a lost acknowledgement), over all its incarnations", repeats)

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
	start  time.Time
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
				id, err := sendLoadRequest(client, baseURL, harness.AliceToken, k, fmt.Sprintf("load %d/%d", w, i))
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

// sendLoadRequest sends one request with a bearer token and returns its
// x-request-id if the gateway answered 200 with a complete body.
func sendLoadRequest(client *http.Client, baseURL, token string, k loadKind, prompt string) (string, error) {
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
	req.Header.Set("Authorization", "Bearer "+token)
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
// request ids, twice in a row. It reports a failure (and returns false) if
// that does not happen within timeout, or sooner if everything claims to be
// caught up but the counts stay short for longer than any retry backoff.
func (ts *telemetryStack) waitCaughtUp(t *testing.T, want int, timeout time.Duration) bool {
	t.Helper()
	const stallFor = 15 * time.Second // > the ClickHouse loader's longest backoff (10s)
	deadline := time.Now().Add(timeout)
	var last, prev catchUp
	var lastErr error
	streak := 0
	progressed := time.Now()
	for time.Now().Before(deadline) {
		last, lastErr = ts.lookCatchUp(int64(want))
		idle := lastErr == nil && last.routerQueue == 0 && last.chLag == 0 && last.deltaBehind == 0
		if idle && last.chIDs >= int64(want) && last.deltaIDs >= int64(want) {
			if streak++; streak == 2 {
				return true
			}
		} else {
			streak = 0
		}
		if !idle || last.chIDs != prev.chIDs || last.deltaIDs != prev.deltaIDs {
			progressed = time.Now()
		}
		if time.Since(progressed) > stallFor {
			t.Errorf("stores stalled short of %d answered requests: nothing moved for %s while every queue and lag reads 0: %v", want, stallFor, last)
			return false
		}
		prev = last
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
	rows, err := ts.delta.Query(filepath.Join(ts.deltaDir, "endpoint_usage"), "SELECT toString(uniqExact(databricks_request_id)) AS n FROM {table}")
	if err != nil {
		return c, err
	}
	if len(rows) == 1 {
		_, err = fmt.Sscan(anyString(rows[0]["n"]), &c.deltaIDs)
	}
	return c, err
}

// checkUsageExactlyOnce compares both usage tables with the answered
// requests and with each other. A lost or repeated row is blamed on the
// component at fault by counting the request id in the spool: an event
// missing from the spool never got past the router's sink or telemetry's
// ingest; one spooled twice got past ingest's dedup; otherwise the store's
// exporter lost or repeated it.
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

	answered := map[string]answer{}
	ids := make([]string, 0, len(res.answered))
	for _, a := range res.answered {
		answered[a.id] = a
		ids = append(ids, a.id)
	}
	spooled, err := countInDir(ts.dataDir, ids)
	if err != nil {
		t.Fatalf("count request ids in the spool: %v", err)
	}
	for _, store := range []struct {
		name string
		rows map[string][]usageRow
	}{{"ClickHouse", chByID}, {"Delta", deltaByID}} {
		blame := map[string][]string{}
		note := func(why, id string) { blame[why] = append(blame[why], id) }
		for _, i := range ids {
			n, inSpool := len(store.rows[i]), spooled[i]
			switch {
			case n == 1:
			case n == 0 && inSpool == 0:
				note(fmt.Sprintf("missing, and not in the spool either: lost before the spool (router sink, %v drops counted; or telemetry acknowledged without storing)", routerDropped), i)
			case n == 0:
				note("missing though spooled: the "+store.name+" exporter skipped them", i)
			case inSpool > 1:
				note("repeated, and spooled more than once: telemetry's ingest dedup let a resent event through", i)
			default:
				note("repeated though spooled once: the "+store.name+" exporter stored them twice", i)
			}
		}
		for why, which := range blame {
			t.Errorf("%s: %d answered requests %s: %s", store.name, len(which), why, someIDs(which, 5))
		}
		var unknown []string
		for i := range store.rows {
			if _, ok := answered[i]; !ok {
				unknown = append(unknown, i)
			}
		}
		sort.Strings(unknown)
		if len(unknown) > 0 {
			t.Errorf("%s: %d rows are for request ids no client saw answered: %s", store.name, len(unknown), someIDs(unknown, 5))
		}
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

// countInDir counts how often each of ids occurs in the files under dir. A
// spool record holds its request id once, as plain bytes (protobuf), so
// this is how many times each event was spooled.
func countInDir(dir string, ids []string) (map[string]int, error) {
	want := make(map[string]bool, len(ids))
	for _, i := range ids {
		want[i] = true
	}
	counts := make(map[string]int, len(ids))
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, m := range uuidPattern.FindAll(b, -1) {
			if want[string(m)] {
				counts[string(m)]++
			}
		}
		return nil
	})
	return counts, err
}

// uuidPattern matches request ids (UUIDs, as the router makes them).
var uuidPattern = regexp.MustCompile(`[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}`)

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
