// Test-only: runs SQL statements in one chDB session (current ClickHouse,
// in-process) against a data directory, to check that Tollgate's ClickHouse
// schema and queries also run on current releases.
//
// Usage: node session.mjs <data dir> <file of statements, one per line group
// separated by a line holding only ";">. Prints the last statement's result
// as ClickHouse JSON.
import { readFileSync } from "node:fs";
import { Session } from "chdb";

const [dir, file] = process.argv.slice(2);
const statements = readFileSync(file, "utf8").split(/\n;\n/).map((s) => s.trim()).filter(Boolean);
const session = new Session(dir);
let out = "";
try {
  for (const sql of statements) {
    out = session.query(sql, "JSON");
  }
  process.stdout.write(out);
} catch (err) {
  console.error(String(err && err.message ? err.message : err));
  process.exit(1);
} finally {
  session.cleanup?.();
}
