package e2e

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tollgate/tollgate/e2e/harness"
)

// Helpers for the telemetry store tests: a gateway whose telemetry service
// loads ClickHouse (a private server) and exports Delta tables, and readers
// for both stores.

// The inference-table endpoint the telemetry tests add to TestConfig: chat
// on the fake upstream (api_key from the environment), payloads logged to
// <loggedPrefix>_payload.
const (
	endpointLogged = "logged"
	loggedPrefix   = "logged"
	// chDatabase is where telemetry's loader keeps its tables (its default).
	chDatabase = "tollgate"
)

// telemetryConfig is TestConfig plus the inference-table endpoint.
func telemetryConfig(upstreamURL string) string {
	base := harness.TestConfig(harness.ConfigOptions{UpstreamURL: upstreamURL})
	logged := fmt.Sprintf(`  - name: %s
    task: chat
    served_entities:
      - name: logged-upstream
        provider: openai_compatible
        model: %s
        base_url: %s
        api_key: {env: %s}
    inference_table: {enabled: true, table_name_prefix: %s}
    permissions:
      - {group: users, level: CAN_QUERY}
`, endpointLogged, harness.UpstreamModel, strconv.Quote(upstreamURL), harness.UpstreamKeyEnv, loggedPrefix)
	i := strings.Index(base, "principals:\n")
	if i < 0 {
		panic("TestConfig has no principals section")
	}
	return base[:i] + logged + base[i:]
}

// telemetryStack is a gateway plus the ClickHouse server its telemetry
// service loads, and the Delta directory it exports into.
type telemetryStack struct {
	*suite
	ch       *harness.ClickHouse
	delta    *harness.DeltaReader
	deltaDir string
	dataDir  string
}

// startTelemetryStack starts ClickHouse and a gateway of topology topo whose
// telemetry writes to it and to Delta tables. It skips, saying why, when
// ClickHouse or the chdb Delta reader is not installed. Everything is
// stopped at the end of the test; the gateway must shut down gracefully.
func startTelemetryStack(t *testing.T, topo harness.Topology) *telemetryStack {
	t.Helper()
	delta, err := harness.NewDeltaReader()
	if errors.Is(err, harness.ErrNoDeltaReader) {
		t.Skip(err)
	}
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	ch, err := harness.StartClickHouse(filepath.Join(dir, "clickhouse"))
	if errors.Is(err, harness.ErrNoClickHouse) {
		t.Skip(err)
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("clickhouse log tail:\n%s", ch.LogTail())
		}
		ch.Kill()
	})
	ts := &telemetryStack{ch: ch, delta: delta,
		deltaDir: filepath.Join(dir, "stack", "delta"), dataDir: filepath.Join(dir, "stack", "telemetry-data")}
	stack, err := harness.StartStack(harness.StackOptions{
		Bin: binDir, Dir: filepath.Join(dir, "stack"), Topology: topo, Config: telemetryConfig,
		// Flags from the environment: only the telemetry service (or the
		// all-in-one binary) has them, and the other binaries ignore them.
		Env: []string{"TOLLGATE_CLICKHOUSE=" + ch.Addr, "TOLLGATE_DELTA_DIR=" + ts.deltaDir},
	})
	if err != nil {
		t.Fatalf("start %s: %v", topo, err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("process logs (%s):\n%s", topo, stack.LogTails(40))
		}
	})
	t.Cleanup(func() {
		if err := stack.Stop(); err != nil {
			t.Errorf("graceful shutdown of %s: %v", topo, err)
		}
	})
	ts.suite = &suite{topo: topo, stack: stack, http: &http.Client{Timeout: 60 * time.Second}}
	return ts
}

// telemetryAdmin is the admin address of the process running telemetry.
func (ts *telemetryStack) telemetryAdmin() string {
	if a := ts.stack.Gateway.AdminAddrs["telemetry"]; a != "" {
		return a
	}
	return ts.stack.Gateway.AdminAddrs["tollgate"]
}

// routerAdmin is the admin address of the process running the router.
func (ts *telemetryStack) routerAdmin() string {
	if a := ts.stack.Gateway.AdminAddrs["router"]; a != "" {
		return a
	}
	return ts.stack.Gateway.AdminAddrs["tollgate"]
}

// metricValue reads one sample from a process's /metrics: the sum over
// every series of name whose labels contain all of labels (e.g. `store="clickhouse"`).
// ok is false if no such series exists.
func scrapeMetric(adminAddr, name string, labels ...string) (v float64, ok bool, err error) {
	client := &http.Client{Timeout: 5 * time.Second}
	resp, err := client.Get("http://" + adminAddr + "/metrics")
	if err != nil {
		return 0, false, err
	}
	defer func() { _ = resp.Body.Close() }()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, false, err
	}
	if resp.StatusCode != http.StatusOK {
		return 0, false, fmt.Errorf("GET /metrics: %s", resp.Status)
	}
