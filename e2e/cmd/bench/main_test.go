package main

import (
	"slices"
	"testing"
	"time"

	"github.com/tollgate/tollgate/e2e/bench"
)

func TestParseFlagsDefaults(t *testing.T) {
	o, err := parseFlags([]string{"-bin", "/x"})
	if err != nil {
		t.Fatal(err)
	}
	if o.duration != 5*time.Second || o.warmup != time.Second || !slices.Equal(o.concurrency, []int{1, 16, 64}) ||
		!slices.Equal(o.modes, []string{"unary", "stream"}) || !slices.Equal(o.topologies, []string{"direct", "allinone", "mesh"}) {
		t.Errorf("defaults = %+v", o)
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
		{Topology: "direct", Mode: "unary", Concurrency: 1, Latency: bench.Summary{P50: 100 * time.Microsecond}},
		{Topology: "direct", Mode: "stream", Concurrency: 1, Latency: bench.Summary{P50: 200 * time.Microsecond}},
		{Topology: "all-in-one", Mode: "unary", Concurrency: 1, Latency: bench.Summary{P50: 150 * time.Microsecond}},
		{Topology: "all-in-one", Mode: "stream", Concurrency: 1, Latency: bench.Summary{P50: 260 * time.Microsecond}},
		{Topology: "all-in-one", Mode: "unary", Concurrency: 16, Latency: bench.Summary{P50: 900 * time.Microsecond}},
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
