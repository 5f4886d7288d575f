package e2e

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tollgate/tollgate/e2e/harness"
)

// The coding agents are the real npm clients, pinned in e2e/node.
var (
	claudePath = filepath.Join(nodeDir, "node_modules", ".bin", "claude")
	codexPath  = filepath.Join(nodeDir, "node_modules", ".bin", "codex")
)

// inNetnsEnv marks the copy of the test binary that runs inside a private
// network namespace.
const inNetnsEnv = "TOLLGATE_E2E_IN_NETNS"

// TestCodingAgents runs Claude Code and Codex CLI, unchanged, through a
// whole tool-using turn against each topology and each upstream dialect,
// and switches an endpoint's provider under a running Claude Code.
//
// The clients try outside hosts (telemetry, update checks), so when it can
// (as root, with unshare and ip) the test re-runs itself inside a private
// network namespace that has only loopback; otherwise the clients run here
// with their non-essential traffic turned off.
func TestCodingAgents(t *testing.T) {
	if !installed(claudePath) && !installed(codexPath) {
		t.Skip("npm packages @anthropic-ai/claude-code and @openai/codex not installed: run make e2e-deps (npm ci in e2e/node)")
	}
	if os.Getenv(inNetnsEnv) == "" {
		if cmd := netnsCommand(); cmd != nil {
			runInNetns(t, cmd)
			return
		}
		t.Log("no private network namespace (needs root, unshare and ip): the clients run in this one, kept off the network by CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC and analytics.enabled=false")
	}
	for _, topo := range harness.Topologies {
		t.Run(string(topo), func(t *testing.T) {
			s := startDialectSuite(t, topo)
			t.Run("ClaudeCodeToAnthropic", func(t *testing.T) { s.testClaudeCode(t, harness.EndpointViaAnthropic, "/v1/messages", false) })
			t.Run("ClaudeCodeToChat", func(t *testing.T) { s.testClaudeCode(t, harness.EndpointViaChat, "/v1/chat/completions", false) })
			t.Run("ClaudeCodeBearerToResponses", func(t *testing.T) { s.testClaudeCode(t, harness.EndpointViaResponses, "/v1/responses", true) })
			t.Run("CodexToResponses", func(t *testing.T) { s.testCodex(t, harness.EndpointViaResponses, "/v1/responses") })
			t.Run("CodexToAnthropic", func(t *testing.T) { s.testCodex(t, harness.EndpointViaAnthropic, "/v1/messages") })
			t.Run("CodexToChat", func(t *testing.T) { s.testCodex(t, harness.EndpointViaChat, "/v1/chat/completions") })
			t.Run("ProviderSwitchUnderClaudeCode", s.testProviderSwitch)
		})
	}
}

