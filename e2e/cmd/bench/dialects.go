package main

import (
	"github.com/tollgate/tollgate/e2e/bench"
	"github.com/tollgate/tollgate/e2e/harness"
)

// dialectCase is a client dialect sent to an upstream of some dialect: the
// same dialect is a passthrough, different ones a translation.
type dialectCase struct {
	name     string
	client   bench.Dialect
	upstream bench.Dialect
	endpoint string // overrides the endpoint of the upstream's dialect
}

// Dialect case names (the -dialects values, and the report's dialect
// column; a direct row's dialect is its client's, which is its upstream's).
const (
	dialectOpenAI            = "openai"
	dialectAnthropic         = "anthropic"
	dialectAnthropicToOpenAI = "anthropic-to-openai"
	dialectOpenAIToAnthropic = "openai-to-anthropic"
	// dialectOpenAIUntracked is the openai path with usage tracking off.
	dialectOpenAIUntracked = "openai-no-usage-tracking"
)

// allDialects in the order they run and are reported.
var allDialects = []dialectCase{
	{dialectOpenAI, bench.DialectOpenAI, bench.DialectOpenAI, ""},
	{dialectAnthropic, bench.DialectAnthropic, bench.DialectAnthropic, ""},
	{dialectAnthropicToOpenAI, bench.DialectAnthropic, bench.DialectOpenAI, ""},
	{dialectOpenAIToAnthropic, bench.DialectOpenAI, bench.DialectAnthropic, ""},
	{dialectOpenAIUntracked, bench.DialectOpenAI, bench.DialectOpenAI, benchUntrackedEndpoint},
}

func dialectNames() []string {
	out := make([]string, len(allDialects))
	for i, d := range allDialects {
		out[i] = d.name
	}
	return out
}

func dialectByName(name string) (dialectCase, bool) {
	for _, d := range allDialects {
		if d.name == name {
			return d, true
		}
	}
	return dialectCase{}, false
}

// directCase is the direct baseline of upstream dialect d: its client
// speaks d straight to the fake upstream.
func directCase(d bench.Dialect) dialectCase {
	return dialectCase{name: string(d), client: d, upstream: d}
}

// directTarget is the fake upstream's own API of dialect d.
func directTarget(up *harness.FakeUpstream, d bench.Dialect) bench.Target {
	if d == bench.DialectAnthropic {
		return bench.Target{URL: up.URL + "/v1/messages", Dialect: d, Token: harness.UpstreamKey}
	}
	return bench.Target{URL: up.BaseURL() + "/chat/completions", Dialect: d, Token: harness.UpstreamKey}
}

// directModel is the upstream model a direct client of dialect d names.
func directModel(d bench.Dialect) string {
	if d == bench.DialectAnthropic {
		return harness.AnthropicUpstreamModel
	}
	return harness.UpstreamModel
}

// gatewayTarget is the gateway's door for dc's client, at gateway root base.
func gatewayTarget(base string, dc dialectCase) bench.Target {
	url := base + "/v1/chat/completions"
	if dc.client == bench.DialectAnthropic {
		url = base + "/anthropic/v1/messages"
	}
	return bench.Target{URL: url, Dialect: dc.client, Token: benchToken}
}

// gatewayModel is the endpoint served by an upstream of dc's dialect.
func gatewayModel(dc dialectCase) string {
	if dc.endpoint != "" {
		return dc.endpoint
	}
	if dc.upstream == bench.DialectAnthropic {
		return benchAnthropicEndpoint
	}
	return benchEndpoint
}
