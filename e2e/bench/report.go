package bench

import (
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"
	"time"
)

// ProcessCPU is the CPU one process spent during a measured case.
type ProcessCPU struct {
	Name string
	CPU  time.Duration
}

// Row is one measured case: a topology, a dialect case, a mode and a
// concurrency.
type Row struct {
	Topology string // direct, all-in-one, split-mesh
	// Dialect names the case's client and upstream dialects: "openai" or
	// "anthropic" for a passthrough (or a direct baseline), "X-to-Y" for a
	// translation from client dialect X to upstream dialect Y.
	Dialect     string
	Mode        string // unary or stream
	Concurrency int
	Requests    int
	Failures    int
	RPS         float64
	Latency     Summary // to the last byte of the body
	TTFB        Summary // to the first byte of the body
	// AddedP50 is Latency.P50 minus the direct case's of the upstream's
	// dialect, mode and concurrency; valid when HasAdded.
	AddedP50 time.Duration
	HasAdded bool
	// Gateway holds every gateway process's CPU; empty for direct.
	Gateway  []ProcessCPU
	Upstream time.Duration // the fake upstream's CPU, for reference
	Client   time.Duration // the load generator's own CPU, for reference
	// Other is the CPU every other process on the machine used during the
	// case, and Wall the case's duration: a busy machine skews the figures.
	Other time.Duration
	Wall  time.Duration
}

// OtherLoad is Other as a fraction of one core.
func (r *Row) OtherLoad() float64 {
	if r.Wall <= 0 {
		return 0
	}
	return float64(r.Other) / float64(r.Wall)
}

// busyElsewhere is the OtherLoad above which a case is flagged.
const busyElsewhere = 0.10

// GatewayCPU is the CPU of every gateway process together.
func (r *Row) GatewayCPU() time.Duration {
	var sum time.Duration
	for _, p := range r.Gateway {
		sum += p.CPU
	}
	return sum
}

// PerRequest divides cpu by the case's completed requests.
func (r *Row) PerRequest(cpu time.Duration) time.Duration {
	if r.Requests == 0 {
		return 0
	}
	return cpu / time.Duration(r.Requests)
}

// label names the row's case in notes: topology, dialect, mode, concurrency.
func (r *Row) label() string {
	if r.Dialect == "" {
		return fmt.Sprintf("%s %s c=%d", r.Topology, r.Mode, r.Concurrency)
	}
	return fmt.Sprintf("%s %s %s c=%d", r.Topology, r.Dialect, r.Mode, r.Concurrency)
}

// Targets are what WriteReport checks the rows against.
type Targets struct {
	Goals []Goal
}

// Goal is a topology's published target.
type Goal struct {
	Topology string
	// Dialect limits the goal to the rows of one dialect case; empty means
	// every row of the topology.
	Dialect       string
	MaxCPUPerReq  time.Duration // summed over its processes
	MaxAddedP50C1 time.Duration // at concurrency 1, unary
}

