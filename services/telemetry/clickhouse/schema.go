package clickhouse

// Table names. Payload tables are named after their endpoint's prefix
// (PayloadTable); every fixed name here avoids the "_payload" suffix so no
// prefix can collide with one.
const (
	tableMigrations      = "schema_migrations"
	tableUsage           = "endpoint_usage"
	tableServedEntities  = "served_entities"
	tablePayloadTemplate = "payload_template"
	tableLoaderState     = "loader_state"
)

// Every DDL statement below is written for ClickHouse 18.16 and later: plain
// MergeTree engines with PARTITION BY / ORDER BY clauses, DateTime, String,
// Array(String), integers and Nullable only. "%s" is the quoted,
// database-qualified table name.

const ddlMigrations = `CREATE TABLE IF NOT EXISTS %s (
	version UInt32,
	name String,
	applied_at DateTime
) ENGINE = MergeTree ORDER BY version`

// ddlUsage is Databricks' system.serving.endpoint_usage plus Tollgate's own
// columns. usage_context is a map in Databricks; here it is two parallel
// arrays sorted by key (ClickHouse 18.16 has no Map type).
const ddlUsage = `CREATE TABLE IF NOT EXISTS %s (
	account_id String,
	workspace_id String,
	served_entity_id String,
	client_request_id String,
	databricks_request_id String,
	requester String,
	status_code Int32,
	request_time DateTime,
	input_token_count Int64,
	output_token_count Int64,
	input_character_count Int64,
	output_character_count Int64,
	usage_context_keys Array(String),
	usage_context_values Array(String),
	request_streaming UInt8,
	endpoint_name String,
	provider String,
	model String,
	requester_type String,
	groups Array(String),
	user_agent String,
	client_kind String,
	api_type String,
	latency_ms Int64,
	time_to_first_byte_ms Int64,
	cache_read_input_tokens Int64,
	cache_creation_input_tokens Int64,
	reasoning_tokens Int64,
	fallback_attempts Int32,
	rate_limited UInt8,
	error_code String,
	tokens_estimated UInt8,
	served_entity_name String
) ENGINE = MergeTree
PARTITION BY toYYYYMMDD(request_time)
ORDER BY (endpoint_name, requester, request_time)`

// ddlServedEntities keeps one row per served entity config version.
// row_version orders the rows of one id (a later row marks the endpoint
// deleted, or revives it); readers take the newest with argMax, and merges
// eventually keep only that one.
const ddlServedEntities = `CREATE TABLE IF NOT EXISTS %s (
	served_entity_id String,
	endpoint_name String,
	served_entity_name String,
	entity_type String,
	entity_name String,
	task String,
	external_model_config String,
	change_time DateTime,
	endpoint_delete_time Nullable(DateTime),
	row_version UInt64
) ENGINE = ReplacingMergeTree(row_version)
ORDER BY served_entity_id`

// ddlPayloadTemplate is the shape of every <prefix>_payload table, which are
// created from it with CREATE TABLE ... AS. The template itself stays empty.
const ddlPayloadTemplate = `CREATE TABLE IF NOT EXISTS %s (
	databricks_request_id String,
	client_request_id String,
	request_date Date,
	request_time DateTime,
	status_code Int32,
	sampling_fraction Float64,
	execution_duration_ms Int64,
	request String,
	response String,
	served_entity_id String,
	logging_error_codes Array(String),
	requester String
) ENGINE = MergeTree
PARTITION BY request_date
ORDER BY (request_time, databricks_request_id)`

// ddlLoaderState holds each loader's progress through its spool (see the
// package doc). seq grows with every write, so the newest row is the one
// with the largest seq, whatever order writes were applied in.
const ddlLoaderState = `CREATE TABLE IF NOT EXISTS %s (
	loader String,
	seq UInt64,
	loaded_segment UInt64,
	loaded_offset Int64,
	last_segment UInt64,
	last_offset Int64,
	last_request_id String,
	pending_segment UInt64,
	pending_offset Int64,
	written_at DateTime
) ENGINE = ReplacingMergeTree(seq)
ORDER BY loader`

// usageColumns lists endpoint_usage's columns in the order the loader sends
// them (inserts always name their columns, so later columns with defaults,
// like v2's loaded_at, are filled in by the server).
var usageColumns = []string{
	"account_id", "workspace_id", "served_entity_id", "client_request_id",
	"databricks_request_id", "requester", "status_code", "request_time",
	"input_token_count", "output_token_count", "input_character_count",
	"output_character_count", "usage_context_keys", "usage_context_values",
	"request_streaming", "endpoint_name", "provider", "model", "requester_type",
	"groups", "user_agent", "client_kind", "api_type", "latency_ms",
	"time_to_first_byte_ms", "cache_read_input_tokens",
	"cache_creation_input_tokens", "reasoning_tokens", "fallback_attempts",
	"rate_limited", "error_code", "tokens_estimated", "served_entity_name",
}

var payloadColumns = []string{
	"databricks_request_id", "client_request_id", "request_date", "request_time",
	"status_code", "sampling_fraction", "execution_duration_ms", "request",
	"response", "served_entity_id", "logging_error_codes", "requester",
}

var servedEntityColumns = []string{
	"served_entity_id", "endpoint_name", "served_entity_name", "entity_type",
	"entity_name", "task", "external_model_config", "change_time",
	"endpoint_delete_time", "row_version",
}

var loaderStateColumns = []string{
	"loader", "seq", "loaded_segment", "loaded_offset", "last_segment",
	"last_offset", "last_request_id", "pending_segment", "pending_offset",
	"written_at",
}
