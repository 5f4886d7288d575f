package anthropic

import (
	"github.com/tollgate/tollgate/services/kit/wire/internal/jsonx"

	"encoding/json"
	"strings"

	inferencev1 "github.com/tollgate/tollgate/gen/go/tollgate/inference/v1"
	"github.com/tollgate/tollgate/services/kit/errs"
)

var defaultInputSchema = json.RawMessage(`{"type":"object","properties":{}}`)

// buildTool writes one tool definition. Function tools become client
// tools; Anthropic's own versioned tools pass as the client wrote them;
// OpenAI's hosted web search becomes Anthropic's web search server tool;
// other provider-native tools are refused (the caller names the field).
func buildTool(t *inferencev1.Tool) (json.RawMessage, *errs.Error) {
	typ := t.GetType()
	switch {
	case typ == "" || typ == "function" || typ == "custom" && t.GetRawJson() == "":
		ft := FunctionTool{Name: t.GetName(), Description: t.GetDescription(), InputSchema: defaultInputSchema}
		if p := t.GetParametersJson(); p != "" {
			if !isJSONObject(p) {
				return nil, errs.Invalid("", "the parameters of tool %q are not a JSON schema object", t.GetName())
			}
			ft.InputSchema = json.RawMessage(p)
		}
		raw, err := json.Marshal(&ft)
		if err != nil {
			return nil, errs.Invalid("", "tool %q: %v", t.GetName(), err)
		}
		return raw, nil
	case isAnthropicToolType(typ):
		if !isJSONObject(t.GetRawJson()) {
			return nil, errs.Invalid("", "tool type %q has no definition to forward", typ)
		}
		return json.RawMessage(t.GetRawJson()), nil
	case isWebSearchType(typ):
		return buildWebSearch(t.GetRawJson()), nil
	}
	return nil, errs.Invalid("", "tool type %q cannot be sent to an Anthropic model", typ)
}

// isAnthropicToolType reports Anthropic's versioned tool types, which end
// in an 8-digit date (web_search_20250305, bash_20250124,
// text_editor_20250728…), and the MCP toolset.
func isAnthropicToolType(typ string) bool {
	if strings.HasPrefix(typ, "mcp_toolset") {
		return true
	}
	n := len(typ)
	if n < 10 || typ[n-9] != '_' {
		return false
	}
	for i := n - 8; i < n; i++ {
		if !jsonx.IsDigit(typ[i]) {
			return false
		}
	}
	return true
}

// isWebSearchType reports OpenAI's hosted web search tools
// (web_search, web_search_preview and their dated variants) and Gemini's
// google_search.
func isWebSearchType(typ string) bool {
	return typ == "web_search" || strings.HasPrefix(typ, "web_search_preview") ||
		strings.HasPrefix(typ, "web_search_2") || typ == "google_search"
}

// openAIWebSearch is the part of OpenAI's web search tool Anthropic's can
// express; search_context_size has no counterpart and is left to the model.
type openAIWebSearch struct {
	Filters *struct {
		AllowedDomains []string `json:"allowed_domains"`
	} `json:"filters"`
	UserLocation *struct {
		City     string `json:"city,omitempty"`
		Region   string `json:"region,omitempty"`
		Country  string `json:"country,omitempty"`
		Timezone string `json:"timezone,omitempty"`
	} `json:"user_location"`
}

func buildWebSearch(raw string) json.RawMessage {
	var in openAIWebSearch
	_ = json.Unmarshal([]byte(raw), &in) // options are best effort: the tool itself is what was asked for
	b := []byte(`{"type":"web_search_20250305","name":"web_search"`)
	if in.Filters != nil && len(in.Filters.AllowedDomains) > 0 {
		domains, _ := json.Marshal(in.Filters.AllowedDomains)
		b = append(b, `,"allowed_domains":`...)
		b = append(b, domains...)
	}
	if loc := in.UserLocation; loc != nil && (loc.City != "" || loc.Region != "" || loc.Country != "" || loc.Timezone != "") {
		b = append(b, `,"user_location":{"type":"approximate"`...)
		for _, kv := range [][2]string{{"city", loc.City}, {"region", loc.Region}, {"country", loc.Country}, {"timezone", loc.Timezone}} {
			if kv[1] != "" {
				b = append(b, ',')
				b = jsonx.AppendKey(b, kv[0])
				b = jsonx.AppendString(b, kv[1])
			}
		}
		b = append(b, '}')
	}
	return append(b, '}')
}

// buildToolChoice writes tool_choice; nil leaves Anthropic's default (auto
// with parallel calls allowed).
func buildToolChoice(tc *inferencev1.ToolChoice, parallel *bool) *ToolChoice {
	disable := parallel != nil && !*parallel
	var out ToolChoice
	switch tc.GetMode() {
	case inferencev1.ToolChoiceMode_TOOL_CHOICE_MODE_AUTO:
		out.Type = "auto"
	case inferencev1.ToolChoiceMode_TOOL_CHOICE_MODE_NONE:
		return &ToolChoice{Type: "none"}
	case inferencev1.ToolChoiceMode_TOOL_CHOICE_MODE_REQUIRED:
		out.Type = "any"
	case inferencev1.ToolChoiceMode_TOOL_CHOICE_MODE_FUNCTION:
		out.Type, out.Name = "tool", tc.GetFunctionName()
	default:
		if !disable {
			return nil
		}
		out.Type = "auto"
	}
	out.DisableParallelToolUse = disable
	return &out
}
