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
	m.requests.WithLabelValues(endpoint, entity, provider, model, statusLabel(c.status), dialect).Inc()
	m.latency.WithLabelValues(endpoint, entity, dialect).Observe(elapsed.Seconds())
	if c.firstByte > 0 {
		m.ttft.WithLabelValues(endpoint, entity, dialect).Observe(c.firstByte.Seconds())
	}
	if u != nil {
		m.tokens.WithLabelValues(endpoint, entity, provider, model, "input").Add(float64(u.GetInputTokens()))
		m.tokens.WithLabelValues(endpoint, entity, provider, model, "output").Add(float64(u.GetOutputTokens()))
	}
	if c.err != nil {
		m.errors.WithLabelValues(endpoint, c.err.Code, statusLabel(c.status)).Inc()
	}
	if c.rateLimited {
		m.limited.WithLabelValues(endpoint).Inc()
	}
}
