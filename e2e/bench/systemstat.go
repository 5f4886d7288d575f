package bench

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"strconv"
	"strings"
)

// ParseSystemBusy returns the busy clock ticks of all CPUs together from the
// contents of /proc/stat: the "cpu" line's user, nice, system, irq, softirq
// and steal (idle and iowait are not busy; guest time is already in user).
// Comparing it with the CPU of the processes a case measured shows how much
// other work shared the machine during the case.
func ParseSystemBusy(stat []byte) (uint64, error) {
	sc := bufio.NewScanner(bytes.NewReader(stat))
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) == 0 || fields[0] != "cpu" {
			continue
		}
		// cpu user nice system idle iowait irq softirq steal …
		if len(fields) < 9 {
			return 0, fmt.Errorf("/proc/stat: cpu line has %d fields, want at least 9", len(fields))
		}
		var busy uint64
		for _, i := range []int{1, 2, 3, 6, 7, 8} {
			v, err := strconv.ParseUint(fields[i], 10, 64)
			if err != nil {
				return 0, fmt.Errorf("/proc/stat: cpu field %d: %w", i, err)
			}
			busy += v
		}
		return busy, nil
	}
	return 0, fmt.Errorf("/proc/stat: no aggregate cpu line")
}

// ReadSystemBusy reads ParseSystemBusy of /proc/stat.
func ReadSystemBusy() (uint64, error) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, err
	}
	return ParseSystemBusy(b)
}
