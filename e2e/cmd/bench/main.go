// Command bench measures Tollgate's overhead (`make bench`): it starts a
// zero-latency fake upstream, then runs closed-loop load against the upstream
// directly, through the all-in-one binary and through the split mesh, and
// prints throughput, latency percentiles, the latency the gateway adds and
// the CPU every gateway process spends per request, as a markdown table.
// Each gateway case pairs a client dialect with an upstream dialect (OpenAI
// Chat Completions or Anthropic Messages): passthroughs and translations.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/tollgate/tollgate/e2e/bench"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:]); err != nil {
		if ctx.Err() != nil {
			err = errors.New("interrupted; every started process was sent SIGTERM")
		}
		fmt.Fprintln(os.Stderr, "bench:", err)
		stop()
		os.Exit(1)
	}
}

// options are the command's flags.
type options struct {
	bin         string
	duration    time.Duration
	warmup      time.Duration
	concurrency []int
	// dialects are the cases run through the gateways; dialectConcurrency
	// the concurrencies of every case but the OpenAI path's (which runs at
	// concurrency).
	dialects           []dialectCase
	dialectConcurrency []int
	modes              []string
	topologies         []string
	out                string
	profileDir         string
	profileMode        string
	gatewayEnv         []string
	abRounds           int
	abDuration         time.Duration
	abConcurrency      []int
}

// Topology flag values, in the order they always run (direct first: the
// gateways' added latency is measured against it).
const (
	topoDirect   = "direct"
	topoFloor    = "floor"
	topoAllInOne = "allinone"
	topoMesh     = "mesh"
)

var (
	allTopologies = []string{topoDirect, topoFloor, topoAllInOne, topoMesh}
	allModes      = []string{modeUnary, modeStream}
)

const (
	modeUnary  = "unary"
	modeStream = "stream"
)

func parseFlags(args []string) (options, error) {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	var o options
	var conc, dialectConc, dialects, modes, topos string
	fs.StringVar(&o.bin, "bin", "", "directory holding the Tollgate binaries (make build's bin/); required")
	fs.DurationVar(&o.duration, "duration", 5*time.Second, "measured time per case")
	fs.DurationVar(&o.warmup, "warmup", time.Second, "unmeasured warm-up per case (same connections)")
	fs.StringVar(&conc, "concurrency", "1,16,64", "comma-separated closed-loop concurrencies")
	fs.StringVar(&dialects, "dialects", strings.Join(dialectNames(), ","),
		"comma-separated dialect cases (client dialect → upstream dialect): openai, anthropic (passthroughs), anthropic-to-openai, openai-to-anthropic (translations)")
	fs.StringVar(&dialectConc, "dialect-concurrency", "1,16",
		"comma-separated concurrencies of every dialect case but openai (and of the direct Anthropic baseline); \"all\" means -concurrency's")
	fs.StringVar(&modes, "modes", "unary,stream", "comma-separated: unary, stream")
	fs.StringVar(&topos, "topologies", "direct,floor,allinone,mesh", "comma-separated: direct, floor (the yardstick: a bare Go reverse proxy), allinone, mesh")
	fs.StringVar(&o.out, "out", "", "also write the markdown report to this file")
	var gatewayEnv, abConc string
	fs.IntVar(&o.abRounds, "ab-rounds", 8, "rounds of the interleaved comparisons (anthropic passthrough vs openai path, usage tracking on vs off); 0 skips them")
	fs.DurationVar(&o.abDuration, "ab-duration", time.Second, "measured time of each case in each interleaved round")
	fs.StringVar(&abConc, "ab-concurrency", "1,16", "comma-separated concurrencies of the interleaved comparisons")
	fs.StringVar(&gatewayEnv, "gateway-env", "", "comma-separated NAME=value pairs added to the gateway processes' environment (e.g. GOMAXPROCS=1,GOGC=200)")
	fs.StringVar(&o.profileDir, "profile", "", "save a CPU profile of every gateway process, taken during the c=16 cases of -profile-mode, into this directory")
	fs.StringVar(&o.profileMode, "profile-mode", modeUnary, "the mode whose c=16 cases -profile profiles: unary or stream")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	for _, kv := range splitList(gatewayEnv) {
		if name, _, ok := strings.Cut(kv, "="); !ok || name == "" {
			return o, fmt.Errorf("-gateway-env: %q is not NAME=value", kv)
		}
		o.gatewayEnv = append(o.gatewayEnv, kv)
	}
	if o.bin == "" {
		return o, errors.New("-bin is required")
	}
	if o.duration <= 0 || o.warmup < 0 {
		return o, errors.New("-duration must be positive and -warmup not negative")
	}
	var err error
	if o.concurrency, err = parseConcurrency("-concurrency", conc); err != nil {
		return o, err
	}
	if o.abConcurrency, err = parseConcurrency("-ab-concurrency", abConc); err != nil {
		return o, err
	}
	if o.abRounds < 0 || o.abRounds > 1000 || o.abDuration <= 0 {
		return o, errors.New("-ab-rounds must be in 0..1000 and -ab-duration positive")
	}
	if strings.TrimSpace(dialectConc) == "all" {
		o.dialectConcurrency = o.concurrency
	} else if o.dialectConcurrency, err = parseConcurrency("-dialect-concurrency", dialectConc); err != nil {
		return o, err
	}
	names, err := pick("-dialects", dialects, dialectNames())
	if err != nil {
		return o, err
	}
	for _, n := range names {
		d, _ := dialectByName(n)
		o.dialects = append(o.dialects, d)
	}
	if o.modes, err = pick("-modes", modes, allModes); err != nil {
		return o, err
	}
	if o.profileMode != modeUnary && o.profileMode != modeStream {
		return o, fmt.Errorf("-profile-mode: %q is neither unary nor stream", o.profileMode)
	}
	if o.topologies, err = pick("-topologies", topos, allTopologies); err != nil {
		return o, err
	}
	if len(o.concurrency) == 0 || len(o.dialectConcurrency) == 0 || len(o.dialects) == 0 || len(o.modes) == 0 || len(o.topologies) == 0 {
		return o, errors.New("-concurrency, -dialect-concurrency, -dialects, -modes and -topologies must each name at least one")
	}
	return o, nil
}

