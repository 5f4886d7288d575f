package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/tollgate/tollgate/e2e/bench"
	"github.com/tollgate/tollgate/e2e/harness"
)

// maxFailureRate fails the run: numbers measured over errors mean nothing.
const maxFailureRate = 0.001

// profileConcurrency picks the cases profiled with -profile (in the mode
// -profile-mode names).
const (
	profileConcurrency = 16
	profileSeconds     = 5
)

// targets are the published absolute targets (2 cores, load generator
// included): the OpenAI path's budgets. The relative ones (passthrough
// parity, telemetry on vs off) are comparisons, measured in interleaved
// rounds (see interleaved.go).
var targets = bench.Targets{
	Goals: []bench.Goal{
		{Topology: string(harness.AllInOne), Dialect: dialectOpenAI, MaxCPUPerReq: 60 * time.Microsecond, MaxAddedP50C1: 100 * time.Microsecond},
		{Topology: string(harness.SplitMesh), Dialect: dialectOpenAI, MaxCPUPerReq: 150 * time.Microsecond, MaxAddedP50C1: 400 * time.Microsecond},
	},
}

func run(ctx context.Context, args []string) (err error) {
	o, err := parseFlags(args)
	if err != nil {
		return err
	}
	if o.bin, err = filepath.Abs(o.bin); err != nil {
		return err
	}
	if o.profileDir != "" {
		if err := os.MkdirAll(o.profileDir, 0o755); err != nil {
			return err
		}
	}
	dir, err := os.MkdirTemp("", "tollgate-bench-")
	if err != nil {
		return err
	}
	defer func() {
		if err == nil {
			_ = os.RemoveAll(dir)
		} else {
			fmt.Fprintf(os.Stderr, "bench: logs kept in %s\n", dir)
		}
	}()
	hz, hzKnown := bench.ClockTicks()
	b := &bencher{opts: o, dir: dir, hz: hz}

	up, err := harness.StartFakeUpstream(o.bin, dir)
	if err != nil {
		return err
	}
	defer func() {
		if stopErr := up.Stop(harness.DefaultGrace); stopErr != nil {
			fmt.Fprintln(os.Stderr, "bench: warning:", stopErr)
		}
	}()
	b.upstream = up
	cfgPath := filepath.Join(dir, "config.yaml")
	if err := harness.WriteConfig(cfgPath, benchConfig(up.BaseURL(), up.URL)); err != nil {
		return err
	}
	b.configPath = cfgPath

	for _, topo := range o.topologies {
		if err := b.runTopology(ctx, topo); err != nil {
			return err
		}
	}
	fillAdded(b.rows)

	var report bytes.Buffer
	if err := bench.WriteReport(&report, b.rows, targets, bench.MachineLine(hz, hzKnown)); err != nil {
		return err
	}
	fmt.Fprintf(&report, "per case: %s warm-up, then %s measured, closed loop; CPU is utime+stime from /proc/<pid>/stat (%d ms resolution); stream latencies are to the last byte.\n",
		o.warmup, o.duration, 1000/hz)
	if lines := interleavedLines(b.interleaved); len(lines) > 0 {
		fmt.Fprintf(&report, "\nRelative targets, measured in %d interleaved rounds of %s per case (each gateway case next to the direct baseline of its upstream in the same round, the order rotated every round; added p50 is the median over rounds of gateway p50 minus direct p50; a p50 difference is measurable when the 90%% confidence interval of the median per-round difference (the sign test's, which assumes nothing about the noise) excludes zero):\n\n",
			b.opts.abRounds, b.opts.abDuration)
		for _, l := range lines {
			fmt.Fprintf(&report, "- %s\n", l)
		}
		report.WriteString("\n")
	}
	report.WriteString("dialect: openai and anthropic are passthroughs (a direct row: the client straight to the fake upstream's own API), X-to-Y a client of X translated to an upstream of Y; added p50 is against the direct row of the upstream's dialect, mode and concurrency.\n")
	if len(b.profiles) > 0 {
		fmt.Fprintf(&report, "CPU profiles (%ds, taken during the gateways' %s c=%d cases, which they slow slightly):\n", b.profileSeconds(), b.opts.profileMode, profileConcurrency)
		for _, p := range b.profiles {
			fmt.Fprintf(&report, "- %s\n", p)
		}
	}
	fmt.Print(report.String())
	if o.out != "" {
		if err := os.WriteFile(o.out, report.Bytes(), 0o644); err != nil {
			return err
		}
	}
	return b.failures()
}

// bencher runs the cases and collects their rows.
type bencher struct {
	opts       options
	dir        string
	hz         int64
	upstream   *harness.FakeUpstream
	configPath string
	rows       []bench.Row
	failed     []string
	profiles   []string // CPU profiles written
	// interleaved are the relative targets, measured in rounds.
	interleaved []interleavedResult
}