lines:
	for _, line := range strings.Split(string(b), "\n") {
		if !strings.HasPrefix(line, name) {
			continue
		}
		rest := line[len(name):]
		if rest == "" || (rest[0] != ' ' && rest[0] != '{') {
			continue
		}
		for _, l := range labels {
			if !strings.Contains(rest, l) {
				continue lines
			}
		}
		f := strings.Fields(rest)
		x, err := strconv.ParseFloat(f[len(f)-1], 64)
		if err != nil {
			return 0, false, fmt.Errorf("metric line %q: %v", line, err)
		}
		v += x
		ok = true
	}
	return v, ok, nil
}

// usageRow is what the tests compare of one usage row.
type usageRow struct {
	ID, Endpoint, Status, In, Out string
}

// payloadRow is what the tests compare of one inference-table row.
type payloadRow struct {
	ID, Status, Request, Response string
}

const usageSelect = "SELECT databricks_request_id AS id, endpoint_name AS endpoint, toString(status_code) AS status, " +
	"toString(input_token_count) AS tin, toString(output_token_count) AS tout FROM "

const payloadSelect = "SELECT databricks_request_id AS id, toString(status_code) AS status, request, response FROM "

// chUsage reads every row of ClickHouse's usage table.
func (ts *telemetryStack) chUsage() ([]usageRow, error) {
	rows, err := ts.chRows(usageSelect + chDatabase + ".endpoint_usage")
	if err != nil {
		return nil, err
	}
	return toUsageRows(rows), nil
}

// deltaUsage reads every row of the Delta usage table.
func (ts *telemetryStack) deltaUsage() ([]usageRow, error) {
	rows, err := ts.delta.Query(filepath.Join(ts.deltaDir, "endpoint_usage"), usageSelect+"{table}")
	if err != nil {
		return nil, err
	}
	return toUsageRows(rows), nil
}

// chPayloads reads every row of a ClickHouse inference table.
func (ts *telemetryStack) chPayloads(prefix string) ([]payloadRow, error) {
	rows, err := ts.chRows(payloadSelect + chDatabase + "." + prefix + "_payload")
	if err != nil {
		return nil, err
	}
	return toPayloadRows(rows), nil
}

// deltaPayloads reads every row of a Delta inference table.
func (ts *telemetryStack) deltaPayloads(prefix string) ([]payloadRow, error) {
	rows, err := ts.delta.Query(filepath.Join(ts.deltaDir, prefix+"_payload"), payloadSelect+"{table}")
	if err != nil {
		return nil, err
	}
	return toPayloadRows(rows), nil
}

// chRows runs a query in ClickHouse and decodes its rows (JSONEachRow).
func (ts *telemetryStack) chRows(sql string) ([]map[string]any, error) {
	out, err := ts.ch.Query(sql + " FORMAT JSONEachRow")
	if err != nil {
		return nil, err
	}
	var rows []map[string]any
	dec := json.NewDecoder(strings.NewReader(out))
	dec.UseNumber()
	for dec.More() {
		var row map[string]any
		if err := dec.Decode(&row); err != nil {
			return nil, fmt.Errorf("clickhouse output: %v", err)
		}
		rows = append(rows, row)
	}
	return rows, nil
}

func anyString(v any) string {
	if v == nil {
		return ""
	}
	if s, ok := v.(string); ok {
		return s
	}
	return fmt.Sprint(v)
}

func toUsageRows(rows []map[string]any) []usageRow {
	out := make([]usageRow, len(rows))
	for i, r := range rows {
		out[i] = usageRow{ID: anyString(r["id"]), Endpoint: anyString(r["endpoint"]), Status: anyString(r["status"]), In: anyString(r["tin"]), Out: anyString(r["tout"])}
	}
	return out
}

func toPayloadRows(rows []map[string]any) []payloadRow {
	out := make([]payloadRow, len(rows))
	for i, r := range rows {
		out[i] = payloadRow{ID: anyString(r["id"]), Status: anyString(r["status"]), Request: anyString(r["request"]), Response: anyString(r["response"])}
	}
	return out
}

// byID groups rows by request id; more than one row under an id is a duplicate.
func rowsByID[R any](rows []R, id func(R) string) map[string][]R {
	m := make(map[string][]R, len(rows))
	for _, r := range rows {
		m[id(r)] = append(m[id(r)], r)
	}
	return m
}

// duplicates lists ids with more than one row, sorted.
func duplicateIDs[R any](m map[string][]R) []string {
	var out []string
	for id, rs := range m {
		if len(rs) > 1 {
			out = append(out, id)
		}
	}
	sort.Strings(out)
	return out
}

// firstFew formats at most n items of ids, for failure messages.
func someIDs(ids []string, n int) string {
	if len(ids) <= n {
		return fmt.Sprint(ids)
	}
	return fmt.Sprintf("%v …and %d more", ids[:n], len(ids)-n)
}