// parseConcurrency reads a comma-separated list of concurrencies.
func parseConcurrency(flagName, list string) ([]int, error) {
	var out []int
	for _, s := range splitList(list) {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > 4096 {
			return nil, fmt.Errorf("%s: %q is not a number in 1..4096", flagName, s)
		}
		out = append(out, n)
	}
	return out, nil
}

// concurrencyOf is the concurrencies dc runs at through a gateway.
func (o *options) concurrencyOf(dc dialectCase) []int {
	if dc.name == dialectOpenAI {
		return o.concurrency
	}
	return o.dialectConcurrency
}

// directCases are the direct baselines the selected dialect cases need: one
// per upstream dialect, at every concurrency a case on that upstream runs
// at (in the order the cases name them), OpenAI's first.
func (o *options) directCases() []directBaseline {
	var out []directBaseline
	for _, up := range []dialectCase{directCase(bench.DialectOpenAI), directCase(bench.DialectAnthropic)} {
		var conc []int
		for _, dc := range o.dialects {
			if dc.upstream != up.upstream {
				continue
			}
			for _, c := range o.concurrencyOf(dc) {
				if !slices.Contains(conc, c) {
					conc = append(conc, c)
				}
			}
		}
		if len(conc) > 0 {
			out = append(out, directBaseline{up, conc})
		}
	}
	return out
}

// directBaseline is a direct case and the concurrencies it runs at.
type directBaseline struct {
	dialectCase
	concurrency []int
}

// pick returns the members of known named in the comma-separated list, in
// known's order.
func pick(flagName, list string, known []string) ([]string, error) {
	want := map[string]bool{}
	for _, s := range splitList(list) {
		ok := false
		for _, k := range known {
			ok = ok || k == s
		}
		if !ok {
			return nil, fmt.Errorf("%s: unknown %q (known: %s)", flagName, s, strings.Join(known, ", "))
		}
		want[s] = true
	}
	var out []string
	for _, k := range known {
		if want[k] {
			out = append(out, k)
		}
	}
	return out, nil
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}
