package delta

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/tollgate/tollgate/services/telemetry/internal/promreg"
)

type writerMetrics struct {
	commits            prometheus.Counter
	conflicts          prometheus.Counter
	skipped            prometheus.Counter
	rows               prometheus.Counter
	files              prometheus.Counter
	checkpoints        prometheus.Counter
	checkpointFailures prometheus.Counter
}

// newWriterMetrics registers the Delta writer's counters, labelled by table.
// Registration problems leave the counters working but unexported.
func newWriterMetrics(reg prometheus.Registerer, table string) *writerMetrics {
	counter := func(name, help string) prometheus.Counter {
		vec := prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "tollgate", Subsystem: "delta", Name: name, Help: help,
		}, []string{"table"})
		vec, _ = promreg.Register(reg, vec)
		return vec.WithLabelValues(table)
	}
	return &writerMetrics{
		commits:            counter("commits_total", "Delta table versions committed by this process."),
		conflicts:          counter("commit_conflicts_total", "Commit attempts that lost the version to another writer (retried at the next version)."),
		skipped:            counter("skipped_appends_total", "Appends that were no-ops because the table already had their txn version."),
		rows:               counter("rows_written_total", "Rows committed to Delta tables."),
		files:              counter("files_written_total", "Parquet data files committed to Delta tables."),
		checkpoints:        counter("checkpoints_total", "Checkpoints written."),
		checkpointFailures: counter("checkpoint_failures_total", "Checkpoints that failed after a successful commit (the data is committed)."),
	}
}
