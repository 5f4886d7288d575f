// Package clickhouse is telemetry's hot store: a Loader drains the spool
// into ClickHouse tables named as Databricks' system tables, and a Store
// answers usage queries over them.
//
// It speaks only the native protocol (clickhouse-go/v2) and uses only what
// ClickHouse 18.16 (Debian's clickhouse-server) already had: MergeTree
// engines, DateTime, String, Array(String), integers, Nullable; every
// INSERT names its columns. The same schema works on current versions.
//
// # Use
//
//	store, _ := clickhouse.Open(clickhouse.Options{Addr: "127.0.0.1:9000"})
//	loader, _ := clickhouse.NewLoader(sp, store, clickhouse.LoaderOptions{Log: log, Registerer: reg})
//	go loader.Run(ctx)        // migrates, then loads until ctx ends or Close
//	...
//	loader.Close()            // before closing the spool
//	store.QueryUsage(ctx, from, to, []string{clickhouse.GroupByEndpoint})
//	store.SyncServedEntities(ctx, clickhouse.ServedEntitiesFromConfig(cfg, idFunc), time.Now())
//
// # Schema
//
// Migrations are ordered Go steps recorded in schema_migrations (version,
// name, applied_at); Migrate applies the missing ones and every step is
// idempotent, so a crash between a step and its record, or two replicas
// migrating at once, is harmless. v1 creates:
//   - endpoint_usage: one row per request, Databricks' endpoint_usage columns
//     plus Tollgate's own; usage_context is two arrays (usage_context_keys,
//     usage_context_values) sorted by key. PARTITION BY
//     toYYYYMMDD(request_time), ORDER BY (endpoint_name, requester,
//     request_time).
//   - served_entities: one row per served entity config version;
//     endpoint_delete_time is NULL while the endpoint exists.
//   - payload_template: the shape of the inference tables. Each
//     <prefix>_payload table (PayloadTable) is created from it on first use
//     with CREATE TABLE ... AS; a later migration that changes the shape
//     must alter the template and the existing payload tables alike.
//   - loader_state: each loader's progress (below).
//
// v2 adds endpoint_usage.loaded_at (DEFAULT now()): when a row was stored.
//
// # Exactly once
//
// ClickHouse 18.16 has no transactions, and plain MergeTree has no insert
// deduplication (that needs Replicated tables), so rows and progress cannot
// be written atomically. ReplacingMergeTree would collapse repeats only
// eventually, leaving counts wrong until a merge or needing FINAL
// everywhere. Instead the loader makes every insert re-runnable:
//
//  1. Before inserting the rows of spool records [start, end), it appends a
//     loader_state row saying "everything before start is loaded; records
//     up to pending >= end may be in ClickHouse". pending never decreases.
//  2. It inserts the batch: usage rows, then each payload table's rows.
//  3. The next state row (before the next batch, or on shutdown) moves
//     "loaded" to end.
//
// On start the loader resumes from the newest state row. Any batch that
// begins before pending — and, in the same process, any batch whose insert
// failed, since a failed insert may still have been applied — is
// reconciled first: the loader asks each table which of the batch's request
// ids it already holds (ids sent as an external table, request_time bounds
// pruning partitions) and inserts only the rest. A crash anywhere —
// between the state row and the insert, half way through an insert that
// spans partitions, between usage and payload inserts, after the inserts —
// therefore neither loses nor repeats a row. Reconciliation costs one query
// per table per batch and only happens after a failure or restart.
//
// An insert the client gave up on may still be running on the server and
// commit after a reconciliation looked. Every insert therefore carries a
// query id starting "tollgate-loader-<name>-"; before reconciling, the
// loader waits until system.processes shows none of them.
//
// Progress lives in ClickHouse, next to the rows, rather than in a file
// next to the spool: if the ClickHouse data is lost or restored from a
// backup, the progress goes with it and the loader reloads what is missing
// instead of believing it loaded. Each spool has its own loader name
// (LoaderOptions.Name), so replicas sharing a database keep separate
// progress. The state row also names the last loaded record (position and
// request id); if the spool no longer has that record there (wiped,
// replaced), or there is no state but the table has rows, the loader
// reloads the whole spool with every batch reconciled.
//
// The request id is the row identity throughout: records without one are
// skipped, and a repeat within a batch is stored once (the telemetry server
// already drops repeats within its dedup window).
//
// Limits: exactly-once holds for one ClickHouse server (not a Distributed
// table over shards); ClickHouse 18.16 does not fsync parts, so rows
// acknowledged by a server whose machine then loses power may be lost; and
// the same request id spooled by two telemetry replicas (a sender that
// failed over) is stored by both loaders.
//
// # Outages
//
// Every step is retried with capped, jittered exponential backoff
// (MinBackoff to MaxBackoff); the spool keeps the events, so an outage only
// makes the loader fall behind. The next batch is read and decoded while
// the current one is stored.
//
// Metrics: tollgate_telemetry_export_lag_records and
// tollgate_telemetry_export_lag_seconds (label store="clickhouse": spooled
// events not yet loaded, and how long the oldest has waited),
// tollgate_telemetry_clickhouse_rows_inserted_total{table},
// tollgate_telemetry_clickhouse_errors_total{op},
// tollgate_telemetry_clickhouse_rows_skipped_total{reason} and
// tollgate_telemetry_clickhouse_batch_seconds.
//
// # Performance
//
// BenchmarkLoaderThroughput drains a spool into a local 18.16 server on a
// shared 2-core machine: about 90-135k events/s with the default batching
// (50000 rows or 500ms), 85-95k events/s when half the events also carry an
// inference payload, 45-55k events/s with 10000-row batches.
package clickhouse
