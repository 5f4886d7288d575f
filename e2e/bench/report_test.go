package bench

import (
	"strings"
	"testing"
	"time"
)

func TestWriteReport(t *testing.T) {
	rows := []Row{
		{Topology: "direct", Mode: "unary", Concurrency: 1, Requests: 1000, RPS: 200,
			Latency: Summary{P50: 100 * time.Microsecond, P99: 300 * time.Microsecond}, Upstream: 20 * time.Millisecond},
		{Topology: "split-mesh", Mode: "stream", Concurrency: 1, Requests: 1000, Failures: 2, RPS: 100,
			Latency: Summary{P50: 600 * time.Microsecond, P99: time.Millisecond}, TTFB: Summary{P50: 400 * time.Microsecond, P99: 900 * time.Microsecond},
			AddedP50: 500 * time.Microsecond, HasAdded: true,
			Gateway:  []ProcessCPU{{"router", 80 * time.Millisecond}, {"authz", 20 * time.Millisecond}},
			Upstream: 20 * time.Millisecond},
		{Topology: "split-mesh", Mode: "unary", Concurrency: 1, Requests: 1000, RPS: 100,
			Latency:  Summary{P50: 300 * time.Microsecond, P99: time.Millisecond},
			AddedP50: 200 * time.Microsecond, HasAdded: true,
			Gateway:  []ProcessCPU{{"router", 60 * time.Millisecond}, {"authz", 10 * time.Millisecond}},
			Upstream: 20 * time.Millisecond, Other: 500 * time.Millisecond, Wall: 2 * time.Second},
	}
	var b strings.Builder
	if err := WriteReport(&b, rows, []Goal{{Topology: "split-mesh", MaxCPUPerReq: 90 * time.Microsecond, MaxAddedP50C1: 400 * time.Microsecond}}, "machine: test"); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{
		"| direct | unary | 1 | 200 | 0.100 | 0.300 | – | – | – | – | 20 | 0 | 0 |",
		"| split-mesh | stream | 1 | 100 | 0.600 | 1.000 | +0.500 | 0.400 | 0.900 | 100 | 20 | 0 | 2 (0.20%) |",
		"| split-mesh | stream | 1 | router 80 · authz 20 |",
		"split-mesh adds 0.200 ms at p50, unary c=1 (target ≤ 0.400 ms): met",
		"best 70 µs (unary c=1), worst 100 µs (stream c=1); met in 1 of 2 cases",
		"machine: test",
		"other processes used more than 10% of a core during: split-mesh unary c=1: 25%.",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q:\n%s", want, out)
		}
	}
}
