package clickhouse

import (
	"context"
	"fmt"
	"time"

	ch "github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/ext"
)

// existingIDs returns which of ids (with their rows' request_time values,
// used to prune partitions) table already holds. endpoints, when given,
// are the rows' endpoint names: endpoint_usage's sort key starts with
// endpoint_name, so naming them lets the server skip most granules.
//
// The ids travel as an external table rather than in the query text, which
// ClickHouse caps at 256 KiB by default.
func (s *Store) existingIDs(ctx context.Context, table string, ids []string, times []time.Time, endpoints []string) (map[string]struct{}, error) {
	found := map[string]struct{}{}
	if len(ids) == 0 {
		return found, nil
	}
	cols := []func(*ext.Table) error{ext.Column("id", "String")}
	if endpoints != nil {
		cols = append(cols, ext.Column("endpoint", "String"))
	}
	keys, err := ext.NewTable("tollgate_batch_keys", cols...)
	if err != nil {
		return nil, err
	}
	lo, hi := times[0], times[0]
	for i, id := range ids {
		if endpoints != nil {
			err = keys.Append(id, endpoints[i])
		} else {
			err = keys.Append(id)
		}
		if err != nil {
			return nil, err
		}
		if times[i].Before(lo) {
			lo = times[i]
		}
		if times[i].After(hi) {
			hi = times[i]
		}
	}
	q := fmt.Sprintf("SELECT databricks_request_id FROM %s WHERE request_time >= toDateTime(%d) AND request_time <= toDateTime(%d)",
		s.table(table), lo.Unix(), hi.Unix())
	if endpoints != nil {
		q += " AND endpoint_name IN (SELECT endpoint FROM tollgate_batch_keys)"
	}
	q += " AND databricks_request_id IN (SELECT id FROM tollgate_batch_keys)"
	rows, err := s.conn.Query(ch.Context(ctx, ch.WithExternalTable(keys)), q)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		found[id] = struct{}{}
	}
	return found, rows.Err()
}

// runningQueries counts statements on the server whose query id starts
// with prefix.
func (s *Store) runningQueries(ctx context.Context, prefix string) (uint64, error) {
	var n uint64
	err := s.conn.QueryRow(ctx, "SELECT count() FROM system.processes WHERE substring(query_id, 1, ?) = ?", uint64(len(prefix)), prefix).Scan(&n)
	return n, err
}

// waitQuiet returns once no statement whose query id starts with prefix is
// running. An insert the client gave up on (timeout, dropped connection, a
// crashed loader) may still be running on the server and commit after a
// reconciliation looked; once it has left system.processes it will commit
// nothing more, so what a reconciliation sees then is final.
func (s *Store) waitQuiet(ctx context.Context, prefix string, poll time.Duration) error {
	for {
		n, err := s.runningQueries(ctx, prefix)
		if err != nil {
			return err
		}
		if n == 0 {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(poll):
		}
	}
}
