package harness

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"
)

// DefaultGrace is how long Stop waits for a process to exit after SIGTERM.
// Graceful shutdown is a feature: an idle service must exit well within it.
const DefaultGrace = 10 * time.Second

// ProcessSpec describes a process to start.
type ProcessSpec struct {
	Name    string   // short name for messages, e.g. "router"
	Path    string   // executable
	Args    []string // arguments
	Env     []string // added to the parent's environment (minus TOLLGATE_* variables)
	LogPath string   // stdout and stderr go here
}

// Process is a started child process whose output goes to a log file.
type Process struct {
	Name    string
	LogPath string

	cmd     *exec.Cmd
	logFile *os.File
	done    chan struct{}
	waitErr error
}

// StartProcess starts spec. The child inherits the environment except
// TOLLGATE_* variables (flags configure it, so a stray variable cannot), and
// is killed if the starting process dies.
func StartProcess(spec ProcessSpec) (*Process, error) {
	logFile, err := os.OpenFile(spec.LogPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, fmt.Errorf("%s: open log: %w", spec.Name, err)
	}
	cmd := exec.Command(spec.Path, spec.Args...)
	cmd.Env = append(childEnv(), spec.Env...)
	cmd.Stdout = logFile
	cmd.Stderr = logFile
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		_ = logFile.Close()
		return nil, fmt.Errorf("%s: start %s: %w", spec.Name, spec.Path, err)
	}
	p := &Process{Name: spec.Name, LogPath: spec.LogPath, cmd: cmd, logFile: logFile, done: make(chan struct{})}
	go func() {
		p.waitErr = cmd.Wait()
		_ = logFile.Close()
		close(p.done)
	}()
	return p, nil
}

func childEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "TOLLGATE_") {
			env = append(env, kv)
		}
	}
	return env
}

// Pid is the child's process id.
func (p *Process) Pid() int { return p.cmd.Process.Pid }

// Exited reports whether the process has ended.
func (p *Process) Exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// Done is closed when the process has ended.
func (p *Process) Done() <-chan struct{} { return p.done }

// ExitErr is nil for exit status 0; valid once Done is closed.
func (p *Process) ExitErr() error { <-p.done; return p.waitErr }

// Stop sends SIGTERM and waits up to grace for the process to exit. It
// returns an error if the process had to be killed or exited non-zero (an
// ungraceful shutdown is a bug). Stopping an ended process reports how it ended.
func (p *Process) Stop(grace time.Duration) error {
	if !p.Exited() {
		_ = p.cmd.Process.Signal(syscall.SIGTERM)
	}
	timer := time.NewTimer(grace)
	defer timer.Stop()
	select {
	case <-p.done:
	case <-timer.C:
		_ = p.cmd.Process.Kill()
		<-p.done
		return fmt.Errorf("%s (pid %d) did not exit within %s of SIGTERM and was killed; log tail:\n%s",
			p.Name, p.Pid(), grace, p.LogTail(20))
	}
	if p.waitErr != nil {
		return fmt.Errorf("%s (pid %d) exited uncleanly after SIGTERM: %v; log tail:\n%s", p.Name, p.Pid(), p.waitErr, p.LogTail(20))
	}
	return nil
}

// Kill ends the process at once and waits for it.
func (p *Process) Kill() {
	if !p.Exited() {
		_ = p.cmd.Process.Kill()
	}
	<-p.done
}

// Log returns the whole log so far.
func (p *Process) Log() string {
	b, _ := os.ReadFile(p.LogPath)
	return string(b)
}

// LogTail returns the last n lines of the log.
func (p *Process) LogTail(n int) string {
	lines := strings.Split(strings.TrimRight(p.Log(), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// errExited is returned by waits when the process ended first.
var errExited = errors.New("process exited")

// WaitForLog waits until the log contains substr and returns the rest of the
// line after it, failing if the process exits or timeout passes first.
func (p *Process) WaitForLog(substr string, timeout time.Duration) (string, error) {
	deadline := time.Now().Add(timeout)
	for {
		log := p.Log()
		if i := strings.Index(log, substr); i >= 0 {
			rest := log[i+len(substr):]
			if j := strings.IndexByte(rest, '\n'); j >= 0 {
				return strings.TrimSpace(rest[:j]), nil
			}
		}
		if p.Exited() {
			return "", fmt.Errorf("%s: %w (%v) before logging %q; log tail:\n%s", p.Name, errExited, p.waitErr, substr, p.LogTail(20))
		}
		if time.Now().After(deadline) {
			return "", fmt.Errorf("%s: no %q in the log within %s; log tail:\n%s", p.Name, substr, timeout, p.LogTail(20))
		}
		time.Sleep(20 * time.Millisecond)
	}
}