// runTopology starts topo (nothing to start for direct), runs every case
// through it and stops it gracefully, whatever happened. Direct runs the
// baselines of the selected cases' upstream dialects.
func (b *bencher) runTopology(ctx context.Context, topo string) (err error) {
	if topo == topoDirect {
		for _, mode := range b.opts.modes {
			for _, d := range b.opts.directCases() {
				target := directTarget(b.upstream, d.upstream)
				if err := b.runCases(ctx, topoDirect, d.dialectCase, mode, d.concurrency, target, directModel(d.upstream), nil); err != nil {
					return err
				}
			}
		}
		return nil
	}
	if topo == topoFloor {
		return b.runFloor(ctx)
	}
	t := harness.AllInOne
	if topo == topoMesh {
		t = harness.SplitMesh
	}
	name := string(t)
	dir := filepath.Join(b.dir, topo)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "bench: starting %s\n", name)
	gw, err := harness.StartGateway(t, harness.GatewayOptions{
		Bin: b.opts.bin, Dir: dir, ConfigPath: b.configPath,
		Env: append([]string{harness.UpstreamKeyEnv + "=" + harness.UpstreamKey}, b.opts.gatewayEnv...),
	})
	if err != nil {
		return err
	}
	defer func() {
		if stopErr := gw.Stop(harness.DefaultGrace); stopErr != nil {
			fmt.Fprintln(os.Stderr, "bench: warning: unclean shutdown:", stopErr)
		}
	}()
	for _, mode := range b.opts.modes {
		for _, dc := range b.opts.dialects {
			target := gatewayTarget(gw.BaseURL, dc)
			if err := b.runCases(ctx, name, dc, mode, b.opts.concurrencyOf(dc), target, gatewayModel(dc), gw); err != nil {
				return err
			}
		}
	}
	return b.runInterleaved(ctx, name, gw)
}

// runCases measures dc in mode at each concurrency against target (its
// body asking for model), appending a row for each.
func (b *bencher) runCases(ctx context.Context, topo string, dc dialectCase, mode string, conc []int, target bench.Target, model string, gw *harness.Gateway) error {
	stream := mode == modeStream
	target.Body, target.Stream = bench.Request(dc.client, model, stream), stream
	for _, c := range conc {
		row, err := b.runCase(ctx, topo, dc.name, mode, c, target, gw)
		if err != nil {
			return err
		}
		b.rows = append(b.rows, row)
	}
	return nil
}

// runCase warms up, then measures one case, reading every gateway process's
// CPU and the upstream's before and after.
func (b *bencher) runCase(ctx context.Context, topo, dialect, mode string, c int, target bench.Target, gw *harness.Gateway) (bench.Row, error) {
	client := bench.NewClient(c)
	defer client.CloseIdleConnections()
	if b.opts.warmup > 0 {
		bench.Run(ctx, client, target, bench.Load{Concurrency: c, Duration: b.opts.warmup})
	}
	if err := ctx.Err(); err != nil {
		return bench.Row{}, err
	}
	var procs []*harness.Process
	if gw != nil {
		procs = gw.Procs
	}
	before, err := b.readCPU(procs)
	if err != nil {
		return bench.Row{}, err
	}
	var profiles sync.WaitGroup
	var profileErrs []error
	if gw != nil && b.opts.profileDir != "" && mode == b.opts.profileMode && c == profileConcurrency {
		profileErrs = b.startProfiles(ctx, &profiles, topo, dialect, gw)
	}
	res := bench.Run(ctx, client, target, bench.Load{Concurrency: c, Duration: b.opts.duration})
	after, err := b.readCPU(procs)
	if err != nil {
		return bench.Row{}, err
	}
	profiles.Wait()
	for i, e := range profileErrs {
		if e != nil {
			fmt.Fprintln(os.Stderr, "bench: warning:", e)
		} else {
			b.profiles = append(b.profiles, profilePath(b.opts.profileDir, topo, dialect, gw.Procs[i].Name, b.opts.profileMode))
		}
	}
	if err := ctx.Err(); err != nil {
		return bench.Row{}, err
	}

	row := bench.Row{
		Topology: topo, Dialect: dialect, Mode: mode, Concurrency: c,
		Requests: res.Requests, Failures: res.Failures, RPS: res.Throughput(),
		Latency: bench.Summarize(res.Latency), TTFB: bench.Summarize(res.TTFB),
		Client:   bench.TicksToDuration(after[1]-before[1], b.hz),
		Upstream: bench.TicksToDuration(after[2]-before[2], b.hz),
		Wall:     res.Elapsed,
	}
	var ours uint64
	for i := 1; i < len(after); i++ {
		ours += after[i] - before[i]
	}
	for i, p := range procs {
		row.Gateway = append(row.Gateway, bench.ProcessCPU{Name: p.Name, CPU: bench.TicksToDuration(after[i+3]-before[i+3], b.hz)})
	}
	// The machine's busy time counts per CPU and ours per process, sampled at
	// slightly different instants: clamp the small negative difference.
	if system := after[0] - before[0]; system > ours {
		row.Other = bench.TicksToDuration(system-ours, b.hz)
	}
	gwCPU := "–"
	if gw != nil {
		gwCPU = fmt.Sprintf("%.0f µs/req", float64(row.PerRequest(row.GatewayCPU()))/1e3)
	}
	fmt.Fprintf(os.Stderr, "bench: %-10s %-19s %-6s c=%-3d %7.0f req/s  p50 %.3f ms  p99 %.3f ms  TTFB p50 %.3f ms  gateway CPU %s  errors %d/%d  other load %.0f%%\n",
		topo, dialect, mode, c, row.RPS, float64(row.Latency.P50)/1e6, float64(row.Latency.P99)/1e6, float64(row.TTFB.P50)/1e6, gwCPU, res.Failures, res.Requests, 100*row.OtherLoad())
	if res.Requests == 0 || res.FailureRate() > maxFailureRate {
		b.failed = append(b.failed, fmt.Sprintf("%s %s %s c=%d: %d of %d requests failed, e.g. %q", topo, dialect, mode, c, res.Failures, res.Requests, res.FailureSamples))
	}
	return row, nil
}

