package bench

import (
	"strings"
	"testing"
	"time"
)

func msf(f float64) time.Duration { return time.Duration(f * float64(time.Millisecond)) }

// rounds builds samples with the given p50s (ms), each 1000 requests costing
// cpuPerReq of gateway CPU.
func rounds(cpuPerReq time.Duration, p50s ...float64) []Sample {
	out := make([]Sample, len(p50s))
	for i, p := range p50s {
		out[i] = Sample{P50: msf(p), CPU: 1000 * cpuPerReq, Requests: 1000}
	}
	return out
}

func TestInterleavedPairsRoundsAgainstTheirDirectBaselines(t *testing.T) {
	// The machine slows down in round 3 for every case alike: pairing within
	// rounds cancels it.
	c := &Interleaved{
		Label: "x", Topology: "all-in-one", Mode: "unary", Concurrency: 1,
		Candidate:       rounds(100*time.Microsecond, 0.40, 0.41, 0.90, 0.40, 0.42),
		CandidateDirect: rounds(0, 0.20, 0.20, 0.70, 0.20, 0.21),
		Baseline:        rounds(95*time.Microsecond, 0.38, 0.39, 0.88, 0.39, 0.38),
		BaselineDirect:  rounds(0, 0.19, 0.19, 0.69, 0.19, 0.19),
	}
	add, addBase := c.AddedP50()
	if add != msf(0.20) || addBase != msf(0.19) {
		t.Fatalf("added p50 %v vs %v, want 0.20 vs 0.19 ms", add, addBase)
	}
	cpu, cpuBase := c.CPUPerRequest()
	if cpu != 100*time.Microsecond || cpuBase != 95*time.Microsecond {
		t.Fatalf("CPU %v vs %v", cpu, cpuBase)
	}
	if cpuOK, latOK := c.WithinTolerance(0.10); !cpuOK || !latOK {
		t.Fatalf("5%% CPU and ~5%% latency over judged outside 10%%: %v %v", cpuOK, latOK)
	}
	if cpuOK, latOK := c.WithinTolerance(0.01); cpuOK || latOK {
		t.Fatalf("judged within 1%%: %v %v", cpuOK, latOK)
	}
	line, ok := c.ParityLine(0.10)
	if !ok || !strings.Contains(line, "met") || !strings.Contains(line, "5 rounds") {
		t.Fatalf("parity line %q %v", line, ok)
	}
}

func TestMeasurableDifferenceNeedsAConsistentSign(t *testing.T) {
	direct := rounds(0, 0.2, 0.2, 0.2, 0.2, 0.2, 0.2, 0.2, 0.2)
	noisy := &Interleaved{
		Candidate:       rounds(0, 0.40, 0.43, 0.38, 0.41, 0.39, 0.42, 0.40, 0.37),
		Baseline:        rounds(0, 0.41, 0.40, 0.42, 0.39, 0.40, 0.41, 0.38, 0.40),
		CandidateDirect: direct, BaselineDirect: direct,
	}
	if noisy.MeasurableP50Difference() {
		t.Fatalf("differences of both signs judged measurable: %+v", noisy.AddedDifference())
	}
	slower := &Interleaved{
		Candidate:       rounds(0, 0.45, 0.44, 0.46, 0.43, 0.45, 0.47, 0.44, 0.42),
		Baseline:        rounds(0, 0.41, 0.40, 0.42, 0.39, 0.40, 0.41, 0.38, 0.43),
		CandidateDirect: direct, BaselineDirect: direct,
	}
	if !slower.MeasurableP50Difference() {
		t.Fatalf("a consistently slower candidate judged the same: %+v", slower.AddedDifference())
	}
	if line, ok := slower.NoDifferenceLine(); ok || !strings.Contains(line, "MISSED") {
		t.Fatalf("line %q %v", line, ok)
	}
}

func TestMedianIntervalIsTheSignTestInterval(t *testing.T) {
	for _, tc := range []struct{ n, lo, hi int }{
		{0, 0, 0}, {3, 0, 2}, {5, 0, 4}, {6, 0, 5}, {8, 1, 6}, {10, 1, 8}, {20, 5, 14},
	} {
		if lo, hi := medianInterval(tc.n, 0.90); lo != tc.lo || hi != tc.hi {
			t.Errorf("n=%d: ranks %d..%d, want %d..%d", tc.n, lo, hi, tc.lo, tc.hi)
		}
	}
}

func TestQuantileInterpolates(t *testing.T) {
	s := []time.Duration{msf(1), msf(2), msf(3), msf(4)}
	if q := quantile(s, 0.5); q != msf(2.5) {
		t.Fatalf("median %v", q)
	}
	if q := quantile(s, 0.25); q != msf(1.75) {
		t.Fatalf("q25 %v", q)
	}
	if quantile(nil, 0.5) != 0 {
		t.Fatal("empty")
	}
}

// Parity is judged on the rounds' paired differences: noise the two cases
// share in a round (the machine slowing down) does not count against the
// candidate, though it moves the two medians apart.
func TestParityJudgesPairedDifferences(t *testing.T) {
	direct := rounds(0, 0.2, 0.2, 0.2, 0.2, 0.2)
	c := &Interleaved{
		// Each round both cases move together; the candidate is 2% slower.
		Candidate:       rounds(time.Microsecond, 1.02, 1.53, 1.22, 1.43, 1.12),
		Baseline:        rounds(time.Microsecond, 1.00, 1.50, 1.20, 1.40, 1.10),
		CandidateDirect: direct, BaselineDirect: direct,
	}
	if _, latOK := c.WithinTolerance(0.10); !latOK {
		t.Fatalf("a 2%% paired difference judged outside 10%%: %+v", c.AddedDifference())
	}
	c.Candidate = rounds(time.Microsecond, 1.20, 1.70, 1.40, 1.60, 1.30) // 0.2 ms slower every round
	if _, latOK := c.WithinTolerance(0.10); latOK {
		t.Fatalf("a consistent 20%% difference judged within 10%%: %+v", c.AddedDifference())
	}
}
