package main

import (
	"fmt"

	"github.com/tollgate/tollgate/e2e/harness"
)

// The gateway side of the benchmark: one chat endpoint per upstream dialect
// on the same fake upstream, one user and its token.
const (
	benchEndpoint          = "bench"           // OpenAI-compatible upstream
	benchAnthropicEndpoint = "bench-anthropic" // Anthropic Messages upstream
	// benchUntrackedEndpoint is benchEndpoint with usage tracking off: the
	// router emits no usage event, so it measures what telemetry costs.
	benchUntrackedEndpoint = "bench-untracked"
	benchToken             = "tg-bench-5e1f0a7c"
	// benchCallsPerMinute is a per-user rate limit far above anything two
	// cores can send, so every request takes the quota path (as production
	// traffic on a governed endpoint does) without ever being limited.
	benchCallsPerMinute = 1_000_000_000
)

// benchConfig renders the gateway config for a fake upstream whose OpenAI
// base URL (…/v1) is openAIURL and Anthropic base URL (its root, to which
// the adapter appends /v1/messages) is anthropicURL.
func benchConfig(openAIURL, anthropicURL string) string {
	endpoint := func(name, entity, provider, model, baseURL string) string {
		tracking := ""
		if name == benchUntrackedEndpoint {
			tracking = "    usage_tracking: false\n"
		}
		return fmt.Sprintf(`  - name: %s
    task: chat
%s    served_entities:
      - name: %s
        provider: %s
        model: %s
        base_url: %q
        api_key: {env: %s}
    rate_limits:
      - {scope: user, calls_per_minute: %d}
    permissions:
      - {group: users, level: CAN_QUERY}
`, name, tracking, entity, provider, model, baseURL, harness.UpstreamKeyEnv, benchCallsPerMinute)
	}
	return "endpoints:\n" +
		endpoint(benchEndpoint, "bench-upstream", "openai_compatible", harness.UpstreamModel, openAIURL) +
		endpoint(benchAnthropicEndpoint, "bench-anthropic-upstream", "anthropic", harness.AnthropicUpstreamModel, anthropicURL) +
		endpoint(benchUntrackedEndpoint, "bench-upstream", "openai_compatible", harness.UpstreamModel, openAIURL) +
		fmt.Sprintf(`principals:
  - {name: bencher, type: user, groups: [bench]}
groups:
  - name: bench
tokens:
  - {name: bench-token, principal: bencher, sha256: %s}
`, harness.HashToken(benchToken))
}
