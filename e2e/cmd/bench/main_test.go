package main

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tollgate/tollgate/e2e/bench"
	"github.com/tollgate/tollgate/e2e/harness"
)

func TestParseFlagsDefaults(t *testing.T) {
	o, err := parseFlags([]string{"-bin", "/x"})
	if err != nil {
		t.Fatal(err)
	}
	if o.duration != 5*time.Second || o.warmup != time.Second || !slices.Equal(o.concurrency, []int{1, 16, 64}) ||
		!slices.Equal(o.modes, []string{"unary", "stream"}) || !slices.Equal(o.topologies, []string{"direct", "floor", "allinone", "mesh"}) ||
		!slices.Equal(o.dialects, allDialects) || !slices.Equal(o.dialectConcurrency, []int{1, 16}) ||
		o.abRounds != 8 || o.abDuration != time.Second || !slices.Equal(o.abConcurrency, []int{1, 16}) || o.profileMode != "unary" {
		t.Errorf("defaults = %+v", o)
	}
}

func TestParseFlagsRejectsBadComparisonAndEnvFlags(t *testing.T) {
	for _, args := range [][]string{
		{"-bin", "/x", "-ab-rounds", "-1"},
		{"-bin", "/x", "-ab-duration", "0s"},
		{"-bin", "/x", "-ab-concurrency", "0"},
		{"-bin", "/x", "-gateway-env", "GOGC"},
		{"-bin", "/x", "-profile-mode", "both"},
	} {
		if _, err := parseFlags(args); err == nil {
			t.Errorf("%q accepted", args)
		}
	}
	o, err := parseFlags([]string{"-bin", "/x", "-gateway-env", "GOGC=200, GOMAXPROCS=1", "-ab-rounds", "0"})
	if err != nil || !slices.Equal(o.gatewayEnv, []string{"GOGC=200", "GOMAXPROCS=1"}) || o.abRounds != 0 {
		t.Errorf("gateway env %v, rounds %d, err %v", o.gatewayEnv, o.abRounds, err)
	}
}

func TestParseFlagsDialects(t *testing.T) {
	o, err := parseFlags([]string{"-bin", "/x", "-dialects", "openai-to-anthropic, anthropic", "-concurrency", "2,8", "-dialect-concurrency", "all"})
	if err != nil {
		t.Fatal(err)
	}
	if len(o.dialects) != 2 || o.dialects[0].name != "anthropic" || o.dialects[1].name != "openai-to-anthropic" {
		t.Errorf("dialects = %+v, want anthropic then openai-to-anthropic", o.dialects)
	}
	if !slices.Equal(o.dialectConcurrency, []int{2, 8}) {
		t.Errorf("-dialect-concurrency all = %v, want -concurrency's", o.dialectConcurrency)
	}
	for _, args := range [][]string{
		{"-bin", "/x", "-dialects", "gemini"},
		{"-bin", "/x", "-dialects", ""},
		{"-bin", "/x", "-dialect-concurrency", "0"},
		{"-bin", "/x", "-dialect-concurrency", ","},
	} {
		if _, err := parseFlags(args); err == nil {
			t.Errorf("parseFlags(%q) succeeded, want an error", args)
		}
	}
}

func TestDialectCases(t *testing.T) {
	want := map[string][2]bench.Dialect{
		"openai":              {bench.DialectOpenAI, bench.DialectOpenAI},
		"anthropic":           {bench.DialectAnthropic, bench.DialectAnthropic},
		"anthropic-to-openai": {bench.DialectAnthropic, bench.DialectOpenAI},
		"openai-to-anthropic": {bench.DialectOpenAI, bench.DialectAnthropic},
	}
	for name, w := range want {
		dc, ok := dialectByName(name)
		if !ok || dc.client != w[0] || dc.upstream != w[1] {
			t.Errorf("%s = %+v, want client %s, upstream %s", name, dc, w[0], w[1])
			continue
		}
		target := gatewayTarget("http://gw", dc)
		wantURL := map[bench.Dialect]string{bench.DialectOpenAI: "http://gw/v1/chat/completions", bench.DialectAnthropic: "http://gw/anthropic/v1/messages"}[dc.client]
		if target.URL != wantURL || target.Dialect != dc.client || target.Token != benchToken {
			t.Errorf("%s: gateway target %+v, want %s as %s", name, target, wantURL, dc.client)
		}
		wantModel := map[bench.Dialect]string{bench.DialectOpenAI: benchEndpoint, bench.DialectAnthropic: benchAnthropicEndpoint}[dc.upstream]
		if m := gatewayModel(dc); m != wantModel {
			t.Errorf("%s: model %s, want %s", name, m, wantModel)
		}
	}
}

func TestDirectCasesCoverEveryUpstreamAtItsCasesConcurrencies(t *testing.T) {
	o, err := parseFlags([]string{"-bin", "/x"})
	if err != nil {
		t.Fatal(err)
	}
	got := o.directCases()
	if len(got) != 2 || got[0].name != "openai" || !slices.Equal(got[0].concurrency, []int{1, 16, 64}) ||
		got[1].name != "anthropic" || !slices.Equal(got[1].concurrency, []int{1, 16}) {
		t.Errorf("default direct cases = %+v", got)
	}
	if o.concurrencyOf(allDialects[0]) == nil || !slices.Equal(o.concurrencyOf(allDialects[2]), []int{1, 16}) {
		t.Error("openai does not run at -concurrency, or a translation not at -dialect-concurrency")
	}

	o, err = parseFlags([]string{"-bin", "/x", "-dialects", "anthropic-to-openai", "-concurrency", "64", "-dialect-concurrency", "4,1"})
	if err != nil {
		t.Fatal(err)
	}
	got = o.directCases()
	if len(got) != 1 || got[0].name != "openai" || got[0].client != bench.DialectOpenAI || !slices.Equal(got[0].concurrency, []int{4, 1}) {
		t.Errorf("direct cases for anthropic-to-openai alone = %+v, want openai at 4,1", got)
	}
}

