// Package router is Tollgate's data-plane entry: it resolves the endpoint a
// request names, decides authentication and permission locally from the
// pushed policy snapshot, admits it against quota leases, calls the provider
// adapter (with traffic split, fallbacks and circuit breakers) and hands a
// usage event to telemetry off the request path.
package router

import (
	"context"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	provideradapterv1 "github.com/tollgate/tollgate/gen/go/tollgate/provideradapter/v1"
	routerv1 "github.com/tollgate/tollgate/gen/go/tollgate/router/v1"
	telemetryv1 "github.com/tollgate/tollgate/gen/go/tollgate/telemetry/v1"
	"github.com/tollgate/tollgate/services/authz/policy"
	"github.com/tollgate/tollgate/services/kit/config"
)

// Policy decides authentication and permission locally.
type Policy interface {
	Authenticate(token string) (*policy.Identity, error)
	Authorize(id *policy.Identity, endpoint string) error
	Queryable(id *policy.Identity) []string
	Ready() bool
}

// Limiter admits a request against rate limits.
type Limiter interface {
	Admit(ctx context.Context, endpoint, principal string, groups []string) error
}

// UsageSink takes usage events without blocking.
type UsageSink interface {
	Emit(*telemetryv1.UsageEvent)
}

// Deps are the router's collaborators; the all-in-one binary passes
// in-process clients, the split mesh passes network clients.
type Deps struct {
	Config   *config.Store
	Policy   Policy
	Limiter  Limiter
	Adapter  provideradapterv1.ProviderAdapterServiceClient
	Usage    UsageSink
	Log      *slog.Logger
	Registry prometheus.Registerer
	// Gatherer serves GET /api/2.0/serving-endpoints/{name}/metrics.
	Gatherer prometheus.Gatherer
	// Telemetry, when set, puts the usage query API on the router's front door.
	Telemetry telemetryv1.TelemetryServiceClient
}

// Service implements routerv1.RouterServiceServer.
type Service struct {
	routerv1.UnimplementedRouterServiceServer
	deps    Deps
	routes  *routeCache
	metrics *metrics
	// startedUnix is the "created" time of listed models.
	startedUnix int64
}

// NewService builds the router.
func NewService(d Deps) *Service {
	return &Service{deps: d, routes: newRouteCache(d.Config, d.Registry), metrics: newMetrics(d.Registry), startedUnix: time.Now().Unix()}
}

// Ready reports whether the router can decide requests.
func (s *Service) Ready() bool { return s.deps.Policy.Ready() }
