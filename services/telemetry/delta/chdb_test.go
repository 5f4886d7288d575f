package delta

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"testing"
	"time"

	telemetryv1 "github.com/tollgate/tollgate/gen/go/tollgate/telemetry/v1"
)

// These tests read the tables back with an independent implementation:
// ClickHouse (in-process, through the chdb npm package), whose
// deltaLakeLocal table function is backed by delta-kernel-rs. The reader is
// installed with `npm install --no-save --no-audit --no-fund --prefix services/telemetry/delta/testdata/chdb-reader`
// (not `npm ci`: the lock file holds only the Linux x64 engine, the one
// platform package the registry serves, and npm ci refuses a lock file
// missing the other optional platform packages).

const chdbReaderDir = "testdata/chdb-reader"

// chdbResult is ClickHouse's JSON output format.
type chdbResult struct {
	Meta []struct {
		Name string `json:"name"`
		Type string `json:"type"`
	} `json:"meta"`
	Data []map[string]any `json:"data"`
}

func requireChdb(t *testing.T) string {
	t.Helper()
	dir, err := filepath.Abs(chdbReaderDir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "chdb")); err != nil {
		t.Skipf("chdb is not installed (%v); install it with: npm install --no-save --no-audit --no-fund --prefix services/telemetry/delta/testdata/chdb-reader", err)
	}
	return dir
}

// chdbQuery runs sql against the table at dir; {table} in sql names it.
func chdbQuery(t *testing.T, readerDir, table, sql string) chdbResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "node", filepath.Join(readerDir, "reader.mjs"), table, sql)
	cmd.Dir = "/" // chdb resolves local paths against its user_files directory: the working directory
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("chdb query %q: %v\n%s", sql, err, stderr.String())
	}
	var res chdbResult
	dec := json.NewDecoder(&stdout)
	dec.UseNumber()
	if err := dec.Decode(&res); err != nil {
		t.Fatalf("chdb query %q: decode: %v", sql, err)
	}
	return res
}

// asInt reads an integer cell (a JSON number, or a quoted 64-bit integer).
func asInt(t *testing.T, v any) int64 {
	t.Helper()
	var s string
	switch v := v.(type) {
	case json.Number:
		s = v.String()
	case string:
		s = v
	case bool:
		if v {
			return 1
		}
		return 0
	default:
		t.Fatalf("not an integer: %#v", v)
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		t.Fatalf("not an integer: %q", s)
	}
	return n
}

