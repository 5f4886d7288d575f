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

func TestParityLines(t *testing.T) {
	const us = time.Microsecond
	rows := []Row{
		{Topology: "direct", Dialect: "openai", Mode: "unary", Concurrency: 1, Requests: 1000},
		parityRow("all-in-one", "openai", "unary", 1, 100*us, 200*us),
		parityRow("all-in-one", "openai", "stream", 1, 100*us, 200*us),
		parityRow("all-in-one", "openai", "unary", 16, 100*us, -50*us),
		parityRow("all-in-one", "openai", "unary", 64, 100*us, 200*us),
		parityRow("split-mesh", "openai", "unary", 1, 300*us, 500*us),
		parityRow("all-in-one", "anthropic", "unary", 1, 110*us, 220*us),  // exactly at the tolerance
		parityRow("all-in-one", "anthropic", "stream", 1, 111*us, 150*us), // CPU over
		parityRow("all-in-one", "anthropic", "unary", 16, 90*us, -46*us),  // negative added, within −50 µs + 10% of 50
		parityRow("split-mesh", "anthropic", "unary", 1, 300*us, 600*us),  // latency over
		parityRow("split-mesh", "anthropic", "stream", 1, 300*us, 600*us), // no openai row to compare
		parityRow("all-in-one", "anthropic-to-openai", "unary", 1, 900*us, 900*us),
	}
	noDirect := parityRow("all-in-one", "anthropic", "unary", 64, 105*us, 0)
	noDirect.HasAdded = false
	rows = append(rows, noDirect)
	lines := parityLines(rows, []Parity{{Label: "anthropic passthrough vs openai path", Dialect: "anthropic", Baseline: "openai", Tolerance: 0.10}})
	want := []string{
		"anthropic passthrough vs openai path, all-in-one unary c=1: gateway CPU/req 110 vs 100 µs (+10%), added p50 0.220 vs 0.200 ms (+10%): met",
		"anthropic passthrough vs openai path, all-in-one stream c=1: gateway CPU/req 111 vs 100 µs (+11%), added p50 0.150 vs 0.200 ms (-25%): MISSED (CPU)",
		"anthropic passthrough vs openai path, all-in-one unary c=16: gateway CPU/req 90 vs 100 µs (-10%), added p50 -0.046 vs -0.050 ms (+8%): met",
		"anthropic passthrough vs openai path, split-mesh unary c=1: gateway CPU/req 300 vs 300 µs (+0%), added p50 0.600 vs 0.500 ms (+20%): MISSED (latency)",
		"anthropic passthrough vs openai path, all-in-one unary c=64: gateway CPU/req 105 vs 100 µs (+5%), added p50 n/a (no direct baseline): met",
		"anthropic passthrough vs openai path (gateway CPU/req and added p50 within 10%): met in 3 of 5 cases",
	}
	if strings.Join(lines, "\n") != strings.Join(want, "\n") {
		t.Errorf("parity lines:\n%s\nwant:\n%s", strings.Join(lines, "\n"), strings.Join(want, "\n"))
	}
}

func TestParityLinesBothOver(t *testing.T) {
	const us = time.Microsecond
	rows := []Row{parityRow("mesh", "openai", "unary", 1, 100*us, 100*us), parityRow("mesh", "anthropic", "unary", 1, 200*us, 200*us)}
	lines := parityLines(rows, []Parity{{Label: "p", Dialect: "anthropic", Baseline: "openai", Tolerance: 0.10}})
	if len(lines) != 2 || !strings.HasSuffix(lines[0], "MISSED (CPU and latency)") || !strings.HasSuffix(lines[1], "met in 0 of 1 cases") {
		t.Errorf("lines = %q", lines)
	}
	if got := parityLines(rows[:1], []Parity{{Label: "p", Dialect: "anthropic", Baseline: "openai"}}); len(got) != 0 {
		t.Errorf("no candidate rows gave %q", got)
	}
}
