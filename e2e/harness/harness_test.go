package harness

import (
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestFreeAddrsAreDistinctLoopback(t *testing.T) {
	addrs, err := FreeAddrs(8)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, a := range addrs {
		if !strings.HasPrefix(a, "127.0.0.1:") {
			t.Errorf("%q is not a loopback address", a)
		}
		if seen[a] {
			t.Errorf("%q handed out twice", a)
		}
		seen[a] = true
	}
}

func TestStopReportsGracefulAndUngracefulExits(t *testing.T) {
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Skip("no sh")
	}
	dir := t.TempDir()
	// Exits 0 on SIGTERM: graceful.
	graceful, err := StartProcess(ProcessSpec{Name: "graceful", Path: sh, LogPath: filepath.Join(dir, "g.log"),
		Args: []string{"-c", `trap 'echo bye; exit 0' TERM; echo ready; while :; do sleep 0.05; done`}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := graceful.WaitForLog("ready", 5*time.Second); err != nil {
		t.Fatal(err)
	}
	if err := graceful.Stop(5 * time.Second); err != nil {
		t.Errorf("graceful process: Stop = %v, want nil", err)
	}
	if !strings.Contains(graceful.Log(), "bye") {
		t.Errorf("log lacks the shutdown line: %q", graceful.Log())
	}
	// Exits 3 on SIGTERM: reported.
	failing, err := StartProcess(ProcessSpec{Name: "failing", Path: sh, LogPath: filepath.Join(dir, "f.log"),
		Args: []string{"-c", `trap 'exit 3' TERM; echo ready; while :; do sleep 0.05; done`}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := failing.WaitForLog("ready", 5*time.Second); err != nil {
		t.Fatal(err)
	}
	if err := failing.Stop(5 * time.Second); err == nil {
		t.Error("process exiting 3: Stop = nil, want an error")
	}
	// Ignores SIGTERM: killed after the grace and reported.
	stubborn, err := StartProcess(ProcessSpec{Name: "stubborn", Path: sh, LogPath: filepath.Join(dir, "s.log"),
		Args: []string{"-c", `trap '' TERM; echo ready; while :; do sleep 0.05; done`}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := stubborn.WaitForLog("ready", 5*time.Second); err != nil {
		t.Fatal(err)
	}
	if err := stubborn.Stop(300 * time.Millisecond); err == nil || !strings.Contains(err.Error(), "killed") {
		t.Errorf("process ignoring SIGTERM: Stop = %v, want a 'killed' error", err)
	}
}

func TestWaitForLogFailsWhenTheProcessExits(t *testing.T) {
	p, err := StartProcess(ProcessSpec{Name: "quick", Path: "/bin/sh", LogPath: filepath.Join(t.TempDir(), "q.log"),
		Args: []string{"-c", "echo something else; exit 1"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.WaitForLog("listening on", 5*time.Second); err == nil {
		t.Error("WaitForLog = nil for a process that exited without the line")
	}
}

func TestTestConfigStoresTokenHashesOnly(t *testing.T) {
	cfg := TestConfig(ConfigOptions{UpstreamURL: "http://127.0.0.1:1/v1", ExtraFakeEndpoints: []string{"extra-one"}})
	for _, tok := range []string{AliceToken, BobToken, UpstreamKey} {
		if strings.Contains(cfg, tok) {
			t.Errorf("config contains the secret %q itself", tok)
		}
	}
	for _, want := range []string{HashToken(AliceToken), HashToken(BobToken), "env: " + UpstreamKeyEnv,
		"name: " + EndpointPrivate, "name: extra-one", `base_url: "http://127.0.0.1:1/v1"`, "calls_per_minute: 2", "timeout: 1s"} {
		if !strings.Contains(cfg, want) {
			t.Errorf("config lacks %q:\n%s", want, cfg)
		}
	}
	// sha256("tollgate-dev-token") from the kit's default config.
	if got := HashToken("tollgate-dev-token"); got != "09e6bb2ccd5295c579925d16a535012a9cb4c0190d205bc33667cc2dc8898a9c" {
		t.Errorf("HashToken = %s", got)
	}
}
