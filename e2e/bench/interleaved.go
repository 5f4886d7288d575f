package bench

import (
	"fmt"
	"math"
	"slices"
	"time"
)

// Sample is one case's measurement in one round of an interleaved
// comparison: its p50 latency and the gateway CPU it cost.
type Sample struct {
	P50      time.Duration
	CPU      time.Duration // gateway processes' CPU over the sample; 0 for a direct case
	Requests int
}

// Interleaved compares two gateway cases measured in alternating rounds, each
// next to the direct baseline of its upstream dialect in the same round. On
// a shared VM the machine's speed drifts by more than the differences being
// judged; measuring the cases round by round and pairing them within a round
// cancels that drift, where two long runs minutes apart do not.
type Interleaved struct {
	Label          string
	Topology, Mode string
	Concurrency    int
	// Candidate and Baseline are the gateway cases; CandidateDirect and
	// BaselineDirect their direct rows, all indexed by round.
	Candidate, Baseline             []Sample
	CandidateDirect, BaselineDirect []Sample
}

// Spread is a median with a confidence interval around it.
type Spread struct{ Low, Median, High time.Duration }

// AddedP50 is each gateway case's median over rounds of its p50 minus the
// p50 of its direct baseline in the same round.
func (c *Interleaved) AddedP50() (candidate, baseline time.Duration) {
	return median(added(c.Candidate, c.CandidateDirect)), median(added(c.Baseline, c.BaselineDirect))
}

// CPUPerRequest is each gateway case's CPU over all rounds per request.
func (c *Interleaved) CPUPerRequest() (candidate, baseline time.Duration) {
	return cpuPerRequest(c.Candidate), cpuPerRequest(c.Baseline)
}

// AddedDifference is the median per-round difference of the two cases'
// added p50 (candidate minus baseline) with its distribution-free 90%
// confidence interval.
func (c *Interleaved) AddedDifference() Spread {
	a, b := added(c.Candidate, c.CandidateDirect), added(c.Baseline, c.BaselineDirect)
	n := min(len(a), len(b))
	d := make([]time.Duration, n)
	for i := range n {
		d[i] = a[i] - b[i]
	}
	slices.Sort(d)
	lo, hi := medianInterval(n, 0.90)
	s := Spread{Median: quantile(d, 0.5)}
	if n > 0 {
		s.Low, s.High = d[lo], d[hi]
	}
	return s
}

// medianInterval returns the ranks (0-based) of the order statistics that
// bound the median of n paired differences with at least the given
// confidence: the sign test's interval, which assumes nothing about how
// the noise is distributed. Too few rounds for that confidence give the
// whole range.
func medianInterval(n int, confidence float64) (lo, hi int) {
	if n == 0 {
		return 0, 0
	}
	// The interval [d(r), d(n+1-r)] (1-based) misses the median with
	// probability 2·P(Binomial(n, ½) ≤ r-1): find the first k whose tail is
	// too likely; r-1 = k-1 is the last that is not.
	tail, choose, total := 0.0, 1.0, math.Pow(2, float64(n))
	k := 0
	for ; k < (n+1)/2; k++ {
		tail += choose / total
		if 2*tail > 1-confidence {
			break
		}
		choose = choose * float64(n-k) / float64(k+1)
	}
	lo = max(k-1, 0)
	return lo, n - 1 - lo
}

// WithinTolerance says whether the candidate costs at most tolerance (a
// fraction) more than the baseline in both CPU per request (over all
// rounds) and added p50. The latency is judged on the median of the
// per-round differences, the estimate the pairing exists for: two medians
// taken apart keep the noise the rounds share, which at saturating
// concurrency is as large as the tolerance.
func (c *Interleaved) WithinTolerance(tolerance float64) (cpuOK, latencyOK bool) {
	cpu, cpuBase := c.CPUPerRequest()
	_, addBase := c.AddedP50()
	cpuOK = float64(cpu) <= float64(cpuBase)*(1+tolerance)
	latencyOK = float64(c.AddedDifference().Median) <= math.Abs(float64(addBase))*tolerance
	return cpuOK, latencyOK
}

// MeasurableP50Difference says whether the candidate's p50 differs from the
// baseline's beyond the run-to-run noise: the 90% confidence interval of the
// median per-round difference excludes zero.
func (c *Interleaved) MeasurableP50Difference() bool {
	s := c.AddedDifference()
	return s.Low > 0 || s.High < 0
}

// ParityLine reports c against a tolerance target.
func (c *Interleaved) ParityLine(tolerance float64) (string, bool) {
	cpuOK, latencyOK := c.WithinTolerance(tolerance)
	v := verdict(cpuOK && latencyOK)
	switch {
	case !cpuOK && !latencyOK:
		v += " (CPU and latency)"
	case !cpuOK:
		v += " (CPU)"
	case !latencyOK:
		v += " (latency)"
	}
	return fmt.Sprintf("%s: %s, target within %.0f%%: %s", c.header(), c.figures(), 100*tolerance, v), cpuOK && latencyOK
}

// NoDifferenceLine reports c against the target of no measurable p50 difference.
func (c *Interleaved) NoDifferenceLine() (string, bool) {
	ok := !c.MeasurableP50Difference()
	return fmt.Sprintf("%s: %s, target no measurable p50 difference: %s", c.header(), c.figures(), verdict(ok)), ok
}

func (c *Interleaved) header() string {
	return fmt.Sprintf("%s, %s %s c=%d (%d rounds)", c.Label, c.Topology, c.Mode, c.Concurrency, min(len(c.Candidate), len(c.Baseline)))
}

func (c *Interleaved) figures() string {
	cpu, cpuBase := c.CPUPerRequest()
	add, addBase := c.AddedP50()
	d := c.AddedDifference()
	return fmt.Sprintf("gateway CPU/req %.0f vs %.0f µs (%s), added p50 %.3f vs %.3f ms (%s), per-round difference %+.3f ms [90%% CI %+.3f … %+.3f]",
		usec(cpu), usec(cpuBase), relative(cpu, cpuBase), msec(add), msec(addBase), relative(add, addBase),
		msec(d.Median), msec(d.Low), msec(d.High))
}

func added(gateway, direct []Sample) []time.Duration {
	n := min(len(gateway), len(direct))
	out := make([]time.Duration, n)
	for i := range n {
		out[i] = gateway[i].P50 - direct[i].P50
	}
	return out
}

func cpuPerRequest(s []Sample) time.Duration {
	var cpu time.Duration
	var n int
	for _, v := range s {
		cpu += v.CPU
		n += v.Requests
	}
	if n == 0 {
		return 0
	}
	return cpu / time.Duration(n)
}

func median(d []time.Duration) time.Duration {
	s := slices.Clone(d)
	slices.Sort(s)
	return quantile(s, 0.5)
}

// quantile interpolates linearly between the closest ranks of sorted (the
// usual definition for a handful of rounds, where nearest-rank would jump).
func quantile(sorted []time.Duration, q float64) time.Duration {
	n := len(sorted)
	if n == 0 {
		return 0
	}
	pos := q * float64(n-1)
	lo := int(math.Floor(pos))
	hi := min(lo+1, n-1)
	frac := pos - float64(lo)
	return sorted[lo] + time.Duration(frac*float64(sorted[hi]-sorted[lo]))
}

// relative is v's difference from base as a signed percentage of |base|.
func relative(v, base time.Duration) string {
	if base == 0 {
		return "n/a"
	}
	return fmt.Sprintf("%+.0f%%", 100*float64(v-base)/math.Abs(float64(base)))
}
