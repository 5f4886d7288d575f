// Package serve is the scaffolding every Tollgate service shares: a gRPC
// server with health, reflection and the one error interceptor; an admin HTTP
// server with /metrics, /healthz and pprof; and ordered graceful shutdown.
package serve

import (
	"context"
	"log/slog"
	"runtime/debug"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/grpc"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/keepalive"
	"google.golang.org/grpc/reflection"
	"google.golang.org/grpc/status"

	"github.com/tollgate/tollgate/services/kit/errs"
	"github.com/tollgate/tollgate/services/kit/tracing"
)

// MaxMessageBytes bounds gRPC messages; request bodies are capped lower by the facade.
const MaxMessageBytes = 64 << 20

// Interceptors is the error-to-status and metrics middleware of one service.
type Interceptors struct {
	log     *slog.Logger
	handled *prometheus.CounterVec
	latency *prometheus.HistogramVec
	// okSeries caches each method's series of successful calls (method name
	// → *methodSeries): a label lookup hashes the labels on every call,
	// which costs more than the observation. Methods are a fixed set.
	okSeries sync.Map
}

// methodSeries are one method's metric series for a successful call.
type methodSeries struct {
	latency prometheus.Observer
	ok      prometheus.Counter
}

// NewInterceptors registers the gRPC server metrics on reg.
func NewInterceptors(service string, log *slog.Logger, reg prometheus.Registerer) *Interceptors {
	i := &Interceptors{
		log: log,
		handled: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "tollgate", Name: "grpc_server_handled_total",
			Help:        "gRPC calls completed, by method and status code.",
			ConstLabels: prometheus.Labels{"service": service},
		}, []string{"method", "code"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: "tollgate", Name: "grpc_server_handling_seconds",
			Help:        "gRPC call duration (streams: until the handler returns).",
			ConstLabels: prometheus.Labels{"service": service},
			Buckets:     []float64{.0001, .0005, .001, .005, .01, .05, .1, .5, 1, 5, 30, 120},
		}, []string{"method"}),
	}
	reg.MustRegister(i.handled, i.latency)
	return i
}

// Unary maps errors to statuses, recovers panics and records metrics.
func (i *Interceptors) Unary(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (resp any, err error) {
	start := time.Now()
	defer func() {
		if r := recover(); r != nil {
			i.log.Error("panic in handler", "method", info.FullMethod, "panic", r, "stack", string(debug.Stack()))
			err = errs.New(errs.KindInternal, "internal_error", "internal error")
		}
		err = i.finish(info.FullMethod, start, err)
	}()
	return handler(ctx, req)
}

// Stream is Unary's counterpart for streaming calls.
func (i *Interceptors) Stream(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) (err error) {
	start := time.Now()
	defer func() {
		if r := recover(); r != nil {
			i.log.Error("panic in stream handler", "method", info.FullMethod, "panic", r, "stack", string(debug.Stack()))
			err = errs.New(errs.KindInternal, "internal_error", "internal error")
		}
		err = i.finish(info.FullMethod, start, err)
	}()
	return handler(srv, ss)
}

func (i *Interceptors) finish(method string, start time.Time, err error) error {
	elapsed := time.Since(start).Seconds()
	if err == nil {
		series := i.seriesOf(method)
		series.latency.Observe(elapsed)
		series.ok.Inc()
		return nil
	}
	i.latency.WithLabelValues(method).Observe(elapsed)
	te := errs.From(err)
	st := te.GRPCStatus()
	i.handled.WithLabelValues(method, st.Code().String()).Inc()
	if te.Kind == errs.KindInternal {
		i.log.Error("internal error", "method", method, "err", err)
	}
	return st.Err()
}

func (i *Interceptors) seriesOf(method string) *methodSeries {
	if v, ok := i.okSeries.Load(method); ok {
		return v.(*methodSeries)
	}
	v, _ := i.okSeries.LoadOrStore(method, &methodSeries{
		latency: i.latency.WithLabelValues(method),
		ok:      i.handled.WithLabelValues(method, "OK"),
	})
	return v.(*methodSeries)
}

// NewGRPCServer builds a server with the interceptors, health and reflection.
// Its messages go through the mesh codec (codec.go), which this package
// registers as grpc-go's proto codec, as do those of ClientOptions' clients.
func NewGRPCServer(ic *Interceptors, hs *health.Server, opts ...grpc.ServerOption) *grpc.Server {
	opts = append([]grpc.ServerOption{
		grpc.ChainUnaryInterceptor(ic.Unary),
		grpc.ChainStreamInterceptor(ic.Stream),
		grpc.MaxRecvMsgSize(MaxMessageBytes),
		grpc.MaxSendMsgSize(MaxMessageBytes),
		grpc.KeepaliveEnforcementPolicy(keepalive.EnforcementPolicy{MinTime: 10 * time.Second, PermitWithoutStream: true}),
		grpc.InitialWindowSize(streamWindow),
		grpc.InitialConnWindowSize(connWindow),
		grpc.NumStreamWorkers(streamWorkers),
	}, opts...)
	opts = append(opts, tracing.ServerOptions()...)
	s := grpc.NewServer(opts...)
	healthpb.RegisterHealthServer(s, hs)
	reflection.Register(s)
	return s
}

// streamWorkers is how many pooled goroutines run a server's handlers. A
// call that finds every worker busy gets a fresh goroutine, whose small
// stack is copied each time it doubles on the way down the handler; since a
// handler keeps its worker while it waits (the provider-adapter's, for its
// upstream), a pool of one worker per core sent most calls of a loaded mesh
// down that path. An idle worker costs one parked goroutine.
const streamWorkers = 64

// Flow-control windows of the mesh's connections. Setting them turns off
// grpc-go's bandwidth-delay estimation, which pings the peer as data arrives
// and grows the window in steps: on loopback and in-cluster links every
// request would pay for PING and WINDOW_UPDATE frames (extra writes and
// wake-ups on both sides) to learn what a fixed window of this size gives
// at once. Messages are small; the largest (a big request body) fits.
const (
	streamWindow = 4 << 20
	connWindow   = 16 << 20
)

// Dial options every internal client uses.
func ClientOptions() []grpc.DialOption {
	return []grpc.DialOption{
		grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(MaxMessageBytes), grpc.MaxCallSendMsgSize(MaxMessageBytes)),
		grpc.WithKeepaliveParams(keepalive.ClientParameters{Time: 30 * time.Second, PermitWithoutStream: true}),
		grpc.WithInitialWindowSize(streamWindow),
		grpc.WithInitialConnWindowSize(connWindow),
	}
}

// StatusOf is status.Convert for typed errors (exported for the facade).
func StatusOf(err error) *status.Status { return errs.From(err).GRPCStatus() }
