package bench

import (
	"slices"
	"time"
)

// Summary describes a set of latencies.
type Summary struct {
	Count int
	P50   time.Duration
	P99   time.Duration
	Max   time.Duration
	Mean  time.Duration
}

// Summarize sorts d in place and returns its count, p50, p99, max and mean.
// An empty d gives the zero Summary.
func Summarize(d []time.Duration) Summary {
	if len(d) == 0 {
		return Summary{}
	}
	slices.Sort(d)
	var sum time.Duration
	for _, v := range d {
		sum += v
	}
	return Summary{
		Count: len(d),
		P50:   Percentile(d, 50),
		P99:   Percentile(d, 99),
		Max:   d[len(d)-1],
		Mean:  sum / time.Duration(len(d)),
	}
}

// Percentile returns the q-th percentile (0 < q <= 100) of sorted by the
// nearest-rank method: the smallest value with at least q% of the values at or
// below it. Nearest-rank never invents a latency no request had, which is what
// a reader of a p99 expects. sorted must be ascending; empty gives 0.
func Percentile(sorted []time.Duration, q float64) time.Duration {
	n := len(sorted)
	if n == 0 {
		return 0
	}
	if q <= 0 {
		return sorted[0]
	}
	// rank = ceil(q/100 * n), computed in integers to avoid float rounding
	// turning an exact rank (e.g. 50% of 100) into the next one.
	scaled := q * float64(n)
	rank := int(scaled / 100)
	if float64(rank)*100 < scaled {
		rank++
	}
	if rank < 1 {
		rank = 1
	}
	if rank > n {
		rank = n
	}
	return sorted[rank-1]
}
