package clickhouse

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// The schema (every migration), the loader's explicit-column INSERT and the
// usage query also run on current ClickHouse: chdb embeds a current release
// in-process. (The other tests use Debian's 18.16 over the native protocol.)
func TestSchemaAndQueriesRunOnCurrentClickHouse(t *testing.T) {
	dir, err := filepath.Abs(filepath.Join("..", "delta", "testdata", "chdb-reader"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "chdb")); err != nil {
		t.Skipf("chdb (current ClickHouse, in-process) is not installed (%v); install it with: npm install --no-save --no-audit --no-fund --prefix services/telemetry/delta/testdata/chdb-reader", err)
	}
	table := func(name string) string { return "`tollgate`.`" + name + "`" }
	stmts := []string{"CREATE DATABASE IF NOT EXISTS `tollgate`"}
	for _, d := range []struct{ ddl, name string }{
		{ddlMigrations, tableMigrations}, {ddlUsage, tableUsage}, {ddlServedEntities, tableServedEntities},
		{ddlPayloadTemplate, tablePayloadTemplate}, {ddlLoaderState, tableLoaderState},
	} {
		stmts = append(stmts, fmt.Sprintf(d.ddl, table(d.name)))
	}
	// Migration 2, as addColumn issues it.
	stmts = append(stmts, "ALTER TABLE "+table(tableUsage)+" ADD COLUMN IF NOT EXISTS loaded_at DateTime DEFAULT now()")
	// Rows through the loader's explicit column list, with every column given.
	base := time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)
	var values []string
	for i := 0; i < 3; i++ {
		row := make([]string, len(usageColumns))
		for j, c := range usageColumns {
			row[j] = sampleValue(c, i, base)
		}
		values = append(values, "("+strings.Join(row, ", ")+")")
	}
	stmts = append(stmts, "INSERT INTO "+table(tableUsage)+" ("+strings.Join(usageColumns, ", ")+") VALUES "+strings.Join(values, ", "))
	stmts = append(stmts, usageQuerySQL(table(tableUsage), base.Add(-time.Hour), base.Add(time.Hour), []string{"endpoint", "group"}, []string{"chat"}))

	file := filepath.Join(t.TempDir(), "statements.sql")
	if err := os.WriteFile(file, []byte(strings.Join(stmts, "\n;\n")), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("node", filepath.Join(dir, "session.mjs"), t.TempDir(), file)
	cmd.Dir = "/"
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("current ClickHouse refused the schema or query: %v\n%s", err, out)
	}
	var res struct {
		Data []map[string]any `json:"data"`
	}
	if err := json.Unmarshal(out, &res); err != nil {
		t.Fatalf("result %s: %v", out, err)
	}
	// Three requests on endpoint chat, group eng: one row with their totals.
	if len(res.Data) != 1 || fmt.Sprint(res.Data[0]["requests"]) != "3" || fmt.Sprint(res.Data[0]["input_tokens"]) != "30" {
		t.Fatalf("usage query on current ClickHouse: %s", out)
	}
}

// sampleValue is a SQL literal for column c of sample row i.
func sampleValue(c string, i int, base time.Time) string {
	switch c {
	case "request_time":
		return fmt.Sprintf("toDateTime(%d)", base.Unix()+int64(i))
	case "databricks_request_id":
		return fmt.Sprintf("'req-%d'", i)
	case "endpoint_name":
		return "'chat'"
	case "groups":
		return "['eng']"
	case "usage_context_keys", "usage_context_values", "logging_error_codes":
		return "[]"
	case "input_token_count":
		return "10"
	case "status_code":
		return "200"
	}
	if strings.HasSuffix(c, "_count") || strings.HasSuffix(c, "_ms") || strings.HasSuffix(c, "_tokens") ||
		strings.HasSuffix(c, "_attempts") || c == "request_streaming" || c == "rate_limited" || c == "tokens_estimated" {
		return "0"
	}
	return "''"
}
