package clickhouse

import (
	"context"
	"errors"
	"fmt"
	"time"

	ch "github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
)

// migration is one schema step. apply must be idempotent: a crash after it
// ran but before its version was recorded runs it again, and two replicas
// starting together may both run it.
type migration struct {
	version uint32
	name    string
	apply   func(ctx context.Context, s *Store) error
}

// migrations in the order they apply. Never edit or reorder a released
// step; add a new one. A step that changes the payload table's shape must
// change the template and every existing <prefix>_payload table
// (payloadTables lists them).
var migrations = []migration{
	{version: 1, name: "usage, served entities, payload template, loader state", apply: func(ctx context.Context, s *Store) error {
		for _, t := range []struct{ name, ddl string }{
			{tableUsage, ddlUsage},
			{tableServedEntities, ddlServedEntities},
			{tablePayloadTemplate, ddlPayloadTemplate},
			{tableLoaderState, ddlLoaderState},
		} {
			if err := s.conn.Exec(ctx, fmt.Sprintf(t.ddl, s.table(t.name))); err != nil {
				return fmt.Errorf("create %s: %w", t.name, err)
			}
		}
		return nil
	}},
	{version: 2, name: "endpoint_usage.loaded_at", apply: func(ctx context.Context, s *Store) error {
		// When the loader stored the row: request_time to loaded_at is the
		// end-to-end freshness of the hot store.
		return s.addColumn(ctx, tableUsage, "loaded_at", "DateTime DEFAULT now()")
	}},
}

// LatestSchemaVersion is the version Migrate brings a database to.
func LatestSchemaVersion() uint32 { return migrations[len(migrations)-1].version }

// Migrate creates the database if needed and applies every migration not yet
// recorded in schema_migrations, in order.
func (s *Store) Migrate(ctx context.Context) error {
	return s.migrateTo(ctx, LatestSchemaVersion())
}

// migrateTo applies migrations up to and including version target.
func (s *Store) migrateTo(ctx context.Context, target uint32) error {
	if err := s.conn.Exec(ctx, "CREATE DATABASE IF NOT EXISTS `"+s.db+"`"); err != nil {
		return fmt.Errorf("clickhouse: create database %s: %w", s.db, err)
	}
	if err := s.conn.Exec(ctx, fmt.Sprintf(ddlMigrations, s.table(tableMigrations))); err != nil {
		return fmt.Errorf("clickhouse: create %s: %w", tableMigrations, err)
	}
	applied, err := s.appliedVersions(ctx)
	if err != nil {
		return err
	}
	for _, m := range migrations {
		if m.version > target {
			break
		}
		if _, done := applied[m.version]; done {
			continue
		}
		if err := m.apply(ctx, s); err != nil {
			return fmt.Errorf("clickhouse: migration %d (%s): %w", m.version, m.name, err)
		}
		err := s.insert(ctx, "", tableMigrations, []string{"version", "name", "applied_at"}, func(b driver.Batch) error {
			return b.Append(m.version, m.name, time.Now())
		})
		if err != nil {
			return fmt.Errorf("clickhouse: record migration %d: %w", m.version, err)
		}
	}
	return nil
}

// SchemaVersion is the highest migration applied (0 for an empty database).
func (s *Store) SchemaVersion(ctx context.Context) (uint32, error) {
	applied, err := s.appliedVersions(ctx)
	if err != nil {
		return 0, err
	}
	var v uint32
	for k := range applied {
		v = max(v, k)
	}
	return v, nil
}

func (s *Store) appliedVersions(ctx context.Context) (map[uint32]struct{}, error) {
	exists, err := s.tableExists(ctx, tableMigrations)
	if err != nil || !exists {
		return map[uint32]struct{}{}, err
	}
	rows, err := s.conn.Query(ctx, "SELECT DISTINCT version FROM "+s.table(tableMigrations))
	if err != nil {
		return nil, fmt.Errorf("clickhouse: read %s: %w", tableMigrations, err)
	}
	defer rows.Close()
	applied := map[uint32]struct{}{}
	for rows.Next() {
		var v uint32
		if err := rows.Scan(&v); err != nil {
			return nil, fmt.Errorf("clickhouse: read %s: %w", tableMigrations, err)
		}
		applied[v] = struct{}{}
	}
	return applied, rows.Err()
}

func (s *Store) tableExists(ctx context.Context, table string) (bool, error) {
	var n uint64
	err := s.conn.QueryRow(ctx, "SELECT count() FROM system.tables WHERE database = ? AND name = ?", s.db, table).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("clickhouse: look up table %s: %w", table, err)
	}
	return n > 0, nil
}

// addColumn adds a column unless it is there already (18.16 has no ADD
// COLUMN IF NOT EXISTS).
func (s *Store) addColumn(ctx context.Context, table, column, typ string) error {
	var n uint64
	err := s.conn.QueryRow(ctx, "SELECT count() FROM system.columns WHERE database = ? AND table = ? AND name = ?", s.db, table, column).Scan(&n)
	if err != nil {
		return err
	}
	if n > 0 {
		return nil
	}
	err = s.conn.Exec(ctx, fmt.Sprintf("ALTER TABLE %s ADD COLUMN `%s` %s", s.table(table), column, typ))
	var ex *ch.Exception
	if errors.As(err, &ex) && ex.Code == errCodeDuplicateColumn {
		return nil // another replica added it first
	}
	return err
}

// ClickHouse error codes the package reacts to.
const (
	errCodeDuplicateColumn = 44
)
