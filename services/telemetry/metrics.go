package telemetry

import (
	"log/slog"
	"sync"

	"github.com/prometheus/client_golang/prometheus"

	telemetryv1 "github.com/tollgate/tollgate/gen/go/tollgate/telemetry/v1"
	"github.com/tollgate/tollgate/services/telemetry/internal/promreg"
)

// maxEndpointLabels bounds the endpoint label's values: events for refused
// requests can carry whatever endpoint name a client asked for, and every
// distinct value is a new time series.
const maxEndpointLabels = 1000

// otherEndpoint labels endpoints past the bound.
const otherEndpoint = "_other"

type serverMetrics struct {
	ingested   *prometheus.CounterVec
	duplicates prometheus.Counter
	rejected   *prometheus.CounterVec
	batches    prometheus.Counter
	tokens     *prometheus.CounterVec
	endpoints  endpointLabels
}

func newServerMetrics(reg prometheus.Registerer, spoolBytes func() float64, log *slog.Logger) *serverMetrics {
	m := &serverMetrics{
		ingested: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "tollgate", Subsystem: "telemetry", Name: "events_ingested_total",
			Help: "Usage events stored in the spool (repeats excluded), by endpoint and HTTP status class.",
		}, []string{"endpoint", "status_class"}),
		duplicates: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: "tollgate", Subsystem: "telemetry", Name: "duplicate_events_total",
			Help: "Usage events acknowledged without storing because their request id was already stored (sender retries).",
		}),
		rejected: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "tollgate", Subsystem: "telemetry", Name: "rejected_events_total",
			Help: "Usage events refused, by reason.",
		}, []string{"reason"}),
		batches: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: "tollgate", Subsystem: "telemetry", Name: "ingest_batches_total",
			Help: "Ingest batches received.",
		}),
		tokens: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "tollgate", Subsystem: "telemetry", Name: "tokens_total",
			Help: "Tokens of stored usage events, by endpoint and direction (input or output).",
		}, []string{"endpoint", "direction"}),
		endpoints: endpointLabels{seen: make(map[string]struct{})},
	}
	spoolGauge := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Namespace: "tollgate", Subsystem: "telemetry", Name: "spool_bytes",
		Help: "Size of the spool's segment files.",
	}, spoolBytes)
	var err error
	register := func(c prometheus.Collector) {
		if _, e := promreg.Register(reg, c); e != nil && err == nil {
			err = e
		}
	}
	for _, c := range []prometheus.Collector{m.ingested, m.duplicates, m.rejected, m.batches, m.tokens, spoolGauge} {
		register(c)
	}
	if err != nil {
		log.Error("telemetry metrics not registered", "err", err)
	}
	return m
}

// usageKey aggregates a batch's events before touching the counters, so a
// batch of a thousand events costs a few counter updates, not thousands.
type usageKey struct {
	endpoint    string
	statusClass string
}

type usageSum struct {
	events, input, output int64
}

// recordStored counts the events a batch stored.
func (m *serverMetrics) recordStored(events []*telemetryv1.UsageEvent) {
	sums := make(map[usageKey]*usageSum, 4)
	for _, e := range events {
		k := usageKey{endpoint: e.GetEndpointName(), statusClass: statusClass(e.GetStatusCode())}
		s := sums[k]
		if s == nil {
			s = &usageSum{}
			sums[k] = s
		}
		s.events++
		s.input += e.GetInputTokenCount()
		s.output += e.GetOutputTokenCount()
	}
	for k, s := range sums {
		endpoint := m.endpoints.label(k.endpoint)
		m.ingested.WithLabelValues(endpoint, k.statusClass).Add(float64(s.events))
		if s.input > 0 {
			m.tokens.WithLabelValues(endpoint, "input").Add(float64(s.input))
		}
		if s.output > 0 {
			m.tokens.WithLabelValues(endpoint, "output").Add(float64(s.output))
		}
	}
}

var statusClasses = [...]string{"1xx", "2xx", "3xx", "4xx", "5xx"}

func statusClass(code int32) string {
	if code >= 100 && code < 600 {
		return statusClasses[code/100-1]
	}
	if code == 0 {
		return "none"
	}
	return "other"
}

// endpointLabels admits the first maxEndpointLabels endpoint names as label
// values and folds the rest into otherEndpoint.
type endpointLabels struct {
	mu   sync.Mutex
	seen map[string]struct{}
}

func (l *endpointLabels) label(endpoint string) string {
	l.mu.Lock()
	defer l.mu.Unlock()
	if _, ok := l.seen[endpoint]; ok {
		return endpoint
	}
	if len(l.seen) >= maxEndpointLabels {
		return otherEndpoint
	}
	l.seen[endpoint] = struct{}{}
	return endpoint
}
