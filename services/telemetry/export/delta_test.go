package export

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"google.golang.org/protobuf/proto"

	telemetryv1 "github.com/tollgate/tollgate/gen/go/tollgate/telemetry/v1"
	"github.com/tollgate/tollgate/services/kit/config"
	"github.com/tollgate/tollgate/services/telemetry/delta"
	"github.com/tollgate/tollgate/services/telemetry/spool"
)

func events(from, n int, withPayload bool) []*telemetryv1.UsageEvent {
	out := make([]*telemetryv1.UsageEvent, n)
	for i := range out {
		id := from + i
		ev := &telemetryv1.UsageEvent{
			DatabricksRequestId: fmt.Sprintf("req-%06d", id), EndpointName: "chat", Requester: "alice",
			StatusCode: 200, RequestTimeUnixMs: time.Date(2026, 11, 24, 23, 59, 0, 0, time.UTC).UnixMilli() + int64(id)*1000,
			InputTokenCount: int64(id % 17), OutputTokenCount: int64(id % 5), Groups: []string{"eng"},
		}
		if withPayload && id%3 == 0 {
			ev.Payload = &telemetryv1.InferencePayload{Request: []byte(`{"q":1}`), Response: []byte(`{"a":1}`),
				SamplingFraction: 1, TableNamePrefix: "chat"}
		}
		out[i] = ev
	}
	return out
}

func startExporter(t *testing.T, sp *spool.Spool, root string) (*DeltaExporter, context.CancelFunc) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	e, err := NewDeltaExporter(ctx, sp, root, slog.New(slog.DiscardHandler), prometheus.NewRegistry(),
		Options{MaxRows: 7, FlushInterval: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = e.Run(ctx) }()
	return e, cancel
}

