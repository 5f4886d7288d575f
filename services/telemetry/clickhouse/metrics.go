package clickhouse

import (
	"errors"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/tollgate/tollgate/services/telemetry/internal/promreg"
)

// Values of the metrics' labels.
const (
	// table label of rows_inserted_total (payload tables share one value, so
	// the number of series does not grow with configured prefixes).
	metricTableUsage   = "endpoint_usage"
	metricTablePayload = "payload"

	// op label of errors_total.
	opMigrate       = "migrate"
	opState         = "state"
	opReconcile     = "reconcile"
	opInsert        = "insert"
	opSpoolRead     = "spool_read"
	opSpoolMismatch = "spool_mismatch"

	// reason label of rows_skipped_total.
	skipAlreadyLoaded = "already_loaded"
	skipDuplicate     = "duplicate_in_batch"
	skipMissingID     = "missing_request_id"
	skipUndecodable   = "undecodable"
)

type loaderMetrics struct {
	rowsInserted *prometheus.CounterVec
	rowsSkipped  *prometheus.CounterVec
	errors       *prometheus.CounterVec
	insertTime   prometheus.Histogram
}

func newLoaderMetrics(reg prometheus.Registerer, lag *lagTracker) (*loaderMetrics, error) {
	m := &loaderMetrics{
		rowsInserted: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "tollgate", Subsystem: "telemetry", Name: "clickhouse_rows_inserted_total",
			Help: "Rows the loader stored in ClickHouse, by table (payload counts every <prefix>_payload table).",
		}, []string{"table"}),
		rowsSkipped: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "tollgate", Subsystem: "telemetry", Name: "clickhouse_rows_skipped_total",
			Help: "Spooled events the loader did not insert, by reason (already_loaded: found in ClickHouse when resuming after a failure).",
		}, []string{"reason"}),
		errors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "tollgate", Subsystem: "telemetry", Name: "clickhouse_errors_total",
			Help: "Failed loader steps, by operation; each is retried with backoff.",
		}, []string{"op"}),
		insertTime: prometheus.NewHistogram(prometheus.HistogramOpts{
			Namespace: "tollgate", Subsystem: "telemetry", Name: "clickhouse_batch_seconds",
			Help:    "Time to store one batch in ClickHouse (state, inserts and any reconciliation), successful attempts only.",
			Buckets: prometheus.ExponentialBuckets(0.005, 2, 12),
		}),
	}
	lagRecords := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Namespace: "tollgate", Subsystem: "telemetry", Name: "export_lag_records",
		Help:        "Spooled usage events not yet exported, by store.",
		ConstLabels: prometheus.Labels{"store": "clickhouse"},
	}, lag.records)
	lagSeconds := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Namespace: "tollgate", Subsystem: "telemetry", Name: "export_lag_seconds",
		Help:        "How long the oldest usage event not yet exported has been in the spool, by store (0 when caught up).",
		ConstLabels: prometheus.Labels{"store": "clickhouse"},
	}, lag.seconds)
	var errs []error
	var err error
	if m.rowsInserted, err = promreg.Register(reg, m.rowsInserted); err != nil {
		errs = append(errs, err)
	}
	if m.rowsSkipped, err = promreg.Register(reg, m.rowsSkipped); err != nil {
		errs = append(errs, err)
	}
	if m.errors, err = promreg.Register(reg, m.errors); err != nil {
		errs = append(errs, err)
	}
	if m.insertTime, err = promreg.Register(reg, m.insertTime); err != nil {
		errs = append(errs, err)
	}
	for _, g := range []prometheus.Collector{lagRecords, lagSeconds} {
		if _, err := promreg.Register(reg, g); err != nil {
			errs = append(errs, err)
		}
	}
	return m, errors.Join(errs...)
}
