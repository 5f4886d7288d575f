package harness

import (
	"fmt"
	"strings"
)

// Endpoints DialectsConfig adds to TestConfig: one per upstream API, so any
// client dialect can be pointed at any provider dialect by model name.
const (
	EndpointViaAnthropic = "via-anthropic" // Anthropic Messages upstream (the fake at its root)
	EndpointViaChat      = "via-chat"      // OpenAI-compatible Chat Completions upstream
	EndpointViaResponses = "via-responses" // OpenAI Responses upstream (provider openai, api: responses)
	// EndpointOverloaded is an Anthropic upstream that answers 529.
	EndpointOverloaded = "via-anthropic-overloaded"
	// EndpointSwitchable is served by an Anthropic upstream or, with
	// DialectsOptions.SwitchableChatURL set, an OpenAI-compatible one; its
	// served entity keeps its name across the switch.
	EndpointSwitchable = "switchable"
)

// Upstream model names of the dialect endpoints.
const (
	AnthropicUpstreamModel = "claude-fake"
	ResponsesUpstreamModel = "gpt-fake-responses"
)

// ReadResultPrefix starts the fake upstream's answer to a file-read tool
// result (fakeupstream.ReadResultPrefix): a client asked to "read the file
// PATH" gets a call to its own file-reading tool, then a final answer that
// is this prefix and the tool's output.
const ReadResultPrefix = "The tool returned: "

// DialectsOptions shape DialectsConfig.
type DialectsOptions struct {
	// UpstreamURL is the fake upstream's OpenAI base URL (…/v1); the
	// Anthropic entities use the same server (the adapter drops the /v1).
	UpstreamURL string
	// SwitchableChatURL, when set, serves EndpointSwitchable from this
	// OpenAI-compatible base URL instead of the Anthropic upstream.
	SwitchableChatURL string
}

// DialectsConfig is TestConfig plus the dialect endpoints, all queryable
// by every user.
func DialectsConfig(o DialectsOptions) string {
	var b strings.Builder
	entity := func(endpoint, name, provider, model, baseURL, extra string) {
		fmt.Fprintf(&b, `  - name: %s
    task: chat
    served_entities:
      - name: %s
        provider: %s
        model: %s
        base_url: %s
        api_key: {env: %s}
%s    permissions:
      - {group: users, level: CAN_QUERY}
`, endpoint, name, provider, model, quote(baseURL), UpstreamKeyEnv, extra)
	}
	entity(EndpointViaAnthropic, "anthropic-up", "anthropic", AnthropicUpstreamModel, o.UpstreamURL, "")
	entity(EndpointViaChat, "chat-up", "openai_compatible", UpstreamModel, o.UpstreamURL, "")
	entity(EndpointViaResponses, "responses-up", "openai", ResponsesUpstreamModel, o.UpstreamURL, "        api: responses\n")
	entity(EndpointOverloaded, "anthropic-up", "anthropic", "overloaded", o.UpstreamURL, "")
	if o.SwitchableChatURL != "" {
		entity(EndpointSwitchable, "up", "openai_compatible", UpstreamModel, o.SwitchableChatURL, "")
	} else {
		entity(EndpointSwitchable, "up", "anthropic", AnthropicUpstreamModel, o.UpstreamURL, "")
	}
	return strings.Replace(TestConfig(ConfigOptions{UpstreamURL: o.UpstreamURL}), "principals:\n", b.String()+"principals:\n", 1)
}
