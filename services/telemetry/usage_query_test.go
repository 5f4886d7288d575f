package telemetry

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/grpc/metadata"

	telemetryv1 "github.com/tollgate/tollgate/gen/go/tollgate/telemetry/v1"
	"github.com/tollgate/tollgate/services/kit/config"
	"github.com/tollgate/tollgate/services/kit/errs"
	"github.com/tollgate/tollgate/services/telemetry/clickhouse"
)

type fakeQuerier struct {
	endpoints []string
	groupBy   []string
	from, to  time.Time
}

func (f *fakeQuerier) QueryUsage(_ context.Context, from, to time.Time, groupBy []string, endpoints ...string) ([]clickhouse.UsageRow, error) {
	f.endpoints, f.groupBy, f.from, f.to = endpoints, groupBy, from, to
	return []clickhouse.UsageRow{{Endpoint: "a", Requests: 3, Errors: 1, InputTokens: 10, OutputTokens: 20, LatencyP50Ms: 1.5}}, nil
}

func TestQueryUsageSeesOnlyManageableEndpoints(t *testing.T) {
	cfg, err := config.Parse([]byte(`
endpoints:
  - name: a
    task: chat
    served_entities: [{name: f, provider: fake, model: m}]
    permissions: [{principal: admin, level: CAN_MANAGE}, {group: users, level: CAN_QUERY}]
  - name: b
    task: chat
    served_entities: [{name: f, provider: fake, model: m}]
    permissions: [{group: users, level: CAN_QUERY}]
principals: [{name: admin}, {name: user}]
tokens:
  - {principal: admin, sha256: ` + config.HashToken("admin-token") + `}
  - {principal: user, sha256: ` + config.HashToken("user-token") + `}
`))
	if err != nil {
		t.Fatal(err)
	}
	sp, err := OpenSpool(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer sp.Close()
	srv := NewServer(sp, slog.New(slog.DiscardHandler), prometheus.NewRegistry())
	q := &fakeQuerier{}
	as := func(token string) context.Context {
		return metadata.NewIncomingContext(context.Background(), metadata.Pairs("authorization", "Bearer "+token))
	}
	req := &telemetryv1.QueryUsageRequest{StartTimeUnixMs: 1000, EndTimeUnixMs: 2000, GroupBy: []string{"endpoint"}}

	if _, err := srv.QueryUsage(as("admin-token"), req); errs.From(err).Kind != errs.KindUnavailable {
		t.Fatalf("without a store: %v", err)
	}
	srv.EnableUsageQueries(q, config.NewStaticStore(cfg))
	resp, err := srv.QueryUsage(as("admin-token"), req)
	if err != nil {
		t.Fatal(err)
	}
	if len(q.endpoints) != 1 || q.endpoints[0] != "a" {
		t.Fatalf("admin may manage only a; the store was asked for %v", q.endpoints)
	}
	if q.from.UnixMilli() != 1000 || q.to.UnixMilli() != 2000 || q.groupBy[0] != "endpoint" {
		t.Fatalf("range or grouping not passed on: %v %v %v", q.from, q.to, q.groupBy)
	}
	if r := resp.GetRows(); len(r) != 1 || r[0].GetRequests() != 3 || r[0].GetErrors() != 1 || r[0].GetOutputTokens() != 20 || r[0].GetLatencyP50Ms() != 1.5 {
		t.Fatalf("rows %v", r)
	}
	if _, err := srv.QueryUsage(as("user-token"), req); errs.From(err).Kind != errs.KindPermissionDenied {
		t.Fatalf("a caller who manages nothing must be refused: %v", err)
	}
	if _, err := srv.QueryUsage(as("nope"), req); errs.From(err).Kind != errs.KindUnauthenticated {
		t.Fatalf("unknown token: %v", err)
	}
}
