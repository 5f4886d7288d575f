package telemetry

import (
	"math/rand/v2"
	"testing"
)

// checkAgainst compares the table with a map holding what it should.
func checkAgainst(t *testing.T, tab *idTable, want map[idKey]writeNumber, absent []idKey) {
	t.Helper()
	if tab.len() != len(want) {
		t.Fatalf("table holds %d ids, want %d", tab.len(), len(want))
	}
	for k, w := range want {
		if got, ok := tab.get(k); !ok || got != w {
			t.Fatalf("get(%x) = %d, %v; want %d", k, got, ok, w)
		}
	}
	for _, k := range absent {
		if _, in := want[k]; in {
			continue
		}
		if got, ok := tab.get(k); ok {
			t.Fatalf("get(%x) found write %d of an id not there", k, got)
		}
	}
}

// Random puts and deletes of ids whose home slots crowd a few neighbouring
// slots around the end of the table (so runs wrap around to the start) give
// the same answers as a map: deleting from the middle of a run must not cut
// the entries after it off from their home.
func TestIDTableMatchesAMapUnderChurn(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	keys := make([]idKey, 300)
	for i := range keys {
		home := uint64(idTableMinSlots - 4 + rng.IntN(8)) // slots 1020..1027, i.e. 1020..1023 and 0..3
		keys[i] = idKey{home, uint64(i)<<1 | 1}
	}
	var tab idTable
	want := map[idKey]writeNumber{}
	for step := range 20000 {
		k := keys[rng.IntN(len(keys))]
		if rng.IntN(2) == 0 {
			w := writeNumber(step + 1)
			had, found := tab.putIfAbsent(k, w)
			if prev, in := want[k]; in != found || (in && had != prev) {
				t.Fatalf("step %d: putIfAbsent = %d, %v; want %d, %v", step, had, found, prev, in)
			}
			if !found {
				want[k] = w
			}
		} else {
			tab.delete(k)
			delete(want, k)
		}
		if step%97 == 0 {
			checkAgainst(t, &tab, want, keys)
		}
	}
	checkAgainst(t, &tab, want, keys)
	if len(tab.slots) != idTableMinSlots {
		t.Fatalf("a table of at most %d ids grew to %d slots", len(keys), len(tab.slots))
	}
}

func TestIDTableGrowsAndKeepsEveryID(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	var tab idTable
	want := map[idKey]writeNumber{}
	var absent []idKey
	for i := range 50_000 {
		k := idKey{rng.Uint64(), rng.Uint64() | 1}
		if i%10 == 0 {
			absent = append(absent, k)
			continue
		}
		tab.putIfAbsent(k, writeNumber(i))
		want[k] = writeNumber(i)
	}
	checkAgainst(t, &tab, want, absent)
	if load := float64(tab.len()) / float64(len(tab.slots)); load > 0.75 {
		t.Fatalf("load %.2f over the 3/4 bound", load)
	}
	for k := range want {
		tab.delete(k)
	}
	checkAgainst(t, &tab, map[idKey]writeNumber{}, absent)
}

func TestIDTableEmpty(t *testing.T) {
	var tab idTable
	k := idKey{1, 1}
	if _, ok := tab.get(k); ok {
		t.Fatal("found an id in an empty table")
	}
	tab.delete(k)
	if tab.len() != 0 {
		t.Fatal("deleting from an empty table changed it")
	}
}
