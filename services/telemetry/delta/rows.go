package delta

import (
	"strings"
	"unicode/utf8"

	telemetryv1 "github.com/tollgate/tollgate/gen/go/tollgate/telemetry/v1"
)

// RequestDateColumn partitions both tables: the UTC date of request_time.
const RequestDateColumn = "request_date"

// UsageRow is one row of the usage table: one request. Column names follow
// Databricks' system.serving.endpoint_usage where they overlap; the rest are
// Tollgate's. request_date (the partition) is derived from request_time.
//
// Types are the ones delta-kernel (as used by ClickHouse) reads back
// faithfully: strings, long, int, boolean, timestamp (µs, UTC),
// array<string> and map<string,string>. Absent strings are empty, not null.
type UsageRow struct {
	AccountID                string            `parquet:"account_id,dict"`
	WorkspaceID              string            `parquet:"workspace_id,dict"`
	ServedEntityID           string            `parquet:"served_entity_id,dict"`
	ClientRequestID          string            `parquet:"client_request_id"`
	DatabricksRequestID      string            `parquet:"databricks_request_id"`
	Requester                string            `parquet:"requester,dict"`
	StatusCode               int32             `parquet:"status_code"`
	RequestTimeMicros        int64             `parquet:"request_time,timestamp(microsecond:utc)"`
	InputTokenCount          int64             `parquet:"input_token_count"`
	OutputTokenCount         int64             `parquet:"output_token_count"`
	InputCharacterCount      int64             `parquet:"input_character_count"`
	OutputCharacterCount     int64             `parquet:"output_character_count"`
	UsageContext             map[string]string `parquet:"usage_context"`
	RequestStreaming         bool              `parquet:"request_streaming"`
	EndpointName             string            `parquet:"endpoint_name,dict"`
	Provider                 string            `parquet:"provider,dict"`
	Model                    string            `parquet:"model,dict"`
	RequesterType            string            `parquet:"requester_type,dict"`
	Groups                   []string          `parquet:"groups,list"`
	UserAgent                string            `parquet:"user_agent,dict"`
	ClientKind               string            `parquet:"client_kind,dict"`
	APIType                  string            `parquet:"api_type,dict"`
	LatencyMs                int64             `parquet:"latency_ms"`
	TimeToFirstByteMs        int64             `parquet:"time_to_first_byte_ms"`
	CacheReadInputTokens     int64             `parquet:"cache_read_input_tokens"`
	CacheCreationInputTokens int64             `parquet:"cache_creation_input_tokens"`
	ReasoningTokens          int64             `parquet:"reasoning_tokens"`
	FallbackAttempts         int32             `parquet:"fallback_attempts"`
	RateLimited              bool              `parquet:"rate_limited"`
	ErrorCode                string            `parquet:"error_code,dict"`
	TokensEstimated          bool              `parquet:"tokens_estimated"`
	ServedEntityName         string            `parquet:"served_entity_name,dict"`
}

// UsageTableSpec is the usage table, partitioned by request_date.
func UsageTableSpec(name string) TableSpec[UsageRow] {
	return TableSpec[UsageRow]{
		Name:            name,
		Description:     "Tollgate usage: one row per request (columns as Databricks system.serving.endpoint_usage, plus Tollgate's).",
		PartitionColumn: RequestDateColumn,
		PartitionAfter:  "request_time",
		PartitionDay:    func(r *UsageRow) int32 { return DayOfMicros(r.RequestTimeMicros) },
	}
}