// waitExported waits until the usage table's watermark reaches the spool's end.
func waitExported(t *testing.T, e *DeltaExporter, sp *spool.Spool) {
	t.Helper()
	want := Pack(sp.Committed())
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if v, err := e.usage.LastTxnVersion(context.Background(), AppID); err == nil && v == want {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("export did not reach the spool end %v", sp.Committed())
}

func TestPackOrdersLikePositions(t *testing.T) {
	ps := []spool.Position{{Segment: 1, Offset: 8}, {Segment: 1, Offset: 9000}, {Segment: 2, Offset: 8}, {Segment: 300, Offset: 1 << 30}}
	for i := 1; i < len(ps); i++ {
		if Pack(ps[i-1]) >= Pack(ps[i]) || Unpack(Pack(ps[i])) != ps[i] {
			t.Fatalf("pack breaks order or round trip at %v", ps[i])
		}
	}
}

// Crash-and-resume: exporting in stops and starts (and a stop while a batch
// is half written) ends with every event in the tables exactly once.
func TestExportIsExactlyOnceAcrossRestarts(t *testing.T) {
	dir := t.TempDir()
	sp, err := spool.Open(filepath.Join(dir, "spool"))
	if err != nil {
		t.Fatal(err)
	}
	defer sp.Close()
	root := filepath.Join(dir, "delta")
	var all []*telemetryv1.UsageEvent
	add := func(evs []*telemetryv1.UsageEvent) {
		if err := sp.Append(evs); err != nil {
			t.Fatal(err)
		}
		all = append(all, evs...)
	}
	add(events(0, 30, true))
	e, stop := startExporter(t, sp, root)
	waitExported(t, e, sp)
	add(events(30, 25, true))
	stop() // possibly mid-batch
	<-e.Done()
	add(events(55, 40, true))
	e, stop = startExporter(t, sp, root)
	waitExported(t, e, sp)
	stop()
	<-e.Done()
	// A third start with nothing new must add nothing.
	e, stop = startExporter(t, sp, root)
	waitExported(t, e, sp)
	stop()
	<-e.Done()

	reader := chdbReader(t)
	usage := query(t, reader, filepath.Join(root, UsageTable),
		"SELECT count() AS n, uniqExact(databricks_request_id) AS ids, sum(input_token_count) AS tin, sum(output_token_count) AS tout FROM {table}")
	var wantIn, wantOut int64
	for _, ev := range all {
		wantIn += ev.GetInputTokenCount()
		wantOut += ev.GetOutputTokenCount()
	}
	if usage["n"] != int64(len(all)) || usage["ids"] != int64(len(all)) || usage["tin"] != wantIn || usage["tout"] != wantOut {
		t.Fatalf("usage table %v, want %d rows, %d/%d tokens", usage, len(all), wantIn, wantOut)
	}
	payload := query(t, reader, filepath.Join(root, "chat_payload"), "SELECT count() AS n, uniqExact(databricks_request_id) AS ids FROM {table}")
	wantPayloads := int64(0)
	for _, ev := range all {
		if ev.GetPayload() != nil {
			wantPayloads++
		}
	}
	if payload["n"] != wantPayloads || payload["ids"] != wantPayloads {
		t.Fatalf("payload table %v, want %d", payload, wantPayloads)
	}
}

func chdbReader(t *testing.T) string {
	t.Helper()
	dir, err := filepath.Abs(filepath.Join("..", "delta", "testdata", "chdb-reader"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "chdb")); err != nil {
		t.Skipf("chdb is not installed (%v); install it with: npm install --no-save --no-audit --no-fund --prefix services/telemetry/delta/testdata/chdb-reader", err)
	}
	return dir
}

// query runs sql with chdb from "/" and returns the first row's integers.
func query(t *testing.T, readerDir, table, sql string) map[string]int64 {
	t.Helper()
	cmd := exec.Command("node", filepath.Join(readerDir, "reader.mjs"), table, sql)
	cmd.Dir = "/"
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("chdb: %v: %s", err, out)
	}
	var res struct {
		Data []map[string]any `json:"data"`
	}
	if err := json.Unmarshal(out, &res); err != nil || len(res.Data) != 1 {
		t.Fatalf("chdb output %s: %v", out, err)
	}
	row := map[string]int64{}
	for k, v := range res.Data[0] {
		switch v := v.(type) {
		case string:
			n, _ := strconv.ParseInt(v, 10, 64)
			row[k] = n
		case float64:
			row[k] = int64(v)
		}
	}
	return row
}

func TestRepeatsWithinABatchAreDropped(t *testing.T) {
	evs := events(0, 4, true) // req-000000 and req-000003 carry payloads
	evs = append(evs, evs[1], evs[0], evs[3])
	var b usageBatch
	for _, ev := range evs {
		rec, err := proto.Marshal(ev)
		if err != nil {
			t.Fatal(err)
		}
		if err := b.add(rec); err != nil {
			t.Fatal(err)
		}
	}
	if b.len() != 7 || len(b.payloads) != 4 {
		t.Fatalf("batch of %d rows and %d payloads before dropping repeats", b.len(), len(b.payloads))
	}
	b.dropRepeats()
	var ids []string
	for _, r := range b.rows {
		ids = append(ids, r.DatabricksRequestID)
	}
	if want := []string{"req-000000", "req-000001", "req-000002", "req-000003"}; !slices.Equal(ids, want) {
		t.Fatalf("rows %v, want %v", ids, want)
	}
	tables := b.payloadTables()
	var payloadIDs []string
	for _, r := range tables["chat_payload"] {
		payloadIDs = append(payloadIDs, r.DatabricksRequestID)
	}
	if len(tables) != 1 || !slices.Equal(payloadIDs, []string{"req-000000", "req-000003"}) {
		t.Fatalf("payload rows %v", tables)
	}
	for _, p := range b.payloads {
		if b.rows[p.usageRow].DatabricksRequestID != p.row.DatabricksRequestID {
			t.Fatalf("payload of %s points at usage row %d (%s)", p.row.DatabricksRequestID, p.usageRow, b.rows[p.usageRow].DatabricksRequestID)
		}
	}
	b.reset()
	if b.len() != 0 || len(b.payloads) != 0 {
		t.Fatal("reset left rows behind")
	}
}

