package harness

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// ErrNoDeltaReader is returned (wrapped) by NewDeltaReader when chdb, the
// independent Delta reader, is not installed; tests skip on it.
var ErrNoDeltaReader = errors.New("chdb is not installed (npm install --no-save --no-audit --no-fund --prefix services/telemetry/delta/testdata/chdb-reader)")

// deltaReaderDir is the chdb reader script's directory, relative to the repo root.
const deltaReaderDir = "services/telemetry/delta/testdata/chdb-reader"

// deltaQueryTimeout bounds one query (node starts and loads chdb each time).
const deltaQueryTimeout = 60 * time.Second

// DeltaReader queries Delta tables with chdb (ClickHouse's deltaLakeLocal,
// backed by delta-kernel-rs): a reader independent of Tollgate's writer.
type DeltaReader struct {
	script string
}

// NewDeltaReader finds the chdb reader in the repository; it fails with an
// error wrapping ErrNoDeltaReader if node or chdb is missing.
func NewDeltaReader() (*DeltaReader, error) {
	root, err := RepoRoot()
	if err != nil {
		return nil, err
	}
	dir := filepath.Join(root, deltaReaderDir)
	if _, err := exec.LookPath("node"); err != nil {
		return nil, fmt.Errorf("%w: no node: %v", ErrNoDeltaReader, err)
	}
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "chdb")); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrNoDeltaReader, err)
	}
	return &DeltaReader{script: filepath.Join(dir, "reader.mjs")}, nil
}

// Query runs sql, in which "{table}" stands for the Delta table at the
// absolute path table, and returns the rows. Numbers come back as
// json.Number or, for 64-bit integers, strings (ClickHouse's JSON format).
func (r *DeltaReader) Query(table, sql string) ([]map[string]any, error) {
	out, err := r.QueryRaw(table, sql)
	if err != nil {
		return nil, err
	}
	var res struct {
		Data []map[string]any `json:"data"`
	}
	dec := json.NewDecoder(strings.NewReader(out))
	dec.UseNumber()
	if err := dec.Decode(&res); err != nil {
		return nil, fmt.Errorf("chdb on %s: output is not JSON: %v: %.500s", table, err, out)
	}
	return res.Data, nil
}

// QueryRaw runs sql like Query and returns chdb's whole JSON output, for
// scanning every value a table holds.
func (r *DeltaReader) QueryRaw(table, sql string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), deltaQueryTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "node", r.script, table, sql)
	// chdb resolves local paths against its user_files directory, which is
	// the working directory.
	cmd.Dir = "/"
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("chdb on %s: %q: %v: %s", table, sql, err, strings.TrimSpace(stderr.String()))
	}
	return stdout.String(), nil
}
