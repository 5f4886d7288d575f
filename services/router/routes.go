package router

import (
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/sony/gobreaker/v2"

	"github.com/tollgate/tollgate/services/kit/config"
)

// route is one endpoint compiled for the hot path.
type route struct {
	ep       *config.Endpoint
	entities []*entity
	total    int // sum of traffic percentages
}

// entity is one served entity with its circuit breaker.
type entity struct {
	se       *config.ServedEntity
	id       string // served_entity_id: a hash of the entity's config version
	breaker  *gobreaker.TwoStepCircuitBreaker[struct{}]
	endpoint string
	series   sync.Map // seriesKey → *entitySeries, its metric series
	// alone is the plan of a call that tries only this entity, made once
	// rather than per call; callers only read it.
	alone []*entity
}

type routeTable struct {
	version uint64
	byName  map[string]*route
}

// routeCache recompiles the table when the config version changes; breakers
// survive reloads as long as the served entity's config is unchanged.
type routeCache struct {
	store    *config.Store
	table    atomic.Pointer[routeTable]
	mu       sync.Mutex
	breakers map[string]*gobreaker.TwoStepCircuitBreaker[struct{}]
	state    *prometheus.GaugeVec
}

func newRouteCache(store *config.Store, reg prometheus.Registerer) *routeCache {
	c := &routeCache{store: store, breakers: map[string]*gobreaker.TwoStepCircuitBreaker[struct{}]{},
		state: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Namespace: "tollgate", Name: "circuit_breaker_state",
			Help: "Circuit breaker state per served entity: 0 closed, 1 half-open, 2 open.",
		}, []string{"endpoint", "served_entity"})}
	if reg != nil {
		reg.MustRegister(c.state)
	}
	return c
}

// lookup returns the compiled route for an endpoint name, or nil.
func (c *routeCache) lookup(name string) *route {
	snap := c.store.Current()
	t := c.table.Load()
	if t == nil || t.version != snap.Version {
		t = c.compile(snap)
	}
	return t.byName[name]
}

func (c *routeCache) compile(snap *config.Snapshot) *routeTable {
	c.mu.Lock()
	defer c.mu.Unlock()
	if t := c.table.Load(); t != nil && t.version == snap.Version {
		return t
	}
	t := &routeTable{version: snap.Version, byName: make(map[string]*route, len(snap.Config.Endpoints))}
	for i := range snap.Config.Endpoints {
		ep := &snap.Config.Endpoints[i]
		r := &route{ep: ep}
		for j := range ep.ServedEntities {
			se := &ep.ServedEntities[j]
			id := config.ServedEntityID(ep.Name, se)
			e := &entity{se: se, id: id, breaker: c.breakerFor(ep.Name, se.Name, id), endpoint: ep.Name}
			e.alone = []*entity{e}
			r.entities = append(r.entities, e)
			r.total += se.TrafficPercentage
		}
		t.byName[ep.Name] = r
	}
	c.table.Store(t)
	return t
}

func (c *routeCache) breakerFor(endpoint, name, id string) *gobreaker.TwoStepCircuitBreaker[struct{}] {
	if b, ok := c.breakers[id]; ok {
		return b
	}
	gauge := c.state.WithLabelValues(endpoint, name)
	b := gobreaker.NewTwoStepCircuitBreaker[struct{}](gobreaker.Settings{
		Name:        id,
		MaxRequests: 1,
		Interval:    time.Minute,
		Timeout:     15 * time.Second,
		ReadyToTrip: func(counts gobreaker.Counts) bool { return counts.ConsecutiveFailures >= 5 },
		OnStateChange: func(_ string, _, to gobreaker.State) {
			gauge.Set(float64(to))
		},
	})
	c.breakers[id] = b
	return b
}

// plan orders the served entities to try: one chosen by traffic split, then
// (when fallback is on) the others in config order. Entities whose breaker is
// open go last, so a dead provider is skipped while a live one exists.
func (r *route) plan() []*entity {
	first := r.pick()
	if !r.ep.Fallback.Enabled || len(r.entities) == 1 {
		return first.alone
	}
	candidates := make([]*entity, 0, len(r.entities))
	candidates = append(candidates, first)
	for _, e := range r.entities {
		if e != first {
			candidates = append(candidates, e)
		}
	}
	out := candidates[:0:0]
	var open []*entity
	for _, e := range candidates {
		if e.breaker.State() == gobreaker.StateOpen {
			open = append(open, e)
		} else {
			out = append(out, e)
		}
	}
	return append(out, open...)
}

func (r *route) pick() *entity {
	if len(r.entities) == 1 || r.total <= 0 {
		return r.entities[0]
	}
	n := rand.IntN(r.total)
	for _, e := range r.entities {
		n -= e.se.TrafficPercentage
		if n < 0 {
			return e
		}
	}
	return r.entities[len(r.entities)-1]
}
