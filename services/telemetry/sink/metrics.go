package sink

import (
	"log/slog"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/tollgate/tollgate/services/telemetry/internal/promreg"
)

// Drop reasons, the dropped counter's label values.
const (
	reasonQueueFull = "queue_full" // Emit found the queue full
	reasonRejected  = "rejected"   // the server refused the batch as malformed
	reasonShutdown  = "shutdown"   // Close ran out of time, or Emit after Close
)

type sinkMetrics struct {
	droppedQueueFull prometheus.Counter
	droppedRejected  prometheus.Counter
	droppedClosed    prometheus.Counter
	sent             prometheus.Counter
	sendFailures     prometheus.Counter
}

func newSinkMetrics(reg prometheus.Registerer, queueDepth func() float64, log *slog.Logger) *sinkMetrics {
	dropped := prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: "tollgate", Subsystem: "telemetry", Name: "dropped_events_total",
		Help: "Usage events the router-side sink lost, by reason (queue_full, rejected, shutdown).",
	}, []string{"reason"})
	sent := prometheus.NewCounter(prometheus.CounterOpts{
		Namespace: "tollgate", Subsystem: "telemetry", Name: "sink_sent_events_total",
		Help: "Usage events the telemetry service acknowledged.",
	})
	failures := prometheus.NewCounter(prometheus.CounterOpts{
		Namespace: "tollgate", Subsystem: "telemetry", Name: "sink_send_failures_total",
		Help: "Failed Ingest attempts (each is retried).",
	})
	depth := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Namespace: "tollgate", Subsystem: "telemetry", Name: "queue_depth",
		Help: "Usage events waiting in the router-side queue.",
	}, queueDepth)

	var firstErr error
	note := func(err error) {
		if err != nil && firstErr == nil {
			firstErr = err
		}
	}
	dropped, err := promreg.Register(reg, dropped)
	note(err)
	sent, err = promreg.Register(reg, sent)
	note(err)
	failures, err = promreg.Register(reg, failures)
	note(err)
	_, err = promreg.Register(reg, depth)
	note(err)
	if firstErr != nil {
		log.Error("telemetry sink metrics not registered", "err", firstErr)
	}
	return &sinkMetrics{
		droppedQueueFull: dropped.WithLabelValues(reasonQueueFull),
		droppedRejected:  dropped.WithLabelValues(reasonRejected),
		droppedClosed:    dropped.WithLabelValues(reasonShutdown),
		sent:             sent,
		sendFailures:     failures,
	}
}
