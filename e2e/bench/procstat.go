package bench

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"
)

// CPUTicks is a process's user+system CPU time in clock ticks, as the kernel
// accounts it in /proc/<pid>/stat (summed over all its threads, living and exited).
type CPUTicks struct {
	User   uint64
	System uint64
}

// Total is user plus system ticks.
func (t CPUTicks) Total() uint64 { return t.User + t.System }

// ParseProcStat extracts utime and stime (fields 14 and 15) from the contents
// of /proc/<pid>/stat. The second field is the command name in parentheses and
// may itself contain spaces and parentheses, so fields are counted from the
// last ')' rather than split from the start.
func ParseProcStat(stat []byte) (CPUTicks, error) {
	end := bytes.LastIndexByte(stat, ')')
	if end < 0 {
		return CPUTicks{}, fmt.Errorf("proc stat: no ')' closing the command name")
	}
	// After "pid (comm)" come fields 3 (state), 4 (ppid), …: utime is field
	// 14, i.e. index 11 of the rest, stime index 12.
	rest := strings.Fields(string(stat[end+1:]))
	const utimeIdx, stimeIdx = 14 - 3, 15 - 3
	if len(rest) <= stimeIdx {
		return CPUTicks{}, fmt.Errorf("proc stat: %d fields after the command name, want more than %d", len(rest), stimeIdx)
	}
	user, err := strconv.ParseUint(rest[utimeIdx], 10, 64)
	if err != nil {
		return CPUTicks{}, fmt.Errorf("proc stat: utime: %w", err)
	}
	sys, err := strconv.ParseUint(rest[stimeIdx], 10, 64)
	if err != nil {
		return CPUTicks{}, fmt.Errorf("proc stat: stime: %w", err)
	}
	return CPUTicks{User: user, System: sys}, nil
}

// ReadProcessCPU reads a live process's CPU ticks from /proc/<pid>/stat.
func ReadProcessCPU(pid int) (CPUTicks, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return CPUTicks{}, err
	}
	t, err := ParseProcStat(b)
	if err != nil {
		return CPUTicks{}, fmt.Errorf("pid %d: %w", pid, err)
	}
	return t, nil
}

// DefaultClockTicks is USER_HZ on every mainstream Linux build; used when
// `getconf CLK_TCK` cannot be run.
const DefaultClockTicks = 100

// ClockTicks returns the kernel's clock ticks per second (sysconf(_SC_CLK_TCK))
// via `getconf CLK_TCK` and whether that answer came from getconf (false
// means DefaultClockTicks was assumed).
func ClockTicks() (int64, bool) {
	out, err := exec.Command("getconf", "CLK_TCK").Output()
	if err != nil {
		return DefaultClockTicks, false
	}
	hz, err := strconv.ParseInt(strings.TrimSpace(string(out)), 10, 64)
	if err != nil || hz <= 0 {
		return DefaultClockTicks, false
	}
	return hz, true
}

// TicksToDuration converts clock ticks at hz ticks per second into time.
func TicksToDuration(ticks uint64, hz int64) time.Duration {
	return time.Duration(ticks) * time.Second / time.Duration(hz)
}
