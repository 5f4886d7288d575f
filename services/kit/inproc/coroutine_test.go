package inproc

import (
	"context"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	healthpb "google.golang.org/grpc/health/grpc_health_v1"
)

// countingWatch is a server-streaming handler that sends n messages, each
// naming the call, and records what its last send returned.
type countingWatch struct {
	healthpb.UnimplementedHealthServer
	n       int
	lastErr chan error
}

func (w *countingWatch) Watch(req *healthpb.HealthCheckRequest, out grpc.ServerStreamingServer[healthpb.HealthCheckResponse]) error {
	var err error
	for i := 0; i < w.n && err == nil; i++ {
		err = out.Send(&healthpb.HealthCheckResponse{Status: healthpb.HealthCheckResponse_ServingStatus(len(req.GetService()))})
	}
	w.lastErr <- err
	return err
}

func idleCount() int {
	idleCoroutines.Lock()
	defer idleCoroutines.Unlock()
	return len(idleCoroutines.list)
}

// Calls run one after another on pooled coroutines: each gets its own
// messages, a finished call returns its coroutine to the pool, and a client
// that goes away mid-stream makes the handler's next send fail and frees
// the coroutine too.
func TestPooledCoroutinesServeCallsInTurn(t *testing.T) {
	h := &countingWatch{n: 3, lastErr: make(chan error, 10)}
	client := healthpb.NewHealthClient(New(&healthpb.Health_ServiceDesc, h))
	for _, name := range []string{"a", "bb", "ccc"} {
		st, err := client.Watch(context.Background(), &healthpb.HealthCheckRequest{Service: name})
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 3; i++ {
			m, err := st.Recv()
			if err != nil || int(m.GetStatus()) != len(name) {
				t.Fatalf("call %s message %d: %v %v", name, i, m, err)
			}
		}
		if _, err := st.Recv(); err == nil {
			t.Fatalf("call %s: a fourth message", name)
		}
		if err := <-h.lastErr; err != nil {
			t.Fatalf("call %s: send failed: %v", name, err)
		}
		if idleCount() == 0 {
			t.Fatalf("call %s: its coroutine did not return to the pool", name)
		}
	}

	before := idleCount()
	h.n = 1000
	ctx, cancel := context.WithCancel(context.Background())
	st, err := client.Watch(ctx, &healthpb.HealthCheckRequest{Service: "gone"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.Recv(); err != nil {
		t.Fatal(err)
	}
	cancel() // the handler is suspended in its second send
	if err := <-h.lastErr; status.Code(err) != codes.Canceled {
		t.Fatalf("the abandoned handler's send returned %v, want Canceled", err)
	}
	for idleCount() != before {
		// The drain runs on context.AfterFunc's goroutine.
		select {
		case <-t.Context().Done():
			t.Fatal("the abandoned call's coroutine never returned to the pool")
		case <-time.After(time.Millisecond):
		}
	}
	// The pool still serves correct calls after an abandoned one.
	h.n = 2
	st, err = client.Watch(context.Background(), &healthpb.HealthCheckRequest{Service: "dd"})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 2; i++ {
		if m, err := st.Recv(); err != nil || int(m.GetStatus()) != 2 {
			t.Fatalf("after abandonment: %v %v", m, err)
		}
	}
}

// emptyCall returns at once.
type emptyCall struct{}

func (emptyCall) run(func(any) bool) {}

func TestPoolIsBounded(t *testing.T) {
	cos := make([]*coroutine, maxIdleCoroutines+5)
	for i := range cos {
		cos[i] = newCoroutine()
		cos[i].call = emptyCall{}
		if v, ok := cos[i].next(); !ok || v != (callEnded{}) {
			t.Fatalf("a new coroutine's call did not end: %v %v", v, ok)
		}
	}
	for _, co := range cos {
		putCoroutine(co)
	}
	if n := idleCount(); n != maxIdleCoroutines {
		t.Fatalf("%d idle coroutines, want the bound %d", n, maxIdleCoroutines)
	}
	// Beyond the bound a coroutine is stopped: its goroutine has ended.
	if _, ok := cos[len(cos)-1].next(); ok {
		t.Fatal("a coroutine past the bound is still running")
	}
}
