package clickhouse

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/tollgate/tollgate/services/kit/errs"
)

// Dimensions QueryUsage can group by.
const (
	GroupByEndpoint   = "endpoint"
	GroupByRequester  = "requester"
	GroupByGroup      = "group"
	GroupByModel      = "model"
	GroupByProvider   = "provider"
	GroupByClientKind = "client_kind"
	GroupByStatus     = "status"
)

// groupByExpr maps each dimension to its column expression. A request
// counts once in each of its requester's groups; requests with no groups
// fall in the group "".
var groupByExpr = map[string]string{
	GroupByEndpoint:   "endpoint_name",
	GroupByRequester:  "requester",
	GroupByGroup:      "arrayJoin(if(empty(groups), [''], groups))",
	GroupByModel:      "model",
	GroupByProvider:   "provider",
	GroupByClientKind: "client_kind",
	GroupByStatus:     "status_code",
}

// UsageRow is one group of a usage report. Only the dimensions asked for
// are set; the others are empty (Status 0).
type UsageRow struct {
	Endpoint   string
	Requester  string
	Group      string
	Model      string
	Provider   string
	ClientKind string
	Status     int32

	// Requests counts requests (every status).
	Requests uint64
	// Errors counts requests answered with an HTTP status of 400 or more.
	Errors uint64
	// InputTokens and OutputTokens sum the requests' token counts.
	InputTokens  int64
	OutputTokens int64
	// Latency percentiles in milliseconds, arrival to last byte. They are
	// ClickHouse's sampled quantiles: exact up to 8192 requests per group,
	// estimates beyond.
	LatencyP50Ms float64
	LatencyP95Ms float64
	LatencyP99Ms float64
}

// QueryUsage reports usage of requests that arrived in [from, to), grouped
// by the given dimensions (GroupBy* constants; none: one total row) and
// ordered by them. request_time has one-second resolution, so the bounds
// are truncated to whole seconds.
//
// With endpoints given, only those endpoints' requests count (callers see the
// endpoints they may manage); no endpoints means all of them.
func (s *Store) QueryUsage(ctx context.Context, from, to time.Time, groupBy []string, endpoints ...string) ([]UsageRow, error) {
	if to.Before(from) {
		return nil, errs.Invalid("to", "the end of the range (%s) is before its start (%s)", to.Format(time.RFC3339), from.Format(time.RFC3339))
	}
	dims := make([]string, 0, len(groupBy))
	for _, d := range groupBy {
		if _, ok := groupByExpr[d]; !ok {
			return nil, errs.Invalid("group_by", "cannot group usage by %q (use endpoint, requester, group, model, provider, client_kind or status)", d)
		}
		if !slices.Contains(dims, d) {
			dims = append(dims, d)
		}
	}
	rows, err := s.conn.Query(ctx, usageQuerySQL(s.table(tableUsage), from, to, dims, endpoints))
	if err != nil {
		return nil, fmt.Errorf("clickhouse: usage query: %w", err)
	}
	defer rows.Close()
	var out []UsageRow
	for rows.Next() {
		var r UsageRow
		var latency []float64
		dest := make([]any, 0, len(dims)+5)
		for _, d := range dims {
			dest = append(dest, r.field(d))
		}
		dest = append(dest, &r.Requests, &r.Errors, &r.InputTokens, &r.OutputTokens, &latency)
		if err := rows.Scan(dest...); err != nil {
			return nil, fmt.Errorf("clickhouse: usage query: %w", err)
		}
		if r.Requests == 0 {
			continue // the total row of an empty range
		}
		if len(latency) == 3 {
			r.LatencyP50Ms, r.LatencyP95Ms, r.LatencyP99Ms = latency[0], latency[1], latency[2]
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("clickhouse: usage query: %w", err)
	}
	return out, nil
}

// field is where a dimension's value is scanned to.
func (r *UsageRow) field(dim string) any {
	switch dim {
	case GroupByEndpoint:
		return &r.Endpoint
	case GroupByRequester:
		return &r.Requester
	case GroupByGroup:
		return &r.Group
	case GroupByModel:
		return &r.Model
	case GroupByProvider:
		return &r.Provider
	case GroupByClientKind:
		return &r.ClientKind
	default:
		return &r.Status
	}
}

// clampUnix is t in Unix seconds within DateTime's range.
func clampUnix(t time.Time) int64 { return min(max(t.Unix(), 0), 1<<32-1) }

// quoteString renders s as a ClickHouse string literal.
func quoteString(s string) string {
	var b strings.Builder
	b.WriteByte('\'')
	for _, r := range s {
		switch r {
		case '\\', '\'':
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	b.WriteByte('\'')
	return b.String()
}

// usageQuerySQL is QueryUsage's statement: plain SQL that ClickHouse 18.16
// and current releases both run (the tests run it on both).
func usageQuerySQL(table string, from, to time.Time, dims, endpoints []string) string {
	var q strings.Builder
	q.WriteString("SELECT ")
	for i, d := range dims {
		fmt.Fprintf(&q, "%s AS d%d, ", groupByExpr[d], i)
	}
	q.WriteString("count() AS requests, countIf(status_code >= 400) AS errors, sum(input_token_count) AS input_tokens, " +
		"sum(output_token_count) AS output_tokens, quantiles(0.5, 0.95, 0.99)(latency_ms) AS latency")
	fmt.Fprintf(&q, " FROM %s WHERE request_time >= toDateTime(%d) AND request_time < toDateTime(%d)",
		table, clampUnix(from), clampUnix(to))
	if len(endpoints) > 0 {
		q.WriteString(" AND endpoint_name IN (")
		for i, e := range endpoints {
			if i > 0 {
				q.WriteString(", ")
			}
			q.WriteString(quoteString(e))
		}
		q.WriteString(")")
	}
	if len(dims) > 0 {
		aliases := make([]string, len(dims))
		for i := range dims {
			aliases[i] = fmt.Sprintf("d%d", i)
		}
		list := strings.Join(aliases, ", ")
		q.WriteString(" GROUP BY " + list + " ORDER BY " + list)
	}
	return q.String()
}