func TestServedEntitiesMirrorIsExactlyOncePerVersion(t *testing.T) {
	root := t.TempDir()
	parse := func(model string, withSecond bool) *config.Config {
		y := `
endpoints:
  - name: chat
    task: chat
    served_entities: [{name: a, provider: fake, model: ` + model + `}]
`
		if withSecond {
			y += `  - name: vectors
    task: embeddings
    served_entities: [{name: e, provider: fake, model: emb}]
`
		}
		c, err := config.Parse([]byte(y))
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	ctx := context.Background()
	open := func() *ServedEntities {
		s, err := NewServedEntities(ctx, root, slog.New(slog.DiscardHandler), prometheus.NewRegistry())
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	s := open()
	for _, step := range []struct {
		cfg  *config.Config
		rows int // rows in the table after the step
	}{
		{parse("m1", true), 2},  // two versions appear
		{parse("m1", true), 2},  // nothing changed
		{parse("m2", true), 3},  // chat's entity changed: a new version
		{parse("m2", false), 4}, // vectors left the config: a deletion row
		{parse("m2", false), 4}, // still nothing new
	} {
		if err := s.Sync(ctx, step.cfg); err != nil {
			t.Fatal(err)
		}
		rows, err := delta.ReadAll[delta.ServedEntityRow](ctx, s.w.Table())
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) != step.rows {
			t.Fatalf("%d rows, want %d: %+v", len(rows), step.rows, rows)
		}
	}
	// A restarted writer (fresh state) adds nothing for an unchanged config.
	if err := open().Sync(ctx, parse("m2", false)); err != nil {
		t.Fatal(err)
	}
	reader := chdbReader(t)
	got := query(t, reader, filepath.Join(root, ServedEntitiesTable),
		"SELECT count() AS n, uniqExact(served_entity_id) AS ids, countIf(endpoint_delete_time IS NOT NULL) AS deleted FROM {table}")
	if got["n"] != 4 || got["ids"] != 3 || got["deleted"] != 1 {
		t.Fatalf("chdb sees %v, want 4 rows of 3 versions with 1 deletion", got)
	}
}

// The tables hold exactly the rows proto.Unmarshal and the row conversions
// give for each event, every column compared, whichever way the export took
// the events: read back from the spool (stored before it started) or handed
// over by the spool's tap as they were stored (after). A sender changing its
// events once they are stored changes nothing.
func TestExportedRowsMatchTheEvents(t *testing.T) {
	dir := t.TempDir()
	sp, err := spool.Open(filepath.Join(dir, "spool"))
	if err != nil {
		t.Fatal(err)
	}
	defer sp.Close()
	evs := events(0, 60, true)
	for i, ev := range evs {
		ev.ClientRequestId = fmt.Sprintf("client-%d", i)
		ev.UsageContext = map[string]string{"project": fmt.Sprint("p", i%4), "ünïcode": "✓"}
		ev.Groups = append(ev.Groups, fmt.Sprint("team-", i%3))
		ev.StatusCode, ev.FallbackAttempts, ev.RateLimited = int32(200+i%3*100), int32(i%3), i%4 == 0
		ev.Model, ev.Provider, ev.UserAgent, ev.ClientKind, ev.ApiType = "m", "p", "ua/1", "sdk", "openai_chat"
		ev.LatencyMs, ev.TimeToFirstByteMs, ev.ReasoningTokens, ev.TokensEstimated = int64(i), int64(i/2), int64(i%7), i%5 == 0
		if ev.Payload != nil {
			ev.Payload.LoggingErrorCodes = []string{"MAX_REQUEST_SIZE_EXCEEDED"}
		}
	}
	want := make([]*telemetryv1.UsageEvent, len(evs))
	for i, ev := range evs {
		want[i] = proto.Clone(ev).(*telemetryv1.UsageEvent)
	}
	repeat := proto.Clone(evs[5]).(*telemetryv1.UsageEvent)
	repeat.InputTokenCount = 999 // a stored repeat in the same batch (of 7): the first one is the row
	if err := sp.Append(append(evs[:6:6], repeat)); err != nil {
		t.Fatal(err)
	}
	if err := sp.Append(evs[6:30]); err != nil {
		t.Fatal(err)
	}
	e, stop := startExporter(t, sp, filepath.Join(dir, "delta"))
	waitExported(t, e, sp)
	for from := 30; from < len(evs); from += 10 {
		if err := sp.Append(evs[from : from+10]); err != nil {
			t.Fatal(err)
		}
		for _, ev := range evs[from : from+10] { // the sender reuses what it sent
			ev.Groups[0], ev.UsageContext["project"], ev.EndpointName = "changed", "changed", "changed"
			if ev.Payload != nil {
				ev.Payload.Request[0], ev.Payload.LoggingErrorCodes[0] = 'X', "changed"
			}
		}
		waitExported(t, e, sp)
	}
	stop()
	<-e.Done()
	if spooled, handed := testutil.ToFloat64(e.m.fromSpool), testutil.ToFloat64(e.m.fromIngest); spooled != 31 || handed != 30 {
		t.Errorf("the export read %v events back from the spool and took %v from the ingest; want 31 and 30", spooled, handed)
	}
	evs = want

	ctx := context.Background()
	usage, err := delta.ReadAll[delta.UsageRow](ctx, e.usage.Table())
	if err != nil {
		t.Fatal(err)
	}
	gotUsage := map[string]delta.UsageRow{}
	for _, r := range usage {
		if _, dup := gotUsage[r.DatabricksRequestID]; dup {
			t.Fatalf("%s exported twice", r.DatabricksRequestID)
		}
		gotUsage[r.DatabricksRequestID] = r
	}
	payloadWriter, err := e.payloadWriter(ctx, "chat_payload")
	if err != nil {
		t.Fatal(err)
	}
	payloads, err := delta.ReadAll[delta.PayloadRow](ctx, payloadWriter.Table())
	if err != nil {
		t.Fatal(err)
	}
	gotPayload := map[string]delta.PayloadRow{}
	for _, r := range payloads {
		gotPayload[r.DatabricksRequestID] = r
	}
	if len(gotUsage) != len(evs) {
		t.Errorf("%d usage rows, want %d", len(gotUsage), len(evs))
	}
	wantPayloads := 0
	for _, ev := range evs {
		if got, want := gotUsage[ev.GetDatabricksRequestId()], delta.UsageRowOf(ev); !sameUsageRow(got, want) {
			t.Errorf("usage row %+v\nwant %+v", got, want)
		}
		if want, ok := delta.PayloadRowOf(ev); ok {
			wantPayloads++
			if got := gotPayload[ev.GetDatabricksRequestId()]; !samePayloadRow(got, want) {
				t.Errorf("payload row %+v\nwant %+v", got, want)
			}
		}
	}
	if len(payloads) != wantPayloads {
		t.Errorf("%d payload rows, want %d", len(payloads), wantPayloads)
	}
}

// sameUsageRow and samePayloadRow compare rows read back with the rows
// written; Parquet reads an empty list or map back as empty, not nil.
func sameUsageRow(a, b delta.UsageRow) bool {
	if len(a.Groups) == 0 && len(b.Groups) == 0 {
		a.Groups, b.Groups = nil, nil
	}
	if len(a.UsageContext) == 0 && len(b.UsageContext) == 0 {
		a.UsageContext, b.UsageContext = nil, nil
	}
	return reflect.DeepEqual(a, b)
}

func samePayloadRow(a, b delta.PayloadRow) bool {
	if len(a.LoggingErrorCodes) == 0 && len(b.LoggingErrorCodes) == 0 {
		a.LoggingErrorCodes, b.LoggingErrorCodes = nil, nil
	}
	return reflect.DeepEqual(a, b)
}
