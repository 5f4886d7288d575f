// Package tracing sets up OpenTelemetry for a Tollgate service: W3C trace
// context propagation across the mesh (over gRPC metadata and HTTP headers)
// and, when an OTLP endpoint is configured, span export. With no endpoint
// (the default) nothing is instrumented at all, so tracing costs the hot
// path nothing unless it is turned on.
package tracing

import (
	"context"
	"fmt"
	"net/http"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/contrib/instrumentation/google.golang.org/grpc/otelgrpc"
	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.26.0"
	"go.opentelemetry.io/otel/trace"
	"google.golang.org/grpc"
)

var enabled atomic.Bool

// Enabled reports whether spans are recorded in this process.
func Enabled() bool { return enabled.Load() }

// Setup exports spans of service to the OTLP/gRPC endpoint (host:port);
// an empty endpoint leaves tracing off. The returned function flushes and
// stops the exporter.
func Setup(ctx context.Context, service, endpoint string) (shutdown func(context.Context) error, err error) {
	if endpoint == "" {
		return func(context.Context) error { return nil }, nil
	}
	exp, err := otlptracegrpc.New(ctx, otlptracegrpc.WithEndpoint(endpoint), otlptracegrpc.WithInsecure())
	if err != nil {
		return nil, fmt.Errorf("tracing: OTLP exporter: %w", err)
	}
	return Install(service, sdktrace.WithBatcher(exp, sdktrace.WithBatchTimeout(2*time.Second))), nil
}

// Install makes a tracer provider with the given span processor options the
// global one and turns instrumentation on (tests pass an in-memory exporter).
func Install(service string, opts ...sdktrace.TracerProviderOption) func(context.Context) error {
	res := resource.NewSchemaless(semconv.ServiceName("tollgate-" + service))
	tp := sdktrace.NewTracerProvider(append([]sdktrace.TracerProviderOption{sdktrace.WithResource(res)}, opts...)...)
	otel.SetTracerProvider(tp)
	otel.SetTextMapPropagator(propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{}))
	enabled.Store(true)
	return tp.Shutdown
}

// ServerOptions instrument a gRPC server when tracing is on.
func ServerOptions() []grpc.ServerOption {
	if !Enabled() {
		return nil
	}
	return []grpc.ServerOption{grpc.StatsHandler(otelgrpc.NewServerHandler())}
}

// DialOptions instrument a gRPC client when tracing is on.
func DialOptions() []grpc.DialOption {
	if !Enabled() {
		return nil
	}
	return []grpc.DialOption{grpc.WithStatsHandler(otelgrpc.NewClientHandler())}
}

// HTTPHandler wraps an HTTP server's handler with a root span per request
// (continuing a client's traceparent) when tracing is on.
func HTTPHandler(h http.Handler, operation string) http.Handler {
	if !Enabled() {
		return h
	}
	return otelhttp.NewHandler(h, operation,
		otelhttp.WithSpanNameFormatter(func(op string, _ *http.Request) string { return op }))
}

// Start begins a span when tracing is on; otherwise it returns ctx and a
// span that does nothing, without allocating.
func Start(ctx context.Context, tracer, name string, attrs ...attribute.KeyValue) (context.Context, trace.Span) {
	if !Enabled() {
		return ctx, noop
	}
	return otel.Tracer(tracer).Start(ctx, name, trace.WithAttributes(attrs...))
}

var noop = trace.SpanFromContext(context.Background())
