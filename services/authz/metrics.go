package authz

import "github.com/prometheus/client_golang/prometheus"

type metrics struct {
	policyVersion prometheus.Gauge
	watchers      prometheus.Gauge
	checks        *prometheus.CounterVec
}

func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{
		policyVersion: prometheus.NewGauge(prometheus.GaugeOpts{
			Namespace: "tollgate", Subsystem: "authz", Name: "policy_version",
			Help: "Version of the policy snapshot being served to watchers.",
		}),
		watchers: prometheus.NewGauge(prometheus.GaugeOpts{
			Namespace: "tollgate", Subsystem: "authz", Name: "policy_watchers",
			Help: "WatchPolicy streams currently open (one per router replica).",
		}),
		checks: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "tollgate", Subsystem: "authz", Name: "check_access_total",
			Help: "CheckAccess decisions, by result.",
		}, []string{"result"}),
	}
	if reg != nil {
		reg.MustRegister(m.policyVersion, m.watchers, m.checks)
	}
	return m
}
