package serve

import (
	"context"
	"io"
	"log/slog"
	"net"
	"runtime/metrics"
	"sync"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/types/known/emptypb"
)

// goroutinesCreated counts the goroutines the process has started.
func goroutinesCreated() uint64 {
	s := []metrics.Sample{{Name: "/sched/goroutines-created:goroutines"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

// heldCalls is a service whose one method returns only once every call of a
// batch is in its handler, so that they are all in flight together.
type heldCalls struct{ arrived, release sync.WaitGroup }

func (h *heldCalls) desc() *grpc.ServiceDesc {
	return &grpc.ServiceDesc{
		ServiceName: "test.Held",
		HandlerType: (*any)(nil),
		Methods: []grpc.MethodDesc{{MethodName: "Wait", Handler: func(_ any, ctx context.Context, dec func(any) error, _ grpc.UnaryServerInterceptor) (any, error) {
			if err := dec(new(emptypb.Empty)); err != nil {
				return nil, err
			}
			h.arrived.Done()
			h.release.Wait()
			return new(emptypb.Empty), nil
		}}},
	}
}

// Calls that are in flight together run on the server's pooled workers, up
// to streamWorkers of them, rather than each on a goroutine started for it
// (whose stack would grow afresh down the handler).
func TestConcurrentCallsRunOnPooledWorkers(t *testing.T) {
	const calls = 32 // below streamWorkers, far above a core count
	held := &heldCalls{}
	s := NewGRPCServer(NewInterceptors("test", slog.New(slog.NewTextHandler(io.Discard, nil)), prometheus.NewRegistry()), NewHealth())
	s.RegisterService(held.desc(), held)
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = s.Serve(lis) }()
	t.Cleanup(s.Stop)
	conn, err := grpc.NewClient(lis.Addr().String(), append(ClientOptions(), grpc.WithTransportCredentials(insecure.NewCredentials()))...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	invoke := func() error {
		return conn.Invoke(context.Background(), "/test.Held/Wait", new(emptypb.Empty), new(emptypb.Empty))
	}
	held.arrived.Add(1) // connect first: the connection starts goroutines of its own
	if err := invoke(); err != nil {
		t.Fatal(err)
	}

	held.arrived.Add(calls)
	held.release.Add(1)
	before := goroutinesCreated()
	errs := make(chan error, calls)
	for range calls {
		go func() { errs <- invoke() }()
	}
	held.arrived.Wait()
	started := goroutinesCreated() - before - calls // less the callers
	held.release.Done()
	for range calls {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	if started > calls/4 {
		t.Errorf("%d calls in flight together started %d goroutines besides their callers; want them on pooled workers", calls, started)
	}
}