func asFloat(t *testing.T, v any) float64 {
	t.Helper()
	n, ok := v.(json.Number)
	if !ok {
		t.Fatalf("not a number: %#v", v)
	}
	f, err := n.Float64()
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func asStrings(t *testing.T, v any) []string {
	t.Helper()
	list, ok := v.([]any)
	if !ok {
		t.Fatalf("not an array: %#v", v)
	}
	out := make([]string, len(list))
	for i, x := range list {
		out[i], _ = x.(string)
	}
	return out
}

func columnsOf(res chdbResult) [][2]string {
	var cols [][2]string
	for _, row := range res.Data {
		cols = append(cols, [2]string{row["name"].(string), row["type"].(string)})
	}
	return cols
}

var wantUsageColumns = [][2]string{
	{"account_id", "String"}, {"workspace_id", "String"}, {"served_entity_id", "String"},
	{"client_request_id", "String"}, {"databricks_request_id", "String"}, {"requester", "String"},
	{"status_code", "Int32"}, {"request_time", "DateTime64(6)"}, {"request_date", "Date32"},
	{"input_token_count", "Int64"}, {"output_token_count", "Int64"},
	{"input_character_count", "Int64"}, {"output_character_count", "Int64"},
	{"usage_context", "Map(String, String)"}, {"request_streaming", "Bool"},
	{"endpoint_name", "String"}, {"provider", "String"}, {"model", "String"},
	{"requester_type", "String"}, {"groups", "Array(String)"}, {"user_agent", "String"},
	{"client_kind", "String"}, {"api_type", "String"}, {"latency_ms", "Int64"},
	{"time_to_first_byte_ms", "Int64"}, {"cache_read_input_tokens", "Int64"},
	{"cache_creation_input_tokens", "Int64"}, {"reasoning_tokens", "Int64"},
	{"fallback_attempts", "Int32"}, {"rate_limited", "Bool"}, {"error_code", "String"},
	{"tokens_estimated", "Bool"}, {"served_entity_name", "String"},
}

var wantPayloadColumns = [][2]string{
	{"databricks_request_id", "String"}, {"client_request_id", "String"}, {"request_date", "Date32"},
	{"request_time", "DateTime64(6)"}, {"status_code", "Int32"}, {"sampling_fraction", "Float64"},
	{"execution_duration_ms", "Int64"}, {"request", "String"}, {"response", "String"},
	{"served_entity_id", "String"}, {"logging_error_codes", "Array(String)"}, {"requester", "String"},
}

// usageTotals is what the aggregate query should return for events.
func usageTotals(events []*telemetryv1.UsageEvent) map[string]int64 {
	m := map[string]int64{"c": int64(len(events)), "ids": int64(len(events))}
	for _, e := range events {
		m["in_tok"] += e.InputTokenCount
		m["out_tok"] += e.OutputTokenCount
		m["in_chr"] += e.InputCharacterCount
		m["out_chr"] += e.OutputCharacterCount
		m["cache_r"] += e.CacheReadInputTokens
		m["cache_c"] += e.CacheCreationInputTokens
		m["reason"] += e.ReasoningTokens
		m["latency"] += e.LatencyMs
		m["ttfb"] += e.TimeToFirstByteMs
		m["status"] += int64(e.StatusCode)
		m["fallback"] += int64(e.FallbackAttempts)
		if e.RateLimited {
			m["limited"]++
		}
		if e.RequestStreaming {
			m["streamed"]++
		}
		if e.TokensEstimated {
			m["estimated"]++
		}
		m["groups"] += int64(len(e.Groups))
		m["ctx"] += int64(len(e.UsageContext))
	}
	return m
}

const usageTotalsSQL = `SELECT count() AS c, uniqExact(databricks_request_id) AS ids,
	sum(input_token_count) AS in_tok, sum(output_token_count) AS out_tok,
	sum(input_character_count) AS in_chr, sum(output_character_count) AS out_chr,
	sum(cache_read_input_tokens) AS cache_r, sum(cache_creation_input_tokens) AS cache_c,
	sum(reasoning_tokens) AS reason, sum(latency_ms) AS latency, sum(time_to_first_byte_ms) AS ttfb,
	sum(status_code) AS status, sum(fallback_attempts) AS fallback,
	countIf(rate_limited) AS limited, countIf(request_streaming) AS streamed, countIf(tokens_estimated) AS estimated,
	sum(length(groups)) AS groups, sum(length(mapKeys(usage_context))) AS ctx,
	countIf(request_date != toDate(request_time)) AS wrong_partition
	FROM {table} SETTINGS session_timezone = 'UTC'`

func checkUsageTotals(t *testing.T, readerDir, table string, events []*telemetryv1.UsageEvent) {
	t.Helper()
	res := chdbQuery(t, readerDir, table, usageTotalsSQL)
	if len(res.Data) != 1 {
		t.Fatalf("totals: %d rows", len(res.Data))
	}
	want := usageTotals(events)
	want["wrong_partition"] = 0
	for k, w := range want {
		if got := asInt(t, res.Data[0][k]); got != w {
			t.Errorf("%s = %d, want %d", k, got, w)
		}
	}
}

func TestChdbReadsUsageTable(t *testing.T) {
	readerDir := requireChdb(t)
	dir := t.TempDir()
	w := newTestWriter(t, dir, UsageTableSpec("usage"), Options{CheckpointInterval: 3})
	ctx := context.Background()

	var committed []*telemetryv1.UsageEvent
	const batches, perBatch = 7, 40
	for b := range batches {
		events := testEvents(b, perBatch)
		res := mustAppend(t, w, AppendUsageRows(nil, events), "spool", int64(b))
		if res.Skipped || res.Version != int64(b+1) {
			t.Fatalf("batch %d: %+v", b, res)
		}
		committed = append(committed, events...)
		if b == 3 { // a retry of an already committed batch adds nothing
			if res := mustAppend(t, w, AppendUsageRows(nil, testEvents(1, perBatch)), "spool", 1); !res.Skipped {
				t.Fatalf("retry of txn 1: %+v", res)
			}
		}
	}

	// A crash after the data files are written, before the commit.
	crashEvents := testEvents(batches, perBatch)
	filesBefore := parquetFilesOnDisk(t, dir)
	w.beforeCommit = func() error { return errors.New("simulated crash") }
	if _, err := w.Append(ctx, AppendUsageRows(nil, crashEvents), "spool", batches); err == nil {
		t.Fatal("Append with a crash before commit succeeded")
	}
	if parquetFilesOnDisk(t, dir) <= filesBefore {
		t.Fatal("the crashed Append wrote no files; the test would prove nothing")
	}
	// The restarted process resumes from the table's txn version.
	w2 := newTestWriter(t, dir, UsageTableSpec("usage"), Options{CheckpointInterval: 3})
	last, err := w2.LastTxnVersion(ctx, "spool")
	if err != nil || last != batches-1 {
		t.Fatalf("LastTxnVersion after restart = %d, %v; want %d", last, err, batches-1)
	}
	mustAppend(t, w2, AppendUsageRows(nil, crashEvents), "spool", batches)
	committed = append(committed, crashEvents...)
	// The caller crashed again before recording progress, and retries.
	if res := mustAppend(t, w2, AppendUsageRows(nil, crashEvents), "spool", batches); !res.Skipped {
		t.Fatalf("retry after commit: %+v", res)
	}
	if _, err := os.Stat(filepath.Join(dir, filepath.FromSlash(checkpointPath(6)))); err != nil {
		t.Fatalf("no checkpoint at version 6: %v", err)
	}

	checkUsageTotals(t, readerDir, dir, committed)

	t.Run("columns", func(t *testing.T) {
		got := columnsOf(chdbQuery(t, readerDir, dir, "DESCRIBE {table}"))
		if !reflect.DeepEqual(got, wantUsageColumns) {
			t.Errorf("columns:\n got %v\nwant %v", got, wantUsageColumns)
		}
	})

	t.Run("partitions", func(t *testing.T) {
		want := map[string]int64{}
		for _, e := range committed {
			want[time.UnixMilli(e.RequestTimeUnixMs).UTC().Format(time.DateOnly)]++
		}
		if len(want) < 2 {
			t.Fatal("test data should span two days")
		}
		res := chdbQuery(t, readerDir, dir, "SELECT toString(request_date) AS d, count() AS n FROM {table} GROUP BY d ORDER BY d")
		got := map[string]int64{}
		for _, row := range res.Data {
			got[row["d"].(string)] = asInt(t, row["n"])
		}
		if !maps.Equal(got, want) {
			t.Errorf("rows per partition = %v, want %v", got, want)
		}
	})

	t.Run("row", func(t *testing.T) {
		e := testEvent(3, 5)
		res := chdbQuery(t, readerDir, dir, fmt.Sprintf(`SELECT *, toUnixTimestamp64Micro(request_time) AS request_us,
			toString(request_date) AS request_day FROM {table} WHERE databricks_request_id = '%s'`, e.DatabricksRequestId))
		if len(res.Data) != 1 {
			t.Fatalf("%d rows for one request id", len(res.Data))
		}
		r := res.Data[0]
		strs := map[string]string{
			"account_id": e.AccountId, "workspace_id": e.WorkspaceId, "served_entity_id": e.ServedEntityId,
			"client_request_id": e.ClientRequestId, "requester": e.Requester, "endpoint_name": e.EndpointName,
			"provider": e.Provider, "model": e.Model, "requester_type": e.RequesterType, "user_agent": e.UserAgent,
			"client_kind": e.ClientKind, "api_type": e.ApiType, "error_code": e.ErrorCode,
			"served_entity_name": e.ServedEntityName,
			"request_day":        time.UnixMilli(e.RequestTimeUnixMs).UTC().Format(time.DateOnly),
		}
		for k, want := range strs {
			if got := r[k]; got != want {
				t.Errorf("%s = %#v, want %q", k, got, want)
			}
		}
		ints := map[string]int64{
			"status_code": int64(e.StatusCode), "request_us": e.RequestTimeUnixMs * 1000,
			"input_token_count": e.InputTokenCount, "output_token_count": e.OutputTokenCount,
			"latency_ms": e.LatencyMs, "fallback_attempts": int64(e.FallbackAttempts),
			"reasoning_tokens": e.ReasoningTokens,
		}
		for k, want := range ints {
			if got := asInt(t, r[k]); got != want {
				t.Errorf("%s = %d, want %d", k, got, want)
			}
		}
		bools := map[string]bool{"request_streaming": e.RequestStreaming, "rate_limited": e.RateLimited, "tokens_estimated": e.TokensEstimated}
		for k, want := range bools {
			if got := r[k]; got != want {
				t.Errorf("%s = %#v, want %v", k, got, want)
			}
		}
		if got := asStrings(t, r["groups"]); !slices.Equal(got, e.Groups) {
			t.Errorf("groups = %v, want %v", got, e.Groups)
		}
		gotCtx := map[string]string{}
		for k, v := range r["usage_context"].(map[string]any) {
			gotCtx[k], _ = v.(string)
		}
		if !maps.Equal(gotCtx, e.UsageContext) {
			t.Errorf("usage_context = %v, want %v", gotCtx, e.UsageContext)
		}
	})

	t.Run("filters", func(t *testing.T) {
		// Predicates the reader may answer with the file stats and partition
		// values: the answers must still be exact.
		cut := baseTime.Add(3 * 37 * time.Second)
		var after, day2, oneID int64
		for _, e := range committed {
			if e.RequestTimeUnixMs >= cut.UnixMilli() {
				after++
			}
			if time.UnixMilli(e.RequestTimeUnixMs).UTC().Day() == 5 {
				day2++
			}
			if e.DatabricksRequestId == "req-005-0039" {
				oneID++
			}
		}
		res := chdbQuery(t, readerDir, dir, fmt.Sprintf(`SELECT
			(SELECT count() FROM {table} WHERE request_time >= fromUnixTimestamp64Micro(%d)) AS after,
			(SELECT count() FROM {table} WHERE request_date = '2025-03-05') AS day2,
			(SELECT count() FROM {table} WHERE databricks_request_id = 'req-005-0039') AS one_id
			SETTINGS session_timezone = 'UTC'`, cut.UnixMicro()))
		r := res.Data[0]
		for k, want := range map[string]int64{"after": after, "day2": day2, "one_id": oneID} {
			if got := asInt(t, r[k]); got != want {
				t.Errorf("%s = %d, want %d", k, got, want)
			}
		}
	})

	t.Run("checkpoint alone", func(t *testing.T) {
		// With the commits up to the checkpoint deleted (as metadata cleanup
		// would), the checkpoint must carry the whole state.
		clone := t.TempDir()
		if err := os.CopyFS(clone, os.DirFS(dir)); err != nil {
			t.Fatal(err)
		}
		for v := range int64(7) {
			if err := os.Remove(filepath.Join(clone, filepath.FromSlash(commitPath(v)))); err != nil {
				t.Fatal(err)
			}
		}
		checkUsageTotals(t, readerDir, clone, committed)
	})
}

func TestChdbReadsPayloadTable(t *testing.T) {
	readerDir := requireChdb(t)
	dir := t.TempDir()
	w := newTestWriter(t, dir, PayloadTableSpec(PayloadTableName("chat")), Options{})
	var withPayload []*telemetryv1.UsageEvent
	for b := range 3 {
		var rows []PayloadRow
		for _, e := range testEvents(b, 30) {
			if row, ok := PayloadRowOf(e); ok {
				rows = append(rows, row)
				withPayload = append(withPayload, e)
			}
		}
		mustAppend(t, w, rows, "spool", int64(b))
	}
	if len(withPayload) == 0 {
		t.Fatal("no payloads in the test data")
	}

	got := columnsOf(chdbQuery(t, readerDir, dir, "DESCRIBE {table}"))
	if !reflect.DeepEqual(got, wantPayloadColumns) {
		t.Errorf("columns:\n got %v\nwant %v", got, wantPayloadColumns)
	}

	var durations, codes int64
	for _, e := range withPayload {
		durations += e.Payload.ExecutionDurationMs
		codes += int64(len(e.Payload.LoggingErrorCodes))
	}
	res := chdbQuery(t, readerDir, dir, `SELECT count() AS c, uniqExact(databricks_request_id) AS ids,
		sum(execution_duration_ms) AS dur, sum(length(logging_error_codes)) AS codes,
		countIf(request_date != toDate(request_time)) AS wrong_partition FROM {table} SETTINGS session_timezone = 'UTC'`)
	r := res.Data[0]
	want := map[string]int64{"c": int64(len(withPayload)), "ids": int64(len(withPayload)), "dur": durations, "codes": codes, "wrong_partition": 0}
	for k, w := range want {
		if got := asInt(t, r[k]); got != w {
			t.Errorf("%s = %d, want %d", k, got, w)
		}
	}

	e := testEvent(1, 9)
	res = chdbQuery(t, readerDir, dir, fmt.Sprintf(`SELECT request, response, sampling_fraction, logging_error_codes,
		status_code, requester, served_entity_id, client_request_id, toUnixTimestamp64Micro(request_time) AS us
		FROM {table} WHERE databricks_request_id = '%s'`, e.DatabricksRequestId))
	if len(res.Data) != 1 {
		t.Fatalf("%d rows for one request id", len(res.Data))
	}
	r = res.Data[0]
	if r["request"] != string(e.Payload.Request) || r["response"] != string(e.Payload.Response) {
		t.Errorf("bodies = %v / %v", r["request"], r["response"])
	}
	if got := asFloat(t, r["sampling_fraction"]); got != e.Payload.SamplingFraction {
		t.Errorf("sampling_fraction = %v", got)
	}
	if got := asStrings(t, r["logging_error_codes"]); !slices.Equal(got, e.Payload.LoggingErrorCodes) {
		t.Errorf("logging_error_codes = %v, want %v", got, e.Payload.LoggingErrorCodes)
	}
	if asInt(t, r["status_code"]) != int64(e.StatusCode) || r["requester"] != e.Requester ||
		r["served_entity_id"] != e.ServedEntityId || r["client_request_id"] != e.ClientRequestId ||
		asInt(t, r["us"]) != e.RequestTimeUnixMs*1000 {
		t.Errorf("row = %v", r)
	}
}
