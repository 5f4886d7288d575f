package telemetry

import (
	"errors"
	"fmt"
	"testing"

	"google.golang.org/protobuf/proto"

	telemetryv1 "github.com/tollgate/tollgate/gen/go/tollgate/telemetry/v1"
)

func ev(id string) *telemetryv1.UsageEvent {
	return &telemetryv1.UsageEvent{DatabricksRequestId: id}
}

func TestClaimSortsFreshRepeatsAndMissingIDs(t *testing.T) {
	x := newDedupIndex(100)
	w := newPendingWrite()
	c := x.claim([]*telemetryv1.UsageEvent{ev("a"), ev("b"), ev("a"), ev("")}, w)
	if len(c.fresh) != 2 || c.duplicates != 1 || c.missingID != 1 || len(c.waitFor) != 0 {
		t.Fatalf("claim = fresh %d, duplicates %d, missing %d, waits %d; want 2, 1, 1, 0",
			len(c.fresh), c.duplicates, c.missingID, len(c.waitFor))
	}
	x.settle(w, c.keys, nil)

	w2 := newPendingWrite()
	c = x.claim([]*telemetryv1.UsageEvent{ev("a"), ev("c")}, w2)
	if len(c.fresh) != 1 || c.fresh[0].GetDatabricksRequestId() != "c" || c.duplicates != 1 {
		t.Fatalf("after a is durable: fresh %v, duplicates %d", c.fresh, c.duplicates)
	}
	x.settle(w2, c.keys, nil)
}

func TestRepeatOfInFlightIDWaitsForThatWrite(t *testing.T) {
	x := newDedupIndex(100)
	w1 := newPendingWrite()
	c1 := x.claim([]*telemetryv1.UsageEvent{ev("a")}, w1)

	w2 := newPendingWrite()
	c2 := x.claim([]*telemetryv1.UsageEvent{ev("a")}, w2)
	if len(c2.fresh) != 0 || len(c2.waitFor) != 1 || c2.waitFor[0] != w1 {
		t.Fatalf("repeat of an in-flight id: fresh %d, waits %v; want 0 fresh, waiting on the first write", len(c2.fresh), c2.waitFor)
	}
	x.settle(w2, c2.keys, nil)

	// The first write fails: the waiter learns it, and the id is free again.
	x.settle(w1, c1.keys, errors.New("disk full"))
	<-w1.done
	if w1.err == nil {
		t.Fatal("waiter not told the write failed")
	}
	w3 := newPendingWrite()
	c3 := x.claim([]*telemetryv1.UsageEvent{ev("a")}, w3)
	if len(c3.fresh) != 1 {
		t.Fatal("an id whose write failed is still taken for stored")
	}
	x.settle(w3, c3.keys, nil)
}

func TestWindowForgetsOldestIDs(t *testing.T) {
	x := newDedupIndex(3)
	for i := range 5 {
		w := newPendingWrite()
		c := x.claim([]*telemetryv1.UsageEvent{ev(fmt.Sprint(i))}, w)
		x.settle(w, c.keys, nil)
	}
	if n := x.len(); n != 3 {
		t.Fatalf("index holds %d ids, want the window of 3", n)
	}
	w := newPendingWrite()
	c := x.claim([]*telemetryv1.UsageEvent{ev("0"), ev("1"), ev("2"), ev("3"), ev("4")}, w)
	if len(c.fresh) != 2 || c.duplicates != 3 {
		t.Fatalf("fresh %d, duplicates %d; want the 2 oldest forgotten and the 3 newest remembered", len(c.fresh), c.duplicates)
	}
	x.settle(w, c.keys, nil)
}

// A batch larger than the window keeps only its newest ids, as smaller
// batches do.
func TestWindowForgetsWithinOneBatch(t *testing.T) {
	x := newDedupIndex(3)
	w := newPendingWrite()
	c := x.claim([]*telemetryv1.UsageEvent{ev("0"), ev("1"), ev("2"), ev("3"), ev("4")}, w)
	x.settle(w, c.keys, nil)
	if n := x.len(); n != 3 {
		t.Fatalf("index holds %d ids, want the window of 3", n)
	}
	w = newPendingWrite()
	c = x.claim([]*telemetryv1.UsageEvent{ev("0"), ev("1"), ev("2"), ev("3"), ev("4")}, w)
	if len(c.fresh) != 2 || c.fresh[0].GetDatabricksRequestId() != "0" || c.duplicates != 3 {
		t.Fatalf("fresh %v, duplicates %d; want 0 and 1 forgotten, the 3 newest remembered", c.fresh, c.duplicates)
	}
	x.settle(w, c.keys, nil)
}

func TestAddDurableSkipsKnownIDs(t *testing.T) {
	x := newDedupIndex(2)
	k := x.key("a")
	x.addDurable(k)
	x.addDurable(k)
	x.addDurable(x.key("b"))
	// Had "a" taken two ring slots, adding "c" would evict it while it is still the newest copy.
	x.addDurable(x.key("c"))
	if _, ok := x.entries.get(x.key("b")); !ok {
		t.Fatal("b forgotten although it is among the 2 newest")
	}
	if _, ok := x.entries.get(x.key("c")); !ok {
		t.Fatal("c not remembered")
	}
}

func TestKeyBytesMatchesKey(t *testing.T) {
	x := newDedupIndex(1)
	if x.key("req-123") != x.keyBytes([]byte("req-123")) {
		t.Fatal("the key from the spool's bytes differs from the key of the same id string")
	}
}

func TestRawRequestID(t *testing.T) {
	e := &telemetryv1.UsageEvent{
		DatabricksRequestId: "req-9", EndpointName: "chat", InputTokenCount: 7,
		UsageContext: map[string]string{"a": "b"},
		Payload:      &telemetryv1.InferencePayload{Request: []byte("body")},
	}
	b, err := proto.Marshal(e)
	if err != nil {
		t.Fatal(err)
	}
	id, ok := rawRequestID(b)
	if !ok || string(id) != "req-9" {
		t.Fatalf("rawRequestID = %q, %v", id, ok)
	}
	if _, ok := rawRequestID(b[:len(b)-2]); ok {
		t.Fatal("a truncated event parsed")
	}
	id, ok = rawRequestID(nil)
	if !ok || id != nil {
		t.Fatalf("empty event: %q, %v", id, ok)
	}
}

func TestStatusClass(t *testing.T) {
	for code, want := range map[int32]string{200: "2xx", 429: "4xx", 503: "5xx", 0: "none", 700: "other", -1: "other"} {
		if got := statusClass(code); got != want {
			t.Errorf("statusClass(%d) = %q, want %q", code, got, want)
		}
	}
}

func TestEndpointLabelsAreBounded(t *testing.T) {
	l := endpointLabels{seen: map[string]struct{}{}}
	for i := range maxEndpointLabels {
		if got := l.label(fmt.Sprint("e", i)); got != fmt.Sprint("e", i) {
			t.Fatalf("endpoint %d labelled %q", i, got)
		}
	}
	if got := l.label("one-too-many"); got != otherEndpoint {
		t.Fatalf("endpoint past the bound labelled %q, want %q", got, otherEndpoint)
	}
	if got := l.label("e0"); got != "e0" {
		t.Fatalf("known endpoint labelled %q", got)
	}
}
