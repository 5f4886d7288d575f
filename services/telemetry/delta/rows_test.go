package delta

import (
	"maps"
	"slices"
	"testing"
	"time"

	telemetryv1 "github.com/tollgate/tollgate/gen/go/tollgate/telemetry/v1"
)

func TestUsageRowOf(t *testing.T) {
	e := testEvent(2, 3)
	r := UsageRowOf(e)
	if r.DatabricksRequestID != e.DatabricksRequestId || r.ClientRequestID != e.ClientRequestId ||
		r.RequestTimeMicros != e.RequestTimeUnixMs*1000 || r.InputTokenCount != e.InputTokenCount ||
		r.CacheCreationInputTokens != e.CacheCreationInputTokens || r.FallbackAttempts != e.FallbackAttempts ||
		r.RateLimited != e.RateLimited || r.TokensEstimated != e.TokensEstimated ||
		r.ServedEntityName != e.ServedEntityName || r.APIType != e.ApiType || r.ErrorCode != e.ErrorCode {
		t.Errorf("row %+v does not match event %v", r, e)
	}
	if !slices.Equal(r.Groups, e.Groups) || !maps.Equal(r.UsageContext, e.UsageContext) {
		t.Errorf("groups/usage_context: %v %v", r.Groups, r.UsageContext)
	}
	if got := UsageTableSpec("u").PartitionDay(&r); formatDay(got) != time.UnixMilli(e.RequestTimeUnixMs).UTC().Format(time.DateOnly) {
		t.Errorf("partition %s", formatDay(got))
	}
}

func TestPayloadRowOf(t *testing.T) {
	if _, ok := PayloadRowOf(&telemetryv1.UsageEvent{DatabricksRequestId: "x"}); ok {
		t.Error("an event without payload gave a payload row")
	}
	e := testEvent(0, 9)
	e.Payload.Response = []byte("ok \xff\xfe end")
	r, ok := PayloadRowOf(e)
	if !ok {
		t.Fatal("no payload row")
	}
	if r.Request != string(e.Payload.Request) || r.Response != "ok \uFFFD end" {
		t.Errorf("bodies %q / %q", r.Request, r.Response)
	}
	if r.SamplingFraction != 0.5 || r.ExecutionDurationMs != e.Payload.ExecutionDurationMs ||
		!slices.Equal(r.LoggingErrorCodes, e.Payload.LoggingErrorCodes) || r.Requester != e.Requester {
		t.Errorf("row %+v", r)
	}
	if PayloadTableName("chat") != "chat_payload" {
		t.Error("payload table name")
	}
}

func TestDayOfMicrosBeforeEpoch(t *testing.T) {
	if d := DayOfMicros(-1); d != -1 || formatDay(d) != "1969-12-31" {
		t.Errorf("DayOfMicros(-1) = %d (%s)", d, formatDay(d))
	}
	if d := DayOfMicros(86400*1_000_000 - 1); d != 0 {
		t.Errorf("last µs of day 0 = day %d", d)
	}
}
