package harness

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// StackOptions configure StartStack.
type StackOptions struct {
	Bin      string   // directory holding the binaries (see BinDir)
	Dir      string   // logs, config and data go here; the caller creates and removes it
	Topology Topology // AllInOne or SplitMesh
	// Config renders the config for the running fake upstream's OpenAI base
	// URL (…/v1); nil means TestConfig with default options.
	Config func(upstreamURL string) string
	Env    []string // extra environment for the gateway processes
	Args   []string // extra flags for the gateway processes
}

// Stack is a fake upstream plus a gateway configured to use it.
type Stack struct {
	Upstream   *FakeUpstream
	Gateway    *Gateway
	ConfigPath string
	Dir        string
}

// StartStack starts a fake upstream, writes the config to Dir/config.yaml and
// starts the gateway with UpstreamKeyEnv=UpstreamKey in its environment.
func StartStack(o StackOptions) (*Stack, error) {
	if err := os.MkdirAll(o.Dir, 0o755); err != nil {
		return nil, err
	}
	up, err := StartFakeUpstream(o.Bin, o.Dir)
	if err != nil {
		return nil, err
	}
	render := o.Config
	if render == nil {
		render = func(u string) string { return TestConfig(ConfigOptions{UpstreamURL: u}) }
	}
	cfgPath := filepath.Join(o.Dir, "config.yaml")
	if err := WriteConfig(cfgPath, render(up.BaseURL())); err != nil {
		up.Proc.Kill()
		return nil, err
	}
	gw, err := StartGateway(o.Topology, GatewayOptions{
		Bin: o.Bin, Dir: o.Dir, ConfigPath: cfgPath,
		Env:  append([]string{UpstreamKeyEnv + "=" + UpstreamKey}, o.Env...),
		Args: o.Args,
	})
	if err != nil {
		up.Proc.Kill()
		return nil, err
	}
	return &Stack{Upstream: up, Gateway: gw, ConfigPath: cfgPath, Dir: o.Dir}, nil
}

// Stop stops the gateway, then the upstream, each gracefully within
// DefaultGrace; the error names every process that did not exit 0.
func (s *Stack) Stop() error {
	return errors.Join(s.Gateway.Stop(DefaultGrace), s.Upstream.Stop(DefaultGrace))
}

// StopWithin is Stop with a chosen grace.
func (s *Stack) StopWithin(grace time.Duration) error {
	return errors.Join(s.Gateway.Stop(grace), s.Upstream.Stop(grace))
}

// LogTails returns the last n lines of every process's log.
func (s *Stack) LogTails(n int) string {
	return s.Gateway.LogTails(n) + fmt.Sprintf("----- fake-upstream (%s), last %d lines -----\n%s\n", s.Upstream.Proc.LogPath, n, s.Upstream.Proc.LogTail(n))
}
