package provideradapter

import (
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/tollgate/tollgate/services/kit/errs"
)

// metrics are the adapter's view of its providers.
type metrics struct {
	requests *prometheus.CounterVec
	latency  *prometheus.HistogramVec
	ttfb     *prometheus.HistogramVec
}

var upstreamBuckets = []float64{.001, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 120}

func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "tollgate", Name: "upstream_requests_total",
			Help: "Provider calls, by provider kind, provider model and status (the HTTP status, or timeout, unavailable, canceled, error).",
		}, []string{"provider", "model", "status"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: "tollgate", Name: "upstream_latency_seconds",
			Help:    "Provider call duration; for streams, until the last chunk.",
			Buckets: upstreamBuckets,
		}, []string{"provider", "model"}),
		ttfb: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: "tollgate", Name: "upstream_ttfb_seconds",
			Help:    "Time until the provider's first byte: response headers for unary calls, the first chunk for streams.",
			Buckets: upstreamBuckets,
		}, []string{"provider", "model"}),
	}
	reg.MustRegister(m.requests, m.latency, m.ttfb)
	return m
}

// entityMetrics are one served entity's series, resolved once per config
// version so the hot path does no label lookups on success.
type entityMetrics struct {
	m          *metrics
	provider   string
	model      string
	ok         prometheus.Counter
	latency    prometheus.Observer
	firstBytes prometheus.Observer
}

func (m *metrics) forEntity(provider, model string) entityMetrics {
	return entityMetrics{
		m: m, provider: provider, model: model,
		ok:         m.requests.WithLabelValues(provider, model, "200"),
		latency:    m.latency.WithLabelValues(provider, model),
		firstBytes: m.ttfb.WithLabelValues(provider, model),
	}
}

func (em *entityMetrics) observe(t *callTrace, err error) {
	em.latency.Observe(time.Since(t.start).Seconds())
	if t.firstByte > 0 {
		em.firstBytes.Observe(t.firstByte.Seconds())
	}
	if err == nil {
		em.ok.Inc()
		return
	}
	em.m.requests.WithLabelValues(em.provider, em.model, statusLabel(errs.From(err))).Inc()
}

func statusLabel(e *errs.Error) string {
	if e.UpstreamStatus != 0 {
		return strconv.Itoa(e.UpstreamStatus)
	}
	switch e.Kind {
	case errs.KindTimeout:
		return "timeout"
	case errs.KindUnavailable:
		return "unavailable"
	case errs.KindCanceled:
		return "canceled"
	}
	return "error"
}
