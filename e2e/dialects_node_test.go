package e2e

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tollgate/tollgate/e2e/harness"
)

// runNodeTest runs one node --test file of e2e/node with env, after
// checking the npm package it drives is installed.
func (s *suite) runNodeTest(t *testing.T, pkg, file string, env ...string) {
	t.Helper()
	if _, err := os.Stat(filepath.Join(nodeDir, "node_modules", filepath.FromSlash(pkg), "package.json")); err != nil {
		t.Skipf("npm package %s not installed: run make e2e-deps (npm ci in e2e/node)", pkg)
	}
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node not found on PATH: the Node SDK tests need Node.js 20+")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, "--test", "--test-reporter=spec", file)
	cmd.Dir = nodeDir
	cmd.Env = append(append(os.Environ(), "NO_COLOR=1", "ANTHROPIC_API_KEY=", "ANTHROPIC_AUTH_TOKEN=", "OPENAI_API_KEY="), env...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("node --test %s against %s failed: %v\n%s", file, s.topo, err, out)
	}
	t.Logf("node --test %s:\n%s", file, out)
}

// testAnthropicSDK runs the official @anthropic-ai/sdk against an endpoint
// with an Anthropic upstream and one with an OpenAI-compatible upstream:
// messages create and stream (with a tool round trip), count_tokens, the
// models list and error classes, with the key as x-api-key and as Bearer.
func (s *suite) testAnthropicSDK(t *testing.T) {
	s.runNodeTest(t, "@anthropic-ai/sdk", "anthropic-sdk.test.mjs",
		"TOLLGATE_ANTHROPIC_BASE_URL="+s.baseURL()+"/anthropic",
		"TOLLGATE_TOKEN="+harness.AliceToken,
		"TOLLGATE_ANTHROPIC_MODEL="+harness.EndpointViaAnthropic,
		"TOLLGATE_TRANSLATED_MODEL="+harness.EndpointViaChat,
	)
}

// testResponsesSDK runs the openai SDK's responses.create and
// responses.stream() against Responses, Anthropic and Chat upstreams.
func (s *suite) testResponsesSDK(t *testing.T) {
	s.runNodeTest(t, "openai", "openai-responses.test.mjs",
		"TOLLGATE_BASE_URL="+s.baseURL()+"/v1",
		"TOLLGATE_TOKEN="+harness.AliceToken,
		"TOLLGATE_RESPONSES_MODELS="+strings.Join([]string{harness.EndpointViaResponses, harness.EndpointViaAnthropic, harness.EndpointViaChat}, ","),
	)
}
