package clickhouse

import (
	"os/exec"
	"syscall"
)

// setDeathSignal kills the child if the test process dies first, so a
// crashed or interrupted test run leaves no server behind.
func setDeathSignal(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