func TestParseFlagsOrdersTopologiesAndRejectsUnknown(t *testing.T) {
	o, err := parseFlags([]string{"-bin", "/x", "-topologies", "mesh, direct", "-modes", "stream", "-concurrency", "4"})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(o.topologies, []string{"direct", "mesh"}) || !slices.Equal(o.modes, []string{"stream"}) || !slices.Equal(o.concurrency, []int{4}) {
		t.Errorf("parsed %+v; want direct before mesh", o)
	}
	for _, args := range [][]string{
		{},
		{"-bin", "/x", "-topologies", "cloud"},
		{"-bin", "/x", "-modes", "batch"},
		{"-bin", "/x", "-concurrency", "0"},
		{"-bin", "/x", "-concurrency", ""},
		{"-bin", "/x", "-duration", "0s"},
	} {
		if _, err := parseFlags(args); err == nil {
			t.Errorf("parseFlags(%q) succeeded, want an error", args)
		}
	}
}

func TestFillAddedAgainstDirectOfSameCase(t *testing.T) {
	rows := []bench.Row{
		{Topology: "direct", Dialect: "openai", Mode: "unary", Concurrency: 1, Latency: bench.Summary{P50: 100 * time.Microsecond}},
		{Topology: "direct", Dialect: "openai", Mode: "stream", Concurrency: 1, Latency: bench.Summary{P50: 200 * time.Microsecond}},
		{Topology: "all-in-one", Dialect: "openai", Mode: "unary", Concurrency: 1, Latency: bench.Summary{P50: 150 * time.Microsecond}},
		{Topology: "all-in-one", Dialect: "openai", Mode: "stream", Concurrency: 1, Latency: bench.Summary{P50: 260 * time.Microsecond}},
		{Topology: "all-in-one", Dialect: "openai", Mode: "unary", Concurrency: 16, Latency: bench.Summary{P50: 900 * time.Microsecond}},
	}
	fillAdded(rows)
	if rows[0].HasAdded || rows[1].HasAdded {
		t.Error("direct rows got an added latency")
	}
	if !rows[2].HasAdded || rows[2].AddedP50 != 50*time.Microsecond {
		t.Errorf("unary c=1 added = %v (%v), want 50µs", rows[2].AddedP50, rows[2].HasAdded)
	}
	if !rows[3].HasAdded || rows[3].AddedP50 != 60*time.Microsecond {
		t.Errorf("stream c=1 added = %v (%v), want 60µs", rows[3].AddedP50, rows[3].HasAdded)
	}
	if rows[4].HasAdded {
		t.Error("c=16 has no direct baseline but got an added latency")
	}
}

func TestFillAddedAgainstDirectOfTheUpstreamsDialect(t *testing.T) {
	const us = time.Microsecond
	row := func(topo, dialect string, p50 time.Duration) bench.Row {
		return bench.Row{Topology: topo, Dialect: dialect, Mode: "unary", Concurrency: 1, Latency: bench.Summary{P50: p50}}
	}
	rows := []bench.Row{
		row("direct", "openai", 100*us),
		row("direct", "anthropic", 300*us),
		row("split-mesh", "openai", 500*us),
		row("split-mesh", "anthropic", 800*us),
		row("split-mesh", "anthropic-to-openai", 600*us),
		row("split-mesh", "openai-to-anthropic", 700*us),
	}
	fillAdded(rows)
	want := map[string]time.Duration{"openai": 400 * us, "anthropic": 500 * us, "anthropic-to-openai": 500 * us, "openai-to-anthropic": 400 * us}
	for _, r := range rows[2:] {
		if !r.HasAdded || r.AddedP50 != want[r.Dialect] {
			t.Errorf("%s added %v (%v), want %v", r.Dialect, r.AddedP50, r.HasAdded, want[r.Dialect])
		}
	}
	if rows[0].HasAdded || rows[1].HasAdded {
		t.Error("a direct row got an added latency")
	}

	// Without a direct Anthropic baseline, only the OpenAI-upstream cases get one.
	rows = []bench.Row{row("direct", "openai", 100*us), row("all-in-one", "anthropic", 800*us), row("all-in-one", "anthropic-to-openai", 600*us)}
	fillAdded(rows)
	if rows[1].HasAdded || !rows[2].HasAdded || rows[2].AddedP50 != 500*us {
		t.Errorf("rows = %+v", rows)
	}
}

func TestBenchConfigHasAnEndpointPerUpstreamDialect(t *testing.T) {
	cfg := benchConfig("http://127.0.0.1:9/v1", "http://127.0.0.1:9")
	for _, want := range []string{
		"  - name: bench\n    task: chat\n    served_entities:\n      - name: bench-upstream\n        provider: openai_compatible\n        model: gpt-fake\n        base_url: \"http://127.0.0.1:9/v1\"",
		"  - name: bench-anthropic\n    task: chat\n    served_entities:\n      - name: bench-anthropic-upstream\n        provider: anthropic\n        model: claude-fake\n        base_url: \"http://127.0.0.1:9\"",
		"  - name: bench-untracked\n    task: chat\n    usage_tracking: false\n    served_entities:\n      - name: bench-upstream",
		"sha256: " + harness.HashToken(benchToken),
	} {
		if !strings.Contains(cfg, want) {
			t.Errorf("config lacks %q:\n%s", want, cfg)
		}
	}
	if n := strings.Count(cfg, "calls_per_minute: 1000000000"); n != 3 {
		t.Errorf("%d rate limits, want one per endpoint:\n%s", n, cfg)
	}
}
