package quota

import "github.com/prometheus/client_golang/prometheus"

type metrics struct {
	reservations *prometheus.CounterVec
	rejections   *prometheus.CounterVec
	returned     prometheus.Counter
}

func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{
		reservations: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "tollgate", Subsystem: "quota", Name: "reservations_total",
			Help: "Reserve calls by result: granted, denied, or unlimited (no limit applies).",
		}, []string{"result"}),
		rejections: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "tollgate", Name: "rate_limit_rejections_total",
			Help: "Reserve calls denied because a limit was exhausted, by endpoint and the scope of the exhausted limit.",
		}, []string{"endpoint", "scope"}),
		returned: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: "tollgate", Subsystem: "quota", Name: "returned_calls_total",
			Help: "Unused calls given back by Reconcile while their window was still open.",
		}),
	}
	if reg != nil {
		reg.MustRegister(m.reservations, m.rejections, m.returned)
	}
	return m
}
