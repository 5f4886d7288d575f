package main

import (
	"context"
	"fmt"
	"net/http"
	"os"

	"github.com/tollgate/tollgate/e2e/bench"
	"github.com/tollgate/tollgate/e2e/harness"
)

// comparison is a target judged by interleaved rounds (see bench.Interleaved):
// a candidate dialect case held to a baseline case through the same gateway.
type comparison struct {
	label               string
	candidate, baseline string
	// tolerance is the parity allowance; 0 means the target is no
	// measurable p50 difference.
	tolerance float64
}

// comparisons are the issues' relative targets.
var comparisons = []comparison{
	{label: "anthropic passthrough vs openai path", candidate: dialectAnthropic, baseline: dialectOpenAI, tolerance: 0.10},
	{label: "usage tracking on vs off (openai path)", candidate: dialectOpenAI, baseline: dialectOpenAIUntracked},
}

// roundCase is one case of an interleaved round: a client kept across
// rounds (connections stay warm) and its target.
type roundCase struct {
	name    string
	gateway bool
	client  *http.Client
	target  bench.Target
	samples []bench.Sample
}

// runInterleaved measures every comparison on the running gateway gw: for
// each mode and concurrency, rounds of every case involved (gateway cases
// and the direct baselines of their upstreams), the order rotated each round
// so no case always runs first or last.
func (b *bencher) runInterleaved(ctx context.Context, topo string, gw *harness.Gateway) error {
	if b.opts.abRounds == 0 {
		return nil
	}
	for _, mode := range b.opts.modes {
		stream := mode == modeStream
		for _, c := range b.opts.abConcurrency {
			cases := map[string]*roundCase{}
			var order []*roundCase
			add := func(key string, gateway bool, dc dialectCase) {
				if cases[key] != nil {
					return
				}
				var t bench.Target
				model := gatewayModel(dc)
				if gateway {
					t = gatewayTarget(gw.BaseURL, dc)
				} else {
					t, model = directTarget(b.upstream, dc.upstream), directModel(dc.upstream)
				}
				t.Body, t.Stream = bench.Request(dc.client, model, stream), stream
				rc := &roundCase{name: key, gateway: gateway, client: bench.NewClient(c), target: t}
				cases[key] = rc
				order = append(order, rc)
			}
			for _, cmp := range comparisons {
				for _, name := range []string{cmp.candidate, cmp.baseline} {
					dc, _ := dialectByName(name)
					add("direct "+string(dc.upstream), false, directCase(dc.upstream))
					add(name, true, dc)
				}
			}
			if err := b.rounds(ctx, topo, mode, c, order, gw); err != nil {
				return err
			}
			for _, cmp := range comparisons {
				cand, _ := dialectByName(cmp.candidate)
				base, _ := dialectByName(cmp.baseline)
				b.interleaved = append(b.interleaved, interleavedResult{cmp: cmp, Interleaved: bench.Interleaved{
					Label: cmp.label, Topology: string(gw.Topology), Mode: mode, Concurrency: c,
					Candidate: cases[cmp.candidate].samples, Baseline: cases[cmp.baseline].samples,
					CandidateDirect: cases["direct "+string(cand.upstream)].samples,
					BaselineDirect:  cases["direct "+string(base.upstream)].samples,
				}})
			}
			for _, rc := range order {
				rc.client.CloseIdleConnections()
			}
		}
	}
	return nil
}

// rounds warms every case up once, then runs abRounds rounds of them.
func (b *bencher) rounds(ctx context.Context, topo, mode string, c int, cases []*roundCase, gw *harness.Gateway) error {
	for _, rc := range cases {
		if b.opts.warmup > 0 {
			bench.Run(ctx, rc.client, rc.target, bench.Load{Concurrency: c, Duration: b.opts.warmup})
		}
	}
	for r := range b.opts.abRounds {
		for i := range cases {
			rc := cases[(r+i)%len(cases)]
			before, err := b.readCPU(gw.Procs)
			if err != nil {
				return err
			}
			res := bench.Run(ctx, rc.client, rc.target, bench.Load{Concurrency: c, Duration: b.opts.abDuration})
			after, err := b.readCPU(gw.Procs)
			if err != nil {
				return err
			}
			if err := ctx.Err(); err != nil {
				return err
			}
			if res.Requests == 0 || res.FailureRate() > maxFailureRate {
				b.failed = append(b.failed, fmt.Sprintf("%s interleaved %s %s c=%d: %d of %d requests failed, e.g. %q",
					topo, rc.name, mode, c, res.Failures, res.Requests, res.FailureSamples))
			}
			s := bench.Sample{P50: bench.Summarize(res.Latency).P50, Requests: res.Requests}
			if rc.gateway {
				var ticks uint64
				for i := 3; i < len(after); i++ {
					ticks += after[i] - before[i]
				}
				s.CPU = bench.TicksToDuration(ticks, b.hz)
			}
			rc.samples = append(rc.samples, s)
		}
		fmt.Fprintf(os.Stderr, "bench: %s interleaved %s c=%d round %d/%d done\n", topo, mode, c, r+1, b.opts.abRounds)
	}
	return nil
}

// interleavedResult is a comparison measured on one topology, mode and concurrency.
type interleavedResult struct {
	cmp comparison
	bench.Interleaved
}

// interleavedLines reports every comparison and, per comparison, how many
// of its cases met the target.
func interleavedLines(results []interleavedResult) []string {
	var out []string
	for _, cmp := range comparisons {
		n, met := 0, 0
		for i := range results {
			r := &results[i]
			if r.cmp.label != cmp.label {
				continue
			}
			var line string
			var ok bool
			if cmp.tolerance > 0 {
				line, ok = r.ParityLine(cmp.tolerance)
			} else {
				line, ok = r.NoDifferenceLine()
			}
			out = append(out, line)
			n++
			if ok {
				met++
			}
		}
		if n > 0 {
			out = append(out, fmt.Sprintf("%s: met in %d of %d cases", cmp.label, met, n))
		}
	}
	return out
}
