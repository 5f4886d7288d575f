package export

import "github.com/prometheus/client_golang/prometheus"

type metrics struct {
	rows       prometheus.Counter
	fromIngest prometheus.Counter
	fromSpool  prometheus.Counter
	errors     prometheus.Counter
	behind     prometheus.Gauge
	lastExport prometheus.Gauge
}

func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{
		rows: prometheus.NewCounter(prometheus.CounterOpts{Namespace: "tollgate", Name: "telemetry_delta_exported_events_total",
			Help: "Usage events committed to the Delta usage table."}),
		errors: prometheus.NewCounter(prometheus.CounterOpts{Namespace: "tollgate", Name: "telemetry_delta_export_errors_total",
			Help: "Failed Delta export attempts (each is retried from the last committed batch)."}),
		behind: prometheus.NewGauge(prometheus.GaugeOpts{Namespace: "tollgate", Name: "telemetry_delta_export_behind",
			Help: "1 while the Delta export has not caught up with the spool's end, else 0."}),
		lastExport: prometheus.NewGauge(prometheus.GaugeOpts{Namespace: "tollgate", Name: "telemetry_delta_last_export_timestamp_seconds",
			Help: "Unix time of the last committed Delta batch; export lag = now minus this while behind."}),
	}
	read := prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: "tollgate", Name: "telemetry_delta_export_read_events_total",
		Help: "Events the Delta export took, by source: ingest (handed over as they were stored) or spool (read back from the log)."},
		[]string{"source"})
	m.fromIngest, m.fromSpool = read.WithLabelValues("ingest"), read.WithLabelValues("spool")
	if reg != nil {
		for _, c := range []prometheus.Collector{m.rows, m.errors, m.behind, m.lastExport, read} {
			_ = reg.Register(c) // a second exporter on one registry keeps the first one's series
		}
	}
	return m
}
