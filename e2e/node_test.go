package e2e

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/tollgate/tollgate/e2e/harness"
)

// nodeDir holds the npm project with the pinned openai SDK.
const nodeDir = "node"

// testNodeSDK runs node/openai-sdk.test.mjs (node's built-in test runner)
// with the official openai npm SDK against this topology.
func (s *suite) testNodeSDK(t *testing.T) {
	if _, err := os.Stat(filepath.Join(nodeDir, "node_modules", "openai", "package.json")); err != nil {
		t.Skip("npm package openai not installed: run make e2e-deps (npm ci in e2e/node)")
	}
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node not found on PATH: the Node SDK tests need Node.js 20+")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, "--test", "--test-reporter=spec", "openai-sdk.test.mjs")
	cmd.Dir = nodeDir
	cmd.Env = append(os.Environ(),
		"TOLLGATE_BASE_URL="+s.baseURL()+"/v1",
		"TOLLGATE_TOKEN="+harness.AliceToken,
		"TOLLGATE_CHAT_MODEL="+harness.EndpointChat,
		"TOLLGATE_EMBEDDINGS_MODEL="+harness.EndpointEmbeddings,
		"TOLLGATE_PRIVATE_MODEL="+harness.EndpointPrivate,
		"NO_COLOR=1",
	)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("node --test openai-sdk.test.mjs against %s failed: %v\n%s", s.topo, err, out)
	}
	t.Logf("node --test output:\n%s", out)
}
