package bench

import (
	"os"
	"testing"
	"time"
)

// A /proc/<pid>/stat line as the kernel writes it: utime 1234, stime 567.
const sampleStat = "4242 (tollgate-router) S 1 4242 4242 0 -1 4194560 12345 0 3 0 1234 567 0 0 20 0 9 0 987654 1234567890 4321 18446744073709551615 1 1 0 0 0 0 0 0 2143420159 0 0 0 17 1 0 0 0 0 0 0 0 0 0 0 0 0 0\n"

func TestParseProcStat(t *testing.T) {
	got, err := ParseProcStat([]byte(sampleStat))
	if err != nil {
		t.Fatal(err)
	}
	if got.User != 1234 || got.System != 567 || got.Total() != 1801 {
		t.Errorf("ParseProcStat = %+v (total %d), want user 1234, system 567, total 1801", got, got.Total())
	}
}

func TestParseProcStatCommandWithSpacesAndParens(t *testing.T) {
	// The kernel does not escape comm: a name like "a) b (c" must not shift fields.
	line := "77 (a) b (c) R 1 77 77 0 -1 0 0 0 0 0 42 8 0 0 20 0 1 0 1 1 1\n"
	got, err := ParseProcStat([]byte(line))
	if err != nil {
		t.Fatal(err)
	}
	if got.User != 42 || got.System != 8 {
		t.Errorf("ParseProcStat = %+v, want user 42, system 8", got)
	}
}

func TestParseProcStatRejectsMalformed(t *testing.T) {
	for name, line := range map[string]string{
		"no parens":      "77 tollgate R 1 2 3",
		"too few fields": "77 (tollgate) R 1 77 77 0 -1 0 0 0 0 0 42",
		"non-numeric":    "77 (tollgate) R 1 77 77 0 -1 0 0 0 0 0 x 8 0 0",
	} {
		if _, err := ParseProcStat([]byte(line)); err == nil {
			t.Errorf("%s: ParseProcStat(%q) succeeded, want an error", name, line)
		}
	}
}

func TestReadProcessCPUOfSelfGrows(t *testing.T) {
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		t.Skip("no /proc on this system")
	}
	before, err := ReadProcessCPU(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	// Burn CPU until the kernel has charged at least two ticks (bounded).
	deadline := time.Now().Add(5 * time.Second)
	x := 1
	for time.Now().Before(deadline) {
		for i := 0; i < 1_000_000; i++ {
			x = x*31 + i
		}
		now, err := ReadProcessCPU(os.Getpid())
		if err != nil {
			t.Fatal(err)
		}
		if now.Total() >= before.Total()+2 {
			return
		}
	}
	t.Errorf("CPU ticks did not grow while spinning for 5s (x=%d)", x)
}

func TestTicksToDuration(t *testing.T) {
	if got := TicksToDuration(250, 100); got != 2500*time.Millisecond {
		t.Errorf("250 ticks at 100 Hz = %v, want 2.5s", got)
	}
	if got := TicksToDuration(3, 1000); got != 3*time.Millisecond {
		t.Errorf("3 ticks at 1000 Hz = %v, want 3ms", got)
	}
}
