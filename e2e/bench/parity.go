package bench

import (
	"fmt"
	"math"
	"time"
)

// Parity is a target that one dialect case costs no more than another on
// the same topology, mode and concurrency: gateway CPU per request and
// added p50 each at most Tolerance (a fraction) above the baseline's.
type Parity struct {
	Label     string // e.g. "anthropic passthrough vs openai path"
	Dialect   string // the case checked
	Baseline  string // the case it is held to
	Tolerance float64
}

// parityKey is the case two rows must share to be compared.
type parityKey struct {
	topology, mode string
	concurrency    int
}

// parityLines holds each gateway row of a parity's Dialect to the row of
// its Baseline with the same topology, mode and concurrency, one line per
// pair in the candidate rows' order, then a count of the pairs that met it.
func parityLines(rows []Row, parity []Parity) []string {
	var out []string
	for _, p := range parity {
		base := map[parityKey]*Row{}
		for i := range rows {
			if r := &rows[i]; r.Dialect == p.Baseline && len(r.Gateway) > 0 {
				base[parityKey{r.Topology, r.Mode, r.Concurrency}] = r
			}
		}
		pairs, met := 0, 0
		for i := range rows {
			r := &rows[i]
			b, ok := base[parityKey{r.Topology, r.Mode, r.Concurrency}]
			if r.Dialect != p.Dialect || len(r.Gateway) == 0 || !ok {
				continue
			}
			line, ok := compareParity(p, r, b)
			pairs++
			if ok {
				met++
			}
			out = append(out, line)
		}
		if pairs > 0 {
			out = append(out, fmt.Sprintf("%s (gateway CPU/req and added p50 within %.0f%%): met in %d of %d cases", p.Label, 100*p.Tolerance, met, pairs))
		}
	}
	return out
}

// compareParity describes candidate against baseline and says whether both
// figures are within p.Tolerance. Added p50 can be near zero or negative
// (noise on an idle path), so its allowance is the tolerance of its size.
func compareParity(p Parity, candidate, baseline *Row) (string, bool) {
	cpu, cpuBase := candidate.gatewayCPUPerRequest(), baseline.gatewayCPUPerRequest()
	cpuOK := float64(cpu) <= float64(cpuBase)*(1+p.Tolerance)
	latency := "added p50 n/a (no direct baseline)"
	latencyOK := true
	if candidate.HasAdded && baseline.HasAdded {
		add, addBase := candidate.AddedP50, baseline.AddedP50
		latencyOK = float64(add) <= float64(addBase)+math.Abs(float64(addBase))*p.Tolerance
		latency = fmt.Sprintf("added p50 %.3f vs %.3f ms (%s)", msec(add), msec(addBase), relative(add, addBase))
	}
	v := verdict(cpuOK && latencyOK)
	switch {
	case !cpuOK && !latencyOK:
		v += " (CPU and latency)"
	case !cpuOK:
		v += " (CPU)"
	case !latencyOK:
		v += " (latency)"
	}
	return fmt.Sprintf("%s, %s %s c=%d: gateway CPU/req %.0f vs %.0f µs (%s), %s: %s",
		p.Label, candidate.Topology, candidate.Mode, candidate.Concurrency,
		usec(cpu), usec(cpuBase), relative(cpu, cpuBase), latency, v), cpuOK && latencyOK
}

// relative is v's difference from base as a signed percentage of |base|.
func relative(v, base time.Duration) string {
	if base == 0 {
		return "n/a"
	}
	return fmt.Sprintf("%+.0f%%", 100*float64(v-base)/math.Abs(float64(base)))
}
