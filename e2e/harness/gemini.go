package harness

import (
	"fmt"
	"strings"
)

// Endpoints GeminiConfig adds to TestConfig.
//
// Gemini clients name the model in the URL, and Gemini CLI (without -m)
// asks for two models of its own: a routing call on GeminiCLIRoutingModel
// and the turn on GeminiCLIModel, so those names are endpoints too. The
// routing endpoint is served by the OpenAI-compatible upstream (the
// routing call asks for JSON matching a schema, which then goes through
// the translation), the turn by the Gemini upstream.
const (
	EndpointGeminiNative = "gemini-native" // Gemini API upstream (the fake at its root)
	EndpointGeminiChat   = "gemini-chat"   // OpenAI-compatible upstream with structured output
	// Embeddings endpoints, on each upstream.
	EndpointGeminiEmbed     = "gemini-embed"
	EndpointGeminiEmbedChat = "gemini-embed-chat"
	// The models Gemini CLI 0.61.0 asks for by default.
	GeminiCLIRoutingModel = "gemini-3.5-flash-lite"
	GeminiCLIModel        = "gemini-3.8-flash"
)

// Upstream model names of the Gemini endpoints.
const (
	GeminiUpstreamModel      = "gemini-fake"
	GeminiEmbedUpstreamModel = "gemini-embedding-fake"
)

// The fake upstream's Gemini tool script (fakeupstream.ReadCallMarker,
// GeminiThoughtSignature): its read_file calls have ids containing
// GeminiReadCallMarker and carry GeminiThoughtSignature, which the client
// must echo back for the result to be quoted.
const (
	GeminiReadCallMarker   = "fake_read"
	GeminiThoughtSignature = "ZmFrZS1nZW1pbmktc2lnbmF0dXJl"
)

// GeminiCLISettings is ~/.gemini/settings.json for Gemini CLI against a
// gateway: API-key auth (without selectedType the CLI exits 41), no usage
// statistics, telemetry or update checks.
const GeminiCLISettings = `{
  "security": { "auth": { "selectedType": "gemini-api-key" } },
  "privacy": { "usageStatisticsEnabled": false },
  "telemetry": { "enabled": false },
  "general": { "enableAutoUpdate": false, "enableAutoUpdateNotification": false }
}
`

// GeminiOptions shape GeminiConfig.
type GeminiOptions struct {
	// UpstreamURL is the fake upstream's OpenAI base URL (…/v1); the
	// Gemini entities use the same server's root, the OpenAI-compatible
	// ones its structured-output API.
	UpstreamURL string
}

// GeminiConfig is TestConfig plus the Gemini endpoints, all queryable by
// every user.
func GeminiConfig(o GeminiOptions) string {
	root := strings.TrimSuffix(strings.TrimRight(o.UpstreamURL, "/"), "/v1")
	structured := root + "/structured/v1"
	var b strings.Builder
	entity := func(endpoint, task, provider, model, baseURL string) {
		fmt.Fprintf(&b, `  - name: %s
    task: %s
    served_entities:
      - name: %s-up
        provider: %s
        model: %s
        base_url: %s
        api_key: {env: %s}
    permissions:
      - {group: users, level: CAN_QUERY}
`, endpoint, task, provider, provider, model, quote(baseURL), UpstreamKeyEnv)
	}
	entity(EndpointGeminiNative, "chat", "gemini", GeminiUpstreamModel, root)
	entity(EndpointGeminiChat, "chat", "openai_compatible", UpstreamModel, structured)
	entity(GeminiCLIModel, "chat", "gemini", GeminiUpstreamModel, root)
	entity(GeminiCLIRoutingModel, "chat", "openai_compatible", UpstreamModel, structured)
	entity(EndpointGeminiEmbed, "embeddings", "gemini", GeminiEmbedUpstreamModel, root)
	entity(EndpointGeminiEmbedChat, "embeddings", "openai_compatible", "text-embedding-fake", o.UpstreamURL)
	return strings.Replace(TestConfig(ConfigOptions{UpstreamURL: o.UpstreamURL}), "principals:\n", b.String()+"principals:\n", 1)
}