// WriteReport renders rows as markdown: the main table, the per-process CPU
// breakdown of multi-process topologies, how the rows compare with the
// targets, and notes including machine.
func WriteReport(w io.Writer, rows []Row, targets Targets, machine string) error {
	var b strings.Builder
	b.WriteString("| topology | dialect | mode | conc | req/s | p50 ms | p99 ms | added p50 ms vs direct | TTFB p50 ms | TTFB p99 ms | gateway CPU µs/req | upstream CPU µs/req | load generator CPU µs/req | errors |\n")
	b.WriteString("|---|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|\n")
	for i := range rows {
		r := &rows[i]
		added, ttfb50, ttfb99, gw := "–", "–", "–", "–"
		if r.HasAdded {
			added = fmt.Sprintf("%+.3f", msec(r.AddedP50))
		}
		if r.Mode == "stream" {
			ttfb50, ttfb99 = fmt.Sprintf("%.3f", msec(r.TTFB.P50)), fmt.Sprintf("%.3f", msec(r.TTFB.P99))
		}
		if len(r.Gateway) > 0 {
			gw = fmt.Sprintf("%.0f", usec(r.PerRequest(r.GatewayCPU())))
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %d | %.0f | %.3f | %.3f | %s | %s | %s | %s | %.0f | %.0f | %s |\n",
			r.Topology, dialectCell(r), r.Mode, r.Concurrency, r.RPS, msec(r.Latency.P50), msec(r.Latency.P99),
			added, ttfb50, ttfb99, gw, usec(r.PerRequest(r.Upstream)), usec(r.PerRequest(r.Client)), errorsCell(r))
	}
	breakdown := false
	for i := range rows {
		r := &rows[i]
		if len(r.Gateway) < 2 {
			continue
		}
		if !breakdown {
			b.WriteString("\nCPU µs/req by process:\n\n| topology | dialect | mode | conc | by process |\n|---|---|---|--:|---|\n")
			breakdown = true
		}
		parts := make([]string, len(r.Gateway))
		for j, p := range r.Gateway {
			parts[j] = fmt.Sprintf("%s %.0f", p.Name, usec(r.PerRequest(p.CPU)))
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %d | %s |\n", r.Topology, dialectCell(r), r.Mode, r.Concurrency, strings.Join(parts, " · "))
	}
	var busy []string
	for i := range rows {
		if r := &rows[i]; r.OtherLoad() > busyElsewhere {
			busy = append(busy, fmt.Sprintf("%s: %.0f%%", r.label(), 100*r.OtherLoad()))
		}
	}
	if len(busy) > 0 {
		fmt.Fprintf(&b, "\nWarning: other processes used more than %.0f%% of a core during: %s. Those figures are skewed; rerun on a quiet machine.\n",
			100*busyElsewhere, strings.Join(busy, "; "))
	}
	if lines := goalLines(rows, targets.Goals); len(lines) > 0 {
		b.WriteString("\nTargets:\n\n")
		for _, l := range lines {
			b.WriteString("- " + l + "\n")
		}
	}
	b.WriteString("\n" + machine + "\n")
	_, err := io.WriteString(w, b.String())
	return err
}

func dialectCell(r *Row) string {
	if r.Dialect == "" {
		return "–"
	}
	return r.Dialect
}

func errorsCell(r *Row) string {
	if r.Failures == 0 {
		return "0"
	}
	return fmt.Sprintf("%d (%.2f%%)", r.Failures, 100*float64(r.Failures)/float64(r.Requests))
}

// goalLines compares the measured rows with each goal: added p50 at c=1 for
// unary (and stream, to the last byte, for information), and CPU per request
// across every measured case of the topology.
func goalLines(rows []Row, goals []Goal) []string {
	var out []string
	for _, g := range goals {
		var mine []*Row
		for i := range rows {
			if rows[i].Topology == g.Topology && (g.Dialect == "" || rows[i].Dialect == g.Dialect) && len(rows[i].Gateway) > 0 {
				mine = append(mine, &rows[i])
			}
		}
		if len(mine) == 0 {
			continue
		}
		name := g.Topology
		if g.Dialect != "" {
			name += " " + g.Dialect
		}
		for _, r := range mine {
			if r.Concurrency == 1 && r.HasAdded && r.Mode == "unary" {
				out = append(out, fmt.Sprintf("%s adds %.3f ms at p50, unary c=1 (target ≤ %.3f ms): %s",
					name, msec(r.AddedP50), msec(g.MaxAddedP50C1), verdict(r.AddedP50 <= g.MaxAddedP50C1)))
			}
		}
		best, worst, met := mine[0], mine[0], 0
		for _, r := range mine {
			c := r.PerRequest(r.GatewayCPU())
			if c < best.PerRequest(best.GatewayCPU()) {
				best = r
			}
			if c > worst.PerRequest(worst.GatewayCPU()) {
				worst = r
			}
			if c <= g.MaxCPUPerReq {
				met++
			}
		}
		out = append(out, fmt.Sprintf("%s CPU/request (target ≤ %.0f µs): best %.0f µs (%s c=%d), worst %.0f µs (%s c=%d); met in %d of %d cases",
			name, usec(g.MaxCPUPerReq),
			usec(best.PerRequest(best.GatewayCPU())), best.Mode, best.Concurrency,
			usec(worst.PerRequest(worst.GatewayCPU())), worst.Mode, worst.Concurrency, met, len(mine)))
	}
	return out
}

func verdict(ok bool) string {
	if ok {
		return "met"
	}
	return "MISSED"
}

func msec(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
func usec(d time.Duration) float64 { return float64(d) / float64(time.Microsecond) }

// MachineLine describes where the numbers were taken.
func MachineLine(clockHz int64, hzFromGetconf bool) string {
	hz := fmt.Sprintf("CLK_TCK=%d (getconf)", clockHz)
	if !hzFromGetconf {
		hz = fmt.Sprintf("CLK_TCK=%d (assumed: getconf unavailable)", clockHz)
	}
	return fmt.Sprintf("machine: nproc=%d, CPU %q, %s %s/%s, %s; the load generator shares these cores",
		runtime.NumCPU(), cpuModel(), runtime.Version(), runtime.GOOS, runtime.GOARCH, hz)
}

// cpuModel is the first "model name" in /proc/cpuinfo, or "unknown".
func cpuModel() string {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return "unknown"
	}
	for _, line := range strings.Split(string(b), "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return "unknown"
}
