package telemetry

import (
	"context"
	"strings"
	"sync"
	"time"

	"google.golang.org/grpc/metadata"

	authzv1 "github.com/tollgate/tollgate/gen/go/tollgate/authz/v1"
	telemetryv1 "github.com/tollgate/tollgate/gen/go/tollgate/telemetry/v1"
	"github.com/tollgate/tollgate/services/authz"
	"github.com/tollgate/tollgate/services/authz/policy"
	"github.com/tollgate/tollgate/services/kit/config"
	"github.com/tollgate/tollgate/services/kit/errs"
	"github.com/tollgate/tollgate/services/telemetry/clickhouse"
)

// UsageQuerier answers usage queries (the ClickHouse store).
type UsageQuerier interface {
	QueryUsage(ctx context.Context, from, to time.Time, groupBy []string, endpoints ...string) ([]clickhouse.UsageRow, error)
}

// usageQueries holds what QueryUsage needs: the hot store and the policy,
// decided locally from the same config file every service reads.
type usageQueries struct {
	store   UsageQuerier
	config  *config.Store
	mu      sync.Mutex
	version uint64
	decider *policy.Decider
}

// EnableUsageQueries serves QueryUsage from q, authorizing callers with cfg.
func (s *Server) EnableUsageQueries(q UsageQuerier, cfg *config.Store) {
	s.queries = &usageQueries{store: q, config: cfg, decider: policy.NewDecider()}
}

// QueryUsage aggregates usage for the endpoints the caller may manage.
func (s *Server) QueryUsage(ctx context.Context, req *telemetryv1.QueryUsageRequest) (*telemetryv1.QueryUsageResponse, error) {
	if s.queries == nil {
		return nil, errs.New(errs.KindUnavailable, "usage_store_unavailable",
			"usage queries need the ClickHouse hot store (start telemetry with --clickhouse)")
	}
	endpoints, err := s.queries.manageable(ctx)
	if err != nil {
		return nil, err
	}
	to := time.Now()
	if req.GetEndTimeUnixMs() > 0 {
		to = time.UnixMilli(req.GetEndTimeUnixMs())
	}
	rows, err := s.queries.store.QueryUsage(ctx, time.UnixMilli(req.GetStartTimeUnixMs()), to, req.GetGroupBy(), endpoints...)
	if err != nil {
		if te := errs.From(err); te.Kind == errs.KindInvalidArgument {
			return nil, te
		}
		return nil, errs.New(errs.KindUnavailable, "usage_store_unavailable", "the usage store did not answer").Wrap(err)
	}
	out := &telemetryv1.QueryUsageResponse{Rows: make([]*telemetryv1.UsageAggregate, 0, len(rows))}
	for _, r := range rows {
		out.Rows = append(out.Rows, &telemetryv1.UsageAggregate{
			EndpointName: r.Endpoint, Requester: r.Requester, Group: r.Group, Model: r.Model,
			Provider: r.Provider, ClientKind: r.ClientKind, StatusCode: r.Status,
			Requests: int64(r.Requests), Errors: int64(r.Errors), InputTokens: r.InputTokens, OutputTokens: r.OutputTokens,
			LatencyP50Ms: r.LatencyP50Ms, LatencyP95Ms: r.LatencyP95Ms, LatencyP99Ms: r.LatencyP99Ms,
		})
	}
	return out, nil
}

// manageable authenticates the caller (its bearer token arrives as gRPC
// metadata, from the facade or another client) and lists the endpoints it
// holds CAN_MANAGE on.
func (q *usageQueries) manageable(ctx context.Context) ([]string, error) {
	md, _ := metadata.FromIncomingContext(ctx)
	token := ""
	if v := md.Get("authorization"); len(v) > 0 && len(v[0]) > 7 && strings.EqualFold(v[0][:7], "bearer ") {
		token = strings.TrimSpace(v[0][7:])
	} else if v := md.Get("x-api-key"); len(v) > 0 {
		token = v[0]
	}
	d := q.policy()
	id, err := d.Authenticate(token)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, ep := range q.config.Current().Config.Endpoints {
		if d.Check(id, ep.Name, authzv1.Permission_PERMISSION_CAN_MANAGE) == nil {
			out = append(out, ep.Name)
		}
	}
	if len(out) == 0 {
		return nil, errs.Forbidden("principal %q may manage no endpoint, so it may see no usage", id.Principal)
	}
	return out, nil
}

func (q *usageQueries) policy() *policy.Decider {
	snap := q.config.Current()
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.version != snap.Version {
		q.decider.Set(authz.BuildSnapshot(snap.Config, snap.Version))
		q.version = snap.Version
	}
	return q.decider
}