// UsageRowOf converts an event. The row shares the event's groups slice and
// usage_context map: neither may change until the row is written.
func UsageRowOf(e *telemetryv1.UsageEvent) UsageRow {
	return UsageRow{
		AccountID:                e.GetAccountId(),
		WorkspaceID:              e.GetWorkspaceId(),
		ServedEntityID:           e.GetServedEntityId(),
		ClientRequestID:          e.GetClientRequestId(),
		DatabricksRequestID:      e.GetDatabricksRequestId(),
		Requester:                e.GetRequester(),
		StatusCode:               e.GetStatusCode(),
		RequestTimeMicros:        e.GetRequestTimeUnixMs() * 1000,
		InputTokenCount:          e.GetInputTokenCount(),
		OutputTokenCount:         e.GetOutputTokenCount(),
		InputCharacterCount:      e.GetInputCharacterCount(),
		OutputCharacterCount:     e.GetOutputCharacterCount(),
		UsageContext:             e.GetUsageContext(),
		RequestStreaming:         e.GetRequestStreaming(),
		EndpointName:             e.GetEndpointName(),
		Provider:                 e.GetProvider(),
		Model:                    e.GetModel(),
		RequesterType:            e.GetRequesterType(),
		Groups:                   e.GetGroups(),
		UserAgent:                e.GetUserAgent(),
		ClientKind:               e.GetClientKind(),
		APIType:                  e.GetApiType(),
		LatencyMs:                e.GetLatencyMs(),
		TimeToFirstByteMs:        e.GetTimeToFirstByteMs(),
		CacheReadInputTokens:     e.GetCacheReadInputTokens(),
		CacheCreationInputTokens: e.GetCacheCreationInputTokens(),
		ReasoningTokens:          e.GetReasoningTokens(),
		FallbackAttempts:         e.GetFallbackAttempts(),
		RateLimited:              e.GetRateLimited(),
		ErrorCode:                e.GetErrorCode(),
		TokensEstimated:          e.GetTokensEstimated(),
		ServedEntityName:         e.GetServedEntityName(),
	}
}

// AppendUsageRows appends one row per event to dst.
func AppendUsageRows(dst []UsageRow, events []*telemetryv1.UsageEvent) []UsageRow {
	for _, e := range events {
		dst = append(dst, UsageRowOf(e))
	}
	return dst
}

// PayloadRow is one row of an inference table (<prefix>_payload): the logged
// request and response of one sampled request, columns as Databricks'
// inference tables. request_date (the partition) is derived from
// request_time.
type PayloadRow struct {
	DatabricksRequestID string   `parquet:"databricks_request_id"`
	ClientRequestID     string   `parquet:"client_request_id"`
	RequestTimeMicros   int64    `parquet:"request_time,timestamp(microsecond:utc)"`
	StatusCode          int32    `parquet:"status_code"`
	SamplingFraction    float64  `parquet:"sampling_fraction"`
	ExecutionDurationMs int64    `parquet:"execution_duration_ms"`
	Request             string   `parquet:"request"`
	Response            string   `parquet:"response"`
	ServedEntityID      string   `parquet:"served_entity_id,dict"`
	LoggingErrorCodes   []string `parquet:"logging_error_codes,list"`
	Requester           string   `parquet:"requester,dict"`
}

// PayloadTableName is the inference table of a table name prefix.
func PayloadTableName(prefix string) string { return prefix + "_payload" }

// PayloadTableSpec is an inference table, partitioned by request_date
// (placed after client_request_id, as in Databricks' layout).
func PayloadTableSpec(name string) TableSpec[PayloadRow] {
	return TableSpec[PayloadRow]{
		Name:            name,
		Description:     "Tollgate inference table: logged requests and responses.",
		PartitionColumn: RequestDateColumn,
		PartitionAfter:  "client_request_id",
		PartitionDay:    func(r *PayloadRow) int32 { return DayOfMicros(r.RequestTimeMicros) },
		NoStatsBounds:   []string{"request", "response"},
	}
}

// PayloadRowOf converts an event's payload; ok is false when the event has
// none. Bodies that are not valid UTF-8 get U+FFFD for the bad bytes (the
// columns are strings, as in Databricks).
func PayloadRowOf(e *telemetryv1.UsageEvent) (row PayloadRow, ok bool) {
	p := e.GetPayload()
	if p == nil {
		return PayloadRow{}, false
	}
	return PayloadRow{
		DatabricksRequestID: e.GetDatabricksRequestId(),
		ClientRequestID:     e.GetClientRequestId(),
		RequestTimeMicros:   e.GetRequestTimeUnixMs() * 1000,
		StatusCode:          e.GetStatusCode(),
		SamplingFraction:    p.GetSamplingFraction(),
		ExecutionDurationMs: p.GetExecutionDurationMs(),
		Request:             utf8String(p.GetRequest()),
		Response:            utf8String(p.GetResponse()),
		ServedEntityID:      e.GetServedEntityId(),
		LoggingErrorCodes:   p.GetLoggingErrorCodes(),
		Requester:           e.GetRequester(),
	}, true
}

func utf8String(b []byte) string {
	if utf8.Valid(b) {
		return string(b)
	}
	return strings.ToValidUTF8(string(b), "\uFFFD")
}
