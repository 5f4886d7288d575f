// Package telemetry is the telemetry service: it receives usage events from
// the routers, keeps each request's event exactly once in a durable spool,
// and acknowledges a stream only once its events are synced to disk.
package telemetry

import (
	"errors"
	"io"
	"log/slog"

	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/grpc"

	telemetryv1 "github.com/tollgate/tollgate/gen/go/tollgate/telemetry/v1"
	"github.com/tollgate/tollgate/services/kit/errs"
	"github.com/tollgate/tollgate/services/telemetry/spool"
)

// Server implements telemetryv1.TelemetryServiceServer.
type Server struct {
	queries *usageQueries // nil until EnableUsageQueries
	telemetryv1.UnimplementedTelemetryServiceServer

	spool   *Spool
	log     *slog.Logger
	index   *dedupIndex
	metrics *serverMetrics
}

var _ telemetryv1.TelemetryServiceServer = (*Server)(nil)

// ServerOption tunes a Server.
type ServerOption func(*serverOptions)

type serverOptions struct{ dedupWindow int }

// WithDedupWindow sets how many recent request ids are remembered
// (DefaultDedupWindow unless set).
func WithDedupWindow(n int) ServerOption { return func(o *serverOptions) { o.dedupWindow = n } }

// NewServer serves ingests into sp. It first reads the newest request ids
// back from the spool, so repeats are recognised across restarts.
func NewServer(sp *Spool, log *slog.Logger, reg prometheus.Registerer, opts ...ServerOption) *Server {
	o := serverOptions{dedupWindow: DefaultDedupWindow}
	for _, opt := range opts {
		opt(&o)
	}
	s := &Server{
		spool:   sp,
		log:     log,
		index:   newDedupIndex(o.dedupWindow),
		metrics: newServerMetrics(reg, func() float64 { return float64(sp.Bytes()) }, log),
	}
	rebuildIndex(sp, s.index, o.dedupWindow, log)
	return s
}

// Ingest stores every batch of the stream as it arrives and answers once all
// of them, and any repeats they contain, are on disk.
func (s *Server) Ingest(stream grpc.ClientStreamingServer[telemetryv1.IngestRequest, telemetryv1.IngestResponse]) error {
	var accepted int64
	var waitFor []*pendingWrite
	for {
		req, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return err
		}
		c, err := s.store(req)
		if err != nil {
			return err
		}
		accepted += int64(len(c.fresh) + c.duplicates)
		waitFor = append(waitFor, c.waitFor...)
	}
	// Repeats of ids another stream is writing right now are acknowledged
	// only once that write is durable.
	for _, w := range waitFor {
		select {
		case <-w.done:
			if w.err != nil {
				return errs.New(errs.KindUnavailable, "spool_unavailable", "telemetry spool could not store the events").Wrap(w.err)
			}
		case <-stream.Context().Done():
			return errs.New(errs.KindCanceled, "canceled", "ingest canceled").Wrap(stream.Context().Err())
		}
	}
	return stream.SendAndClose(&telemetryv1.IngestResponse{Accepted: accepted})
}

// store appends one batch's fresh events to the spool.
func (s *Server) store(req *telemetryv1.IngestRequest) (claim, error) {
	s.metrics.batches.Inc()
	events := req.GetEvents()
	w := newPendingWrite()
	c := s.index.claim(events, w)
	if c.missingID > 0 {
		s.metrics.rejected.WithLabelValues("missing_request_id").Add(float64(c.missingID))
		s.log.Warn("usage events without a request id were not stored", "sender", req.GetSender(), "count", c.missingID)
	}
	if c.duplicates > 0 {
		s.metrics.duplicates.Add(float64(c.duplicates))
	}
	var err error
	if len(c.fresh) > 0 {
		err = s.spool.Append(c.fresh)
	}
	s.index.settle(w, c.keys, err)
	if err != nil {
		if errors.Is(err, spool.ErrInvalidEvent) {
			s.metrics.rejected.WithLabelValues("invalid_event").Add(float64(len(c.fresh)))
			return c, errs.Invalid("events", "a usage event cannot be stored: %v", err)
		}
		s.log.Error("spool append failed", "sender", req.GetSender(), "events", len(c.fresh), "err", err)
		return c, errs.New(errs.KindUnavailable, "spool_unavailable", "telemetry spool could not store the events").Wrap(err)
	}
	s.metrics.recordStored(c.fresh)
	return c, nil
}

// Spool is the log the server appends to (for the loaders that drain it).
func (s *Server) Spool() *Spool { return s.spool }
