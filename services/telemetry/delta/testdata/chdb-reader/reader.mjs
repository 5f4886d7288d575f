// Test-only reader: runs one ClickHouse query (in-process, via chDB) against a
// Delta table, to check Tollgate's Delta writer with an independent reader
// (ClickHouse's deltaLakeLocal, backed by delta-kernel-rs).
//
// Usage: node reader.mjs <absolute table path> <sql>
// "{table}" in the SQL stands for deltaLakeLocal('<table path>'). Prints the
// result in ClickHouse's JSON format (column names and types in "meta", rows
// in "data"). Run it with working directory "/": chDB resolves local paths
// against its user_files directory, which is the working directory.
import { query } from "chdb";

const [tablePath, sql] = process.argv.slice(2);
if (!tablePath || !sql) {
  console.error("usage: node reader.mjs <table path> <sql>");
  process.exit(2);
}
const quoted = "'" + tablePath.replaceAll("\\", "\\\\").replaceAll("'", "\\'") + "'";
const text = sql.replaceAll("{table}", `deltaLakeLocal(${quoted})`);
try {
  process.stdout.write(query(text, "JSON"));
} catch (err) {
  console.error(String(err && err.message ? err.message : err));
  process.exit(1);
}
