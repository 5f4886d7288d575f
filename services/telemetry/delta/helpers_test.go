package delta

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	telemetryv1 "github.com/tollgate/tollgate/gen/go/tollgate/telemetry/v1"
)

// baseTime is a minute before midnight, so batches straddle two partitions.
var baseTime = time.Date(2025, 3, 4, 23, 59, 0, 0, time.UTC)

// testEvent is a fully populated event; n varies every numeric field.
func testEvent(batch, n int) *telemetryv1.UsageEvent {
	e := &telemetryv1.UsageEvent{
		DatabricksRequestId:      fmt.Sprintf("req-%03d-%04d", batch, n),
		ClientRequestId:          fmt.Sprintf("client-%d", n),
		AccountId:                "acct-1",
		WorkspaceId:              "ws-1",
		ServedEntityId:           "se-" + fmt.Sprint(n%3),
		Requester:                fmt.Sprintf("user%d@example.com", n%4),
		RequesterType:            "user",
		Groups:                   []string{"eng", fmt.Sprintf("team-%d", n%2)},
		StatusCode:               200 + int32(n%2)*229, // 200 or 429
		RequestTimeUnixMs:        baseTime.Add(time.Duration(batch*37+n) * time.Second).UnixMilli(),
		InputTokenCount:          int64(100 + n),
		OutputTokenCount:         int64(10 + n%7),
		InputCharacterCount:      int64(400 + n),
		OutputCharacterCount:     int64(40 + n),
		UsageContext:             map[string]string{"project": fmt.Sprintf("p%d", n%3), "batch": fmt.Sprint(batch)},
		RequestStreaming:         n%2 == 0,
		EndpointName:             "chat",
		Provider:                 "openai",
		Model:                    "gpt-4o",
		UserAgent:                "codex/1.0",
		ClientKind:               "codex",
		ApiType:                  "openai_chat",
		LatencyMs:                int64(250 + n),
		TimeToFirstByteMs:        int64(50 + n),
		CacheReadInputTokens:     int64(n % 5),
		CacheCreationInputTokens: int64(n % 3),
		ReasoningTokens:          int64(n % 11),
		FallbackAttempts:         int32(n % 2),
		RateLimited:              n%2 == 1,
		ErrorCode:                "",
		TokensEstimated:          n%5 == 0,
		ServedEntityName:         "primary",
	}
	if n%2 == 1 {
		e.ErrorCode = "rate_limited"
	}
	if n%3 == 0 {
		e.Payload = &telemetryv1.InferencePayload{
			Request:             []byte(fmt.Sprintf(`{"messages":[{"role":"user","content":"hello %d"}]}`, n)),
			Response:            []byte(fmt.Sprintf(`{"choices":[{"message":{"content":"hi %d"}}]}`, n)),
			SamplingFraction:    0.5,
			LoggingErrorCodes:   nil,
			TableNamePrefix:     "chat",
			ExecutionDurationMs: int64(200 + n),
		}
		if n%9 == 0 {
			e.Payload.LoggingErrorCodes = []string{"MAX_RESPONSE_SIZE_EXCEEDED"}
		}
	}
	return e
}

func testEvents(batch, count int) []*telemetryv1.UsageEvent {
	events := make([]*telemetryv1.UsageEvent, count)
	for i := range events {
		events[i] = testEvent(batch, i)
	}
	return events
}

func newTestWriter[R any](t testing.TB, dir string, spec TableSpec[R], opts Options) *Writer[R] {
	t.Helper()
	store, err := NewLocalStorage(dir)
	if err != nil {
		t.Fatal(err)
	}
	w, err := NewWriter(context.Background(), store, spec, opts)
	if err != nil {
		t.Fatalf("NewWriter: %v", err)
	}
	return w
}

func mustAppend[R any](t testing.TB, w *Writer[R], rows []R, app string, v int64) AppendResult {
	t.Helper()
	res, err := w.Append(context.Background(), rows, app, v)
	if err != nil {
		t.Fatalf("Append(%s, %d): %v", app, v, err)
	}
	if res.CheckpointErr != nil {
		t.Fatalf("Append(%s, %d): checkpoint: %v", app, v, res.CheckpointErr)
	}
	return res
}

// parquetFilesOnDisk counts data files under dir, committed or not.
func parquetFilesOnDisk(t testing.TB, dir string) int {
	t.Helper()
	n := 0
	err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && strings.HasSuffix(path, ".snappy.parquet") && !strings.Contains(path, logDir) {
			n++
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}