// readCPU returns the machine's busy ticks, the load generator's own CPU
// ticks, the upstream's, then each of procs'.
func (b *bencher) readCPU(procs []*harness.Process) ([]uint64, error) {
	out := make([]uint64, 0, len(procs)+3)
	system, err := bench.ReadSystemBusy()
	if err != nil {
		return nil, err
	}
	out = append(out, system)
	self, err := bench.ReadProcessCPU(os.Getpid())
	if err != nil {
		return nil, fmt.Errorf("CPU of the load generator: %w", err)
	}
	out = append(out, self.Total())
	for _, p := range append([]*harness.Process{b.upstream.Proc}, procs...) {
		t, err := bench.ReadProcessCPU(p.Pid())
		if err != nil {
			return nil, fmt.Errorf("CPU of %s: %w (exited: %v)", p.Name, err, p.Exited())
		}
		out = append(out, t.Total())
	}
	return out, nil
}

// startProfiles fetches a CPU profile from every gateway process's admin
// server in the background; the returned slice is filled by the time wg is done.
func (b *bencher) startProfiles(ctx context.Context, wg *sync.WaitGroup, topo, dialect string, gw *harness.Gateway) []error {
	seconds := b.profileSeconds()
	errs := make([]error, len(gw.Procs))
	for i, p := range gw.Procs {
		addr := gw.AdminAddrs[p.Name]
		path := profilePath(b.opts.profileDir, topo, dialect, p.Name, b.opts.profileMode)
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = bench.FetchCPUProfile(ctx, addr, seconds, path)
		}()
	}
	return errs
}

// profileSeconds is how long a profile runs: profileSeconds, shortened to
// fit a shorter measured case.
func (b *bencher) profileSeconds() int {
	return min(profileSeconds, max(1, int(b.opts.duration/time.Second)))
}

// profilePath names the profile of one gateway process in one dialect case.
func profilePath(dir, topo, dialect, proc, mode string) string {
	return filepath.Join(dir, fmt.Sprintf("%s-%s-%s-%s-c%d.pprof", topo, dialect, proc, mode, profileConcurrency))
}

// fillAdded sets every gateway row's added p50 against the direct row of
// its upstream's dialect with the same mode and concurrency, when there is
// one: a translation is charged only what the gateway adds, not the
// difference between the two upstream APIs.
func fillAdded(rows []bench.Row) {
	type key struct {
		upstream bench.Dialect
		mode     string
		c        int
	}
	direct := map[key]time.Duration{}
	for _, r := range rows {
		if dc, ok := dialectByName(r.Dialect); ok && r.Topology == topoDirect {
			direct[key{dc.upstream, r.Mode, r.Concurrency}] = r.Latency.P50
		}
	}
	for i := range rows {
		r := &rows[i]
		dc, ok := dialectByName(r.Dialect)
		if !ok || r.Topology == topoDirect {
			continue
		}
		if d, ok := direct[key{dc.upstream, r.Mode, r.Concurrency}]; ok {
			r.AddedP50, r.HasAdded = r.Latency.P50-d, true
		}
	}
}

func (b *bencher) failures() error {
	if len(b.failed) == 0 {
		return nil
	}
	msg := fmt.Sprintf("%d case(s) had more than %.1f%% failed requests:", len(b.failed), 100*maxFailureRate)
	for _, f := range b.failed {
		msg += "\n  " + f
	}
	return errors.New(msg)
}
