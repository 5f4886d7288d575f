package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/tollgate/tollgate/e2e/harness"
)

// floorTopology is the report's name of the yardstick proxy's rows.
const floorTopology = "proxy-floor"

// runFloor measures the passthrough cases through floorproxy (see
// e2e/cmd/floorproxy): what one extra Go HTTP hop costs on this machine.
func (b *bencher) runFloor(ctx context.Context) (err error) {
	proxy, url, err := b.startFloorProxy()
	if err != nil {
		return err
	}
	defer func() {
		if stopErr := proxy.Stop(harness.DefaultGrace); stopErr != nil {
			fmt.Fprintln(os.Stderr, "bench: warning: floor proxy:", stopErr)
		}
	}()
	gw := &harness.Gateway{Topology: floorTopology, BaseURL: url, Procs: []*harness.Process{proxy}}
	// The proxy forwards paths as they are: clients use the upstream's own API.
	viaProxy := &harness.FakeUpstream{URL: url}
	for _, mode := range b.opts.modes {
		for _, d := range b.opts.directCases() {
			target := directTarget(viaProxy, d.upstream)
			if err := b.runCases(ctx, floorTopology, d.dialectCase, mode, d.concurrency, target, directModel(d.upstream), gw); err != nil {
				return err
			}
		}
	}
	return nil
}

// startFloorProxy builds floorproxy into the run's directory and starts it
// in front of the fake upstream.
func (b *bencher) startFloorProxy() (*harness.Process, string, error) {
	root, err := harness.RepoRoot()
	if err != nil {
		return nil, "", err
	}
	bin := filepath.Join(b.dir, "floorproxy")
	build := exec.Command("go", "build", "-o", bin, "./cmd/floorproxy")
	build.Dir = filepath.Join(root, "e2e")
	build.Env = append(os.Environ(), "GOWORK="+filepath.Join(root, "go.work"))
	if out, err := build.CombinedOutput(); err != nil {
		return nil, "", fmt.Errorf("build floorproxy: %w\n%s", err, out)
	}
	p, err := harness.StartProcess(harness.ProcessSpec{
		Name: "floorproxy", Path: bin, Args: []string{"-upstream", b.upstream.URL},
		LogPath: filepath.Join(b.dir, "floorproxy.log"),
	})
	if err != nil {
		return nil, "", err
	}
	rest, err := p.WaitForLog("listening on ", 15*time.Second)
	if err != nil {
		p.Kill()
		return nil, "", err
	}
	return p, strings.TrimSpace(strings.Fields(rest)[0]), nil
}
