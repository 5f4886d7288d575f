package bench

import (
	"testing"
	"time"
)

func ms(v ...int) []time.Duration {
	out := make([]time.Duration, len(v))
	for i, x := range v {
		out[i] = time.Duration(x) * time.Millisecond
	}
	return out
}

func TestPercentileNearestRank(t *testing.T) {
	hundred := make([]time.Duration, 100)
	for i := range hundred {
		hundred[i] = time.Duration(i+1) * time.Millisecond // 1..100 ms
	}
	cases := []struct {
		name   string
		sorted []time.Duration
		q      float64
		want   time.Duration
	}{
		{"empty", nil, 50, 0},
		{"single p50", ms(7), 50, 7 * time.Millisecond},
		{"single p99", ms(7), 99, 7 * time.Millisecond},
		{"p50 of 1..100 is the 50th", hundred, 50, 50 * time.Millisecond},
		{"p99 of 1..100 is the 99th", hundred, 99, 99 * time.Millisecond},
		{"p100 is the max", hundred, 100, 100 * time.Millisecond},
		{"p0 is the min", hundred, 0, 1 * time.Millisecond},
		{"p50 of four rounds up the rank", ms(1, 2, 3, 4), 50, 2 * time.Millisecond},
		{"p99 of four is the max", ms(1, 2, 3, 4), 99, 4 * time.Millisecond},
		{"p50 of five is the median", ms(1, 2, 3, 4, 5), 50, 3 * time.Millisecond},
		{"p99 of 1000 skips the top ten", nil, 99, 0}, // filled below
	}
	thousand := make([]time.Duration, 1000)
	for i := range thousand {
		thousand[i] = time.Duration(i+1) * time.Microsecond
	}
	cases[len(cases)-1].sorted = thousand
	cases[len(cases)-1].want = 990 * time.Microsecond
	for _, c := range cases {
		if got := Percentile(c.sorted, c.q); got != c.want {
			t.Errorf("%s: Percentile(q=%v) = %v, want %v", c.name, c.q, got, c.want)
		}
	}
}

func TestSummarizeSortsAndSummarizes(t *testing.T) {
	d := ms(9, 1, 5, 3, 7)
	s := Summarize(d)
	want := Summary{Count: 5, P50: 5 * time.Millisecond, P99: 9 * time.Millisecond, Max: 9 * time.Millisecond, Mean: 5 * time.Millisecond}
	if s != want {
		t.Errorf("Summarize = %+v, want %+v", s, want)
	}
	for i := 1; i < len(d); i++ {
		if d[i-1] > d[i] {
			t.Fatalf("input not sorted in place: %v", d)
		}
	}
	if (Summarize(nil) != Summary{}) {
		t.Errorf("Summarize(nil) should be the zero Summary")
	}
}
