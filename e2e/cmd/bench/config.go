package main

import (
	"fmt"

	"github.com/tollgate/tollgate/e2e/harness"
)

// The gateway side of the benchmark: one chat endpoint on the fake upstream,
// one user and its token.
const (
	benchEndpoint = "bench"
	benchToken    = "tg-bench-5e1f0a7c"
	// benchCallsPerMinute is a per-user rate limit far above anything two
	// cores can send, so every request takes the quota path (as production
	// traffic on a governed endpoint does) without ever being limited.
	benchCallsPerMinute = 1_000_000_000
)

// benchConfig renders the gateway config for a fake upstream at upstreamURL
// (its OpenAI base URL, …/v1).
func benchConfig(upstreamURL string) string {
	return fmt.Sprintf(`endpoints:
  - name: %s
    task: chat
    served_entities:
      - name: bench-upstream
        provider: openai_compatible
        model: %s
        base_url: %q
        api_key: {env: %s}
    rate_limits:
      - {scope: user, calls_per_minute: %d}
    permissions:
      - {group: users, level: CAN_QUERY}
principals:
  - {name: bencher, type: user, groups: [bench]}
groups:
  - name: bench
tokens:
  - {name: bench-token, principal: bencher, sha256: %s}
`, benchEndpoint, harness.UpstreamModel, upstreamURL, harness.UpstreamKeyEnv, benchCallsPerMinute, harness.HashToken(benchToken))
}
