// Package delta writes Delta Lake tables (the open table format: Parquet data
// files plus a JSON transaction log) without a Delta library: it implements
// the subset of the protocol an append-only, exactly-once writer needs.
//
// A table lives in a Storage (LocalStorage now; an object store needs only
// the same five calls, the key one being an exclusive create, PutIfAbsent,
// for commit files). Writer[R] appends rows of a Go struct type R: each
// Append writes one Parquet file per request_date partition, then commits
// them in one new log version together with a txn action (appId, version).
// Before writing it reads the table's last txn version for the appId (from
// the newest checkpoint plus the commits after it): an Append whose version
// the table already has is a no-op, so a pipeline that drains the spool in
// numbered batches can retry any batch after a crash without duplicating or
// losing rows. Files written by an attempt that never committed are not in
// the log and so not in the table. When another process commits the same
// version first, the commit is retried at the next one.
//
// Every CheckpointInterval commits (default 10) the writer stores a classic
// Parquet checkpoint of the reconciled state (protocol, metaData, txn, add)
// and points _delta_log/_last_checkpoint at it.
//
// Tables use protocol reader 1 / writer 2 (no table features). Two row types
// are provided: UsageRow (columns of Databricks' endpoint_usage plus
// Tollgate's) and PayloadRow (inference tables, <prefix>_payload), converted
// from telemetryv1.UsageEvent by UsageRowOf and PayloadRowOf. The tests read
// the tables back with ClickHouse's delta-kernel-based reader (chdb).
package delta