func installed(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// netnsCommand is this test re-run inside `unshare -n` with loopback up, or
// nil when that is not possible here.
func netnsCommand() *exec.Cmd {
	if os.Geteuid() != 0 {
		return nil
	}
	unshare, err := exec.LookPath("unshare")
	if err != nil {
		return nil
	}
	ip, err := exec.LookPath("ip")
	if err != nil {
		return nil
	}
	if exec.Command(unshare, "-n", ip, "link", "set", "lo", "up").Run() != nil {
		return nil // namespaces are not permitted in this sandbox
	}
	cmd := exec.Command(unshare, "-n", "--", "sh", "-c", `"$0" link set lo up && exec "$@"`, ip,
		os.Args[0], "-test.run=^TestCodingAgents$", "-test.v", "-test.count=1", "-test.timeout=10m")
	cmd.Env = append(os.Environ(), inNetnsEnv+"=1", harness.BinEnv+"="+binDir)
	return cmd
}

func runInNetns(t *testing.T, cmd *exec.Cmd) {
	t.Helper()
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	// Indent the inner run's report so it reads as this test's log.
	report := "    " + strings.ReplaceAll(strings.TrimRight(out.String(), "\n"), "\n", "\n    ")
	if err != nil {
		t.Fatalf("inside a private network namespace: %v\n%s", err, report)
	}
	if strings.Contains(out.String(), "--- SKIP") {
		t.Logf("some client tests skipped inside the namespace")
	}
	t.Logf("ran inside a private network namespace (loopback only):\n%s", report)
}

// agentWorkspace makes a working folder holding a file with a unique
// marker, and returns the folder, the file's path and the marker.
func agentWorkspace(t *testing.T) (dir, file, marker string) {
	t.Helper()
	dir = t.TempDir()
	marker = fmt.Sprintf("tollgate-marker-%d", time.Now().UnixNano())
	file = filepath.Join(dir, "hello.txt")
	if err := os.WriteFile(file, []byte(marker+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir, file, marker
}

// runAgent runs a client with a private HOME, no stdin and a deadline, and
// returns its stdout; it fails the test when the client fails.
func runAgent(t *testing.T, dir string, env []string, path string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	abs, err := filepath.Abs(path)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.CommandContext(ctx, abs, args...)
	cmd.Dir = dir
	cmd.Env = append(cleanEnv(), env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s %s: %v\nstdout:\n%s\nstderr:\n%s", filepath.Base(path), strings.Join(args, " "), err, stdout.String(), stderr.String())
	}
	return stdout.String()
}

// cleanEnv is the environment without credentials or endpoints of real
// providers, which must never be used here.
func cleanEnv() []string {
	var out []string
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(name, "ANTHROPIC_") || strings.HasPrefix(name, "OPENAI_") || strings.HasPrefix(name, "CLAUDE_") ||
			strings.HasPrefix(name, "CODEX_") || name == "HOME" {
			continue
		}
		out = append(out, kv)
	}
	return out
}

// runClaude runs `claude -p` on model (a Tollgate endpoint), the key sent
// as x-api-key or, with bearer, as Authorization: Bearer.
func (s *suite) runClaude(t *testing.T, dir, model, prompt string, bearer bool) string {
	t.Helper()
	key := "ANTHROPIC_API_KEY=" + harness.AliceToken
	if bearer {
		key = "ANTHROPIC_AUTH_TOKEN=" + harness.AliceToken
	}
	return runAgent(t, dir, []string{
		"HOME=" + t.TempDir(),
		"ANTHROPIC_BASE_URL=" + s.baseURL() + "/anthropic",
		key,
		"CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1",
		"DISABLE_AUTOUPDATER=1",
		"NO_COLOR=1",
	}, claudePath, "-p", "--model", model, prompt)
}

// requireToolTurn checks the upstream saw the whole turn on path: a request
// that got the tool call, then one carrying its result; and that the
// client printed the upstream's final answer quoting the file.
func (s *suite) requireToolTurn(t *testing.T, out, marker, path string) {
	t.Helper()
	if !strings.Contains(out, harness.ReadResultPrefix) || !strings.Contains(out, marker) {
		t.Fatalf("the client printed %q; want the final answer quoting %q", out, marker)
	}
	reqs := s.upstreamRequests(t)
	var paths []string
	results := 0
	for _, r := range reqs {
		paths = append(paths, r.Path)
		if r.Path != path {
			t.Fatalf("upstream requests went to %v, want only %s", paths, path)
		}
		if strings.Contains(r.Body, marker) {
			results++
		}
	}
	if len(reqs) < 2 || results == 0 {
		t.Fatalf("upstream saw %d requests (%d with the tool result); want the call and the result", len(reqs), results)
	}
}

func (s *suite) testClaudeCode(t *testing.T, model, upstreamPath string, bearer bool) {
	if !installed(claudePath) {
		t.Skip("npm package @anthropic-ai/claude-code not installed: run make e2e-deps")
	}
	s.upstreamRequests(t)
	dir, file, marker := agentWorkspace(t)
	out := s.runClaude(t, dir, model, "Please read the file "+file+" and tell me what it says.", bearer)
	s.requireToolTurn(t, out, marker, upstreamPath)
}

func (s *suite) testCodex(t *testing.T, model, upstreamPath string) {
	if !installed(codexPath) {
		t.Skip("npm package @openai/codex not installed: run make e2e-deps")
	}
	s.upstreamRequests(t)
	dir, file, marker := agentWorkspace(t)
	home := t.TempDir()
	config := fmt.Sprintf(`model = %q
model_provider = "tollgate"

[model_providers.tollgate]
name = "Tollgate"
base_url = %q
env_key = "TOLLGATE_E2E_TOKEN"
wire_api = "responses"
`, model, s.baseURL()+"/codex/v1")
	if err := os.MkdirAll(filepath.Join(home, ".codex"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(home, ".codex", "config.toml"), []byte(config), 0o600); err != nil {
		t.Fatal(err)
	}
	out := runAgent(t, dir, []string{"HOME=" + home, "TOLLGATE_E2E_TOKEN=" + harness.AliceToken, "NO_COLOR=1"},
		codexPath, "exec", "--skip-git-repo-check", "-c", "analytics.enabled=false",
		"Please read the file "+file+" and tell me what it says.")
	s.requireToolTurn(t, out, marker, upstreamPath)
}

// testProviderSwitch rewrites the config under a running gateway so that
// the endpoint Claude Code uses moves from an Anthropic upstream to a
// second, OpenAI-compatible upstream, while Claude Code keeps being run:
// every run succeeds, and once the change applied the next runs reach the
// new upstream, with no process restarted.
func (s *suite) testProviderSwitch(t *testing.T) {
	if !installed(claudePath) {
		t.Skip("npm package @anthropic-ai/claude-code not installed: run make e2e-deps")
	}
	second, err := harness.StartFakeUpstream(binDir, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = second.Stop(harness.DefaultGrace) })
	pids := map[string]int{}
	for _, p := range s.stack.Gateway.Procs {
		pids[p.Name] = p.Pid()
	}
	first := s.stack.Upstream.BaseURL()
	run := func() {
		t.Helper()
		dir, file, marker := agentWorkspace(t)
		out := s.runClaude(t, dir, harness.EndpointSwitchable, "Please read the file "+file+" and tell me what it says.", false)
		if !strings.Contains(out, marker) {
			t.Fatalf("claude printed %q, want the file's marker %q", out, marker)
		}
	}
	newUpstreamPaths := func() []string {
		ctx := testCtx(t)
		reqs, err := second.Requests(ctx)
		if err != nil {
			t.Fatal(err)
		}
		_ = second.ResetRequests(ctx)
		var paths []string
		for _, r := range reqs {
			paths = append(paths, r.Path)
		}
		return paths
	}

	s.upstreamRequests(t)
	run()
	if reqs := s.upstreamRequests(t); len(reqs) < 2 || reqs[0].Path != "/v1/messages" {
		t.Fatalf("before the switch: upstream requests %+v, want Anthropic Messages", reqs)
	}

	if err := harness.WriteConfig(s.stack.ConfigPath, harness.DialectsConfig(harness.DialectsOptions{UpstreamURL: first, SwitchableChatURL: second.BaseURL()})); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = harness.WriteConfig(s.stack.ConfigPath, harness.DialectsConfig(harness.DialectsOptions{UpstreamURL: first}))
	})
	// Runs during the reload may reach either upstream, but must succeed.
	deadline := time.Now().Add(reloadWait)
	for {
		run()
		if paths := newUpstreamPaths(); len(paths) > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("waited %s for Claude Code's requests to reach the new upstream", reloadWait)
		}
		time.Sleep(200 * time.Millisecond)
	}
	s.upstreamRequests(t)
	run()
	if paths := newUpstreamPaths(); len(paths) < 2 || paths[0] != "/v1/chat/completions" {
		t.Fatalf("after the switch: the new upstream saw %v, want the whole turn on /v1/chat/completions", paths)
	}
	if reqs := s.upstreamRequests(t); len(reqs) != 0 {
		t.Fatalf("after the switch the old upstream still got %d requests", len(reqs))
	}
	for _, p := range s.stack.Gateway.Procs {
		if p.Pid() != pids[p.Name] || p.Exited() {
			t.Fatalf("%s restarted or exited during the switch", p.Name)
		}
	}
}
