package lease

import "github.com/prometheus/client_golang/prometheus"

type metrics struct {
	failOpen prometheus.Counter
	reserves *prometheus.CounterVec
	rejected *prometheus.CounterVec
}

func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{
		failOpen: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: "tollgate", Subsystem: "quota", Name: "fail_open_total",
			Help: "Requests admitted without a rate-limit check because the quota service was unreachable.",
		}),
		reserves: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "tollgate", Subsystem: "quota", Name: "lease_reserves_total",
			Help: "Reserve calls made by this router, by result: granted, denied, unlimited or error.",
		}, []string{"result"}),
		rejected: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "tollgate", Subsystem: "quota", Name: "rejected_requests_total",
			Help: "Requests refused by a rate limit, by endpoint and the scope of the exhausted limit.",
		}, []string{"endpoint", "scope"}),
	}
	if reg != nil {
		reg.MustRegister(m.failOpen, m.reserves, m.rejected)
	}
	return m
}
