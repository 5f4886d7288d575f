package harness

import (
	"fmt"
	"net"
	"time"
)

// Restart starts the named gateway process again with the same command
// line and environment, appending to the same log, once the old process has
// ended (call Kill or Stop on it first), and waits until its gRPC port
// accepts connections. The new process takes the old one's place in Procs.
// Fault tests use it to bring a crashed service back on the same addresses
// and data.
func (g *Gateway) Restart(name string, timeout time.Duration) (*Process, error) {
	i := -1
	for j, p := range g.Procs {
		if p.Name == name {
			i = j
		}
	}
	if i < 0 {
		return nil, fmt.Errorf("restart: no process %q", name)
	}
	old := g.Procs[i]
	if !old.Exited() {
		return nil, fmt.Errorf("restart: %s (pid %d) is still running", name, old.Pid())
	}
	p, err := StartProcess(ProcessSpec{
		Name: old.Name, Path: old.cmd.Path, Args: old.cmd.Args[1:],
		// The old environment in full: exec keeps the last of repeated
		// variables, so it wins over the parent's.
		Env: old.cmd.Env, LogPath: old.LogPath,
	})
	if err != nil {
		return nil, err
	}
	g.Procs[i] = p
	if addr := g.GRPCAddrs[name]; addr != "" {
		if err := waitListening(p, addr, timeout); err != nil {
			return nil, err
		}
	}
	return p, nil
}

// waitListening waits until addr accepts a TCP connection, failing if p
// exits or timeout passes first.
func waitListening(p *Process, addr string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		conn, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			_ = conn.Close()
			return nil
		}
		if p.Exited() {
			return fmt.Errorf("%s exited after a restart (%v); log tail:\n%s", p.Name, p.ExitErr(), p.LogTail(30))
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s not listening on %s within %s of a restart: %v; log tail:\n%s", p.Name, addr, timeout, err, p.LogTail(30))
		}
		time.Sleep(20 * time.Millisecond)
	}
}
