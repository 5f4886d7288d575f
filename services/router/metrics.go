package router

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"

	inferencev1 "github.com/tollgate/tollgate/gen/go/tollgate/inference/v1"
)

type metrics struct {
	requests  *prometheus.CounterVec
	latency   *prometheus.HistogramVec
	ttft      *prometheus.HistogramVec
	tokens    *prometheus.CounterVec
	errors    *prometheus.CounterVec
	fallbacks *prometheus.CounterVec
	limited   *prometheus.CounterVec
}

var latencyBuckets = []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 120}

func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: "tollgate", Name: "requests_total",
			Help: "Requests answered, by endpoint, served entity, provider, model, HTTP status and client dialect."},
			[]string{"endpoint", "served_entity", "provider", "model", "status", "dialect"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: "tollgate", Name: "request_duration_seconds",
			Help: "Time from arrival to the last response byte.", Buckets: latencyBuckets},
			[]string{"endpoint", "served_entity", "dialect"}),
		ttft: prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: "tollgate", Name: "time_to_first_token_seconds",
			Help: "Time from arrival to the first response byte.", Buckets: latencyBuckets},
			[]string{"endpoint", "served_entity", "dialect"}),
		tokens: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: "tollgate", Name: "tokens_total",
			Help: "Tokens by endpoint and direction (input, output)."},
			[]string{"endpoint", "served_entity", "provider", "model", "direction"}),
		errors: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: "tollgate", Name: "errors_total",
			Help: "Failed requests by endpoint and error code."},
			[]string{"endpoint", "code", "status"}),
		fallbacks: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: "tollgate", Name: "fallbacks_total",
			Help: "Fallback attempts, by endpoint and the served entity tried."},
			[]string{"endpoint", "served_entity"}),
		limited: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: "tollgate", Name: "rate_limited_requests_total",
			Help: "Requests refused by rate limits, by endpoint."},
			[]string{"endpoint"}),
	}
	if reg != nil {
		reg.MustRegister(m.requests, m.latency, m.ttft, m.tokens, m.errors, m.fallbacks, m.limited)
	}
	return m
}

func (m *metrics) observe(c *call, endpoint, entity, provider, model string, elapsed time.Duration, u *inferencev1.Usage) {
	dialect := apiType(c.dialect)
	var series *entitySeries
	if c.entity != nil && c.entity.endpoint == endpoint {
		series = c.entity.seriesOf(m, c.dialect, c.status)
	} else {
		series = m.newSeries(endpoint, entity, provider, model, dialect, c.status)
	}
	series.requests.Inc()
	series.latency.Observe(elapsed.Seconds())
	if c.firstByte > 0 {
		series.ttft.Observe(c.firstByte.Seconds())
	}
	if u != nil {
		series.inputTokens.Add(float64(u.GetInputTokens()))
		series.outputTokens.Add(float64(u.GetOutputTokens()))
	}
	if c.err != nil {
		m.errors.WithLabelValues(endpoint, c.err.Code, statusLabel(c.status)).Inc()
	}
	if c.rateLimited {
		m.limited.WithLabelValues(endpoint).Inc()
	}
}

// entitySeries are the per-request metric series of one served entity for
// one client dialect and status. A label lookup hashes every label value,
// which costs more than the observation itself, so an entity resolves its
// series once (see entity.seriesOf) and reuses them for every request.
type entitySeries struct {
	requests, inputTokens, outputTokens prometheus.Counter
	latency, ttft                       prometheus.Observer
}

func (m *metrics) newSeries(endpoint, entity, provider, model, dialect string, status int) *entitySeries {
	return &entitySeries{
		requests:     m.requests.WithLabelValues(endpoint, entity, provider, model, statusLabel(status), dialect),
		latency:      m.latency.WithLabelValues(endpoint, entity, dialect),
		ttft:         m.ttft.WithLabelValues(endpoint, entity, dialect),
		inputTokens:  m.tokens.WithLabelValues(endpoint, entity, provider, model, "input"),
		outputTokens: m.tokens.WithLabelValues(endpoint, entity, provider, model, "output"),
	}
}

// seriesKey picks an entity's series: the labels that vary per request.
type seriesKey struct {
	dialect inferencev1.Dialect
	status  int
}

// seriesOf returns the entity's series for a request in dialect answered
// with status, resolving them on first use.
func (e *entity) seriesOf(m *metrics, dialect inferencev1.Dialect, status int) *entitySeries {
	key := seriesKey{dialect, status}
	if v, ok := e.series.Load(key); ok {
		return v.(*entitySeries)
	}
	v, _ := e.series.LoadOrStore(key, m.newSeries(e.endpoint, e.se.Name, e.se.Provider, e.se.Model, apiType(dialect), status))
	return v.(*entitySeries)
}
