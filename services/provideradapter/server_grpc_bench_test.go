package provideradapter

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	runtimemetrics "runtime/metrics"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	provideradapterv1 "github.com/tollgate/tollgate/gen/go/tollgate/provideradapter/v1"
	"github.com/tollgate/tollgate/services/kit/config"
	"github.com/tollgate/tollgate/services/kit/serve"
	"github.com/tollgate/tollgate/services/kit/wire/openai"
	"github.com/tollgate/tollgate/services/provideradapter/fakeupstream"
)

// recordedUpstream answers every upstream request with one answer recorded
// from the fake upstream, in process, so that a benchmark of the mesh call
// measures gRPC and the adapter rather than an upstream.
type recordedUpstream struct{ body []byte }

func newRecordedUpstream(b *testing.B, request string) recordedUpstream {
	rec := httptest.NewRecorder()
	fakeupstream.New().ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/v1/chat/completions", strings.NewReader(request)))
	if rec.Code != http.StatusOK {
		b.Fatalf("fake upstream answered %d: %s", rec.Code, rec.Body)
	}
	return recordedUpstream{body: rec.Body.Bytes()}
}

func (u recordedUpstream) RoundTrip(*http.Request) (*http.Response, error) {
	return &http.Response{StatusCode: http.StatusOK, Header: http.Header{"Content-Type": {"application/json"}},
		ContentLength: int64(len(u.body)), Body: io.NopCloser(bytes.NewReader(u.body))}, nil
}

// processCPU is the process's user+system CPU so far.
func processCPU(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// goroutinesCreated counts the goroutines the process has started.
func goroutinesCreated() uint64 {
	s := []runtimemetrics.Sample{{Name: "/sched/goroutines-created:goroutines"}}
	runtimemetrics.Read(s)
	return s[0].Value.Uint64()
}

// BenchmarkMeshChat is the split mesh's one call per request, router →
// provider-adapter, over loopback TCP with the services' own server and dial
// options: the CPU of both ends per call (cpu-µs/op, which ns/op does not
// show once calls overlap), the goroutines started per call (handlers that
// missed the server's worker pool) and the allocations.
func BenchmarkMeshChat(b *testing.B) {
	b.Setenv("TOLLGATE_BENCH_KEY", "sk-bench")
	c, err := config.Parse([]byte(upstreamConfig("http://upstream.invalid/v1", "fake-gpt", "5s", "{env: TOLLGATE_BENCH_KEY}")))
	if err != nil {
		b.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	srv := NewServer(config.NewStaticStore(c), log, prometheus.NewRegistry())
	const body = `{"model":"chat","messages":[{"role":"system","content":"You are a helpful assistant."},{"role":"user","content":"Say hello in one short sentence."}]}`
	srv.client = &http.Client{Transport: newRecordedUpstream(b, body)}
	gs := serve.NewGRPCServer(serve.NewInterceptors("provider-adapter", log, prometheus.NewRegistry()), serve.NewHealth())
	provideradapterv1.RegisterProviderAdapterServiceServer(gs, srv)
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	go func() { _ = gs.Serve(lis) }()
	b.Cleanup(gs.Stop)
	conn, err := serve.DialInternal(lis.Addr().String())
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = conn.Close() })
	client := provideradapterv1.NewProviderAdapterServiceClient(conn)

	req, err := openai.DecodeChatRequest([]byte(body))
	if err != nil {
		b.Fatal(err)
	}
	in := &provideradapterv1.ChatRequest{Target: target("chat", "up"), Request: req}
	call := func() {
		resp, err := client.Chat(context.Background(), in)
		if err != nil {
			b.Fatal(err)
		}
		if len(resp.GetResponse().GetRaw()) == 0 {
			b.Fatal("the answer was not passed through")
		}
	}
	call() // connect before measuring

	for _, bc := range []struct {
		name        string
		parallelism int // callers per GOMAXPROCS; 0 calls from the benchmark's goroutine
	}{{"c=1", 0}, {"c=16", 8}} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			cpu, goroutines := processCPU(b), goroutinesCreated()
			if bc.parallelism == 0 {
				for b.Loop() {
					call()
				}
			} else {
				b.SetParallelism(bc.parallelism)
				b.RunParallel(func(pb *testing.PB) {
					for pb.Next() {
						call()
					}
				})
			}
			b.ReportMetric(float64(processCPU(b)-cpu)/float64(time.Microsecond)/float64(b.N), "cpu-µs/op")
			b.ReportMetric(float64(goroutinesCreated()-goroutines)/float64(b.N), "goroutines/op")
		})
	}
}
