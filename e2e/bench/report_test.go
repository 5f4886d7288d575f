package bench

import (
	"strings"
	"testing"
	"time"
)

func TestWriteReport(t *testing.T) {
	rows := []Row{
		{Topology: "direct", Dialect: "openai", Mode: "unary", Concurrency: 1, Requests: 1000, RPS: 200,
			Latency: Summary{P50: 100 * time.Microsecond, P99: 300 * time.Microsecond}, Upstream: 20 * time.Millisecond},
		{Topology: "split-mesh", Dialect: "openai", Mode: "stream", Concurrency: 1, Requests: 1000, Failures: 2, RPS: 100,
			Latency: Summary{P50: 600 * time.Microsecond, P99: time.Millisecond}, TTFB: Summary{P50: 400 * time.Microsecond, P99: 900 * time.Microsecond},
			AddedP50: 500 * time.Microsecond, HasAdded: true,
			Gateway:  []ProcessCPU{{"router", 80 * time.Millisecond}, {"authz", 20 * time.Millisecond}},
			Upstream: 20 * time.Millisecond},
		{Topology: "split-mesh", Dialect: "openai", Mode: "unary", Concurrency: 1, Requests: 1000, RPS: 100,
			Latency:  Summary{P50: 300 * time.Microsecond, P99: time.Millisecond},
			AddedP50: 200 * time.Microsecond, HasAdded: true,
			Gateway:  []ProcessCPU{{"router", 60 * time.Millisecond}, {"authz", 10 * time.Millisecond}},
			Upstream: 20 * time.Millisecond, Other: 500 * time.Millisecond, Wall: 2 * time.Second},
		// A translation: slower and costlier, and outside the OpenAI goal.
		{Topology: "split-mesh", Dialect: "anthropic-to-openai", Mode: "unary", Concurrency: 1, Requests: 1000, RPS: 90,
			Latency:  Summary{P50: 900 * time.Microsecond, P99: 2 * time.Millisecond},
			AddedP50: 800 * time.Microsecond, HasAdded: true,
			Gateway:  []ProcessCPU{{"router", 300 * time.Millisecond}, {"authz", 10 * time.Millisecond}},
			Upstream: 20 * time.Millisecond},
	}
	var b strings.Builder
	goals := []Goal{{Topology: "split-mesh", Dialect: "openai", MaxCPUPerReq: 90 * time.Microsecond, MaxAddedP50C1: 400 * time.Microsecond}}
	if err := WriteReport(&b, rows, Targets{Goals: goals}, "machine: test"); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{
		"| topology | dialect | mode | conc |",
		"| direct | openai | unary | 1 | 200 | 0.100 | 0.300 | – | – | – | – | 20 | 0 | 0 |",
		"| split-mesh | openai | stream | 1 | 100 | 0.600 | 1.000 | +0.500 | 0.400 | 0.900 | 100 | 20 | 0 | 2 (0.20%) |",
		"| split-mesh | anthropic-to-openai | unary | 1 | 90 | 0.900 | 2.000 | +0.800 | – | – | 310 | 20 | 0 | 0 |",
		"| split-mesh | openai | stream | 1 | router 80 · authz 20 |",
		"| split-mesh | anthropic-to-openai | unary | 1 | router 300 · authz 10 |",
		"split-mesh openai adds 0.200 ms at p50, unary c=1 (target ≤ 0.400 ms): met",
		"split-mesh openai CPU/request (target ≤ 90 µs): best 70 µs (unary c=1), worst 100 µs (stream c=1); met in 1 of 2 cases",
		"machine: test",
		"other processes used more than 10% of a core during: split-mesh openai unary c=1: 25%.",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q:\n%s", want, out)
		}
	}
	if strings.Count(out, "adds ") != 1 {
		t.Errorf("the openai goal was checked against another dialect's rows:\n%s", out)
	}
}

func TestWriteReportWithoutDialects(t *testing.T) {
	rows := []Row{{Topology: "direct", Mode: "unary", Concurrency: 4, Requests: 10, RPS: 5, Other: time.Second, Wall: time.Second}}
	var b strings.Builder
	if err := WriteReport(&b, rows, Targets{}, "machine: test"); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"| direct | – | unary | 4 |", "during: direct unary c=4: 100%."} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("report lacks %q:\n%s", want, b.String())
		}
	}
	if strings.Contains(b.String(), "Targets:") {
		t.Errorf("report without targets has a Targets section:\n%s", b.String())
	}
}

// parityRow is a gateway row with the given CPU per request (over 1000
// requests) and added p50.
func parityRow(topo, dialect, mode string, c int, cpuPerReq, added time.Duration) Row {
	return Row{Topology: topo, Dialect: dialect, Mode: mode, Concurrency: c, Requests: 1000,
		Gateway: []ProcessCPU{{"tollgate", 1000 * cpuPerReq}}, AddedP50: added, HasAdded: true}
}
