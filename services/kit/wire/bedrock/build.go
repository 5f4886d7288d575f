package bedrock

import (
	"encoding/json"
	"strconv"
	"strings"

	inferencev1 "github.com/tollgate/tollgate/gen/go/tollgate/inference/v1"
	"github.com/tollgate/tollgate/services/kit/errs"
)

// DefaultMaxTokens is the room left for the answer when thinking is
// enabled and the client set no limit: a thinking budget must stay below
// maxTokens, so the limit becomes this plus the budget.
const DefaultMaxTokens = 4096

// minThinkingBudget is the smallest thinking budget Claude accepts.
const minThinkingBudget = 1024

// emptySchema is the input schema of a tool defined without one.
const emptySchema = `{"type":"object","properties":{}}`

// BuildRequest writes a canonical request as a Converse body for model (a
// model or inference profile id, which goes in the URL; it is used here to
// pick model-specific fields).
//
// System and developer messages, wherever they are, become the system
// prompt in order; tool messages and embedded tool results become
// toolResult blocks of user turns; consecutive turns of one role are
// merged (Converse wants them alternating); tool-call arguments become
// toolUse input objects; a part's cache_control becomes a cachePoint after
// it. Images and documents go inline (a data: URL or bytes) or by s3://
// URI; tool call ids are made to fit Bedrock's pattern, the same way in
// calls and results.
//
// What Converse cannot take is an *errs.Error of kind InvalidArgument
// naming the field: audio, images and documents by http(s) URL or
// provider file id, n > 1, JSON mode without a schema, provider-native
// tools, tool-call arguments that are not a JSON object, and tool calls
// without an id. The one exception is a hosted web search tool (which
// coding agents such as Codex always offer): Converse has no web search,
// so it is left out and the model answers without searching, rather than
// every such request failing.
//
// Model-specific: for Anthropic Claude models (ids containing
// "anthropic."), reasoning settings become a thinking budget and top_k an
// additional model field, and signed reasoning of earlier turns is sent
// back; for other models these are left out, as are seed, penalties,
// metadata and the end-user id, which Converse has no field for.
// tool_choice none cannot be said to Converse: the tools are left out
// when the conversation has no tool blocks, and kept otherwise (Converse
// requires them then).
func BuildRequest(r *inferencev1.ChatRequest, model string) ([]byte, error) {
	claude := isClaude(model)
	var w ConverseRequest
	var err *errs.Error // not error: a nil *errs.Error must stay a nil error
	var toolBlocks map[string]bool
	if w.System, w.Messages, toolBlocks, err = buildMessages(r.GetMessages(), claude); err != nil {
		return nil, err
	}
	if w.ToolConfig, err = buildToolConfig(r, toolBlocks); err != nil {
		return nil, err
	}
	if err := buildSampling(r.GetSampling(), &w); err != nil {
		return nil, err
	}
	if err := buildResponseFormat(r.GetResponseFormat(), &w); err != nil {
		return nil, err
	}
	if claude {
		buildClaudeFields(r, &w)
	}
	return json.Marshal(&w)
}

// isWebSearch reports the hosted web search tools of OpenAI (web_search,
// web_search_preview and their dated variants) and Google (google_search).
func isWebSearch(typ string) bool {
	return strings.HasPrefix(typ, "web_search") || typ == "google_search"
}

// isClaude reports an Anthropic model id or inference profile id
// (anthropic.claude-…, us.anthropic.claude-…).
func isClaude(model string) bool { return strings.Contains(model, "anthropic.") }

func buildToolConfig(r *inferencev1.ChatRequest, toolBlocks map[string]bool) (*ToolConfig, *errs.Error) {
	tc := &ToolConfig{}
	offered := map[string]bool{}
	for i, t := range r.GetTools() {
		at := "tools[" + strconv.Itoa(i) + "]"
		if typ := t.GetType(); typ != "" && typ != "function" {
			if isWebSearch(typ) {
				continue // see BuildRequest
			}
			return nil, errs.Invalid(at, "%s: tool type %q has no Bedrock Converse equivalent", at, typ)
		}
		schema := t.GetParametersJson()
		if schema == "" {
			schema = emptySchema
		} else if !isJSONObject(schema) {
			return nil, errs.Invalid(at+".parameters", "%s.parameters must be a JSON schema object", at)
		}
		spec := &ToolSpec{Name: t.GetName(), Description: t.GetDescription(), InputSchema: InputSchema{JSON: json.RawMessage(schema)}}
		if t.GetStrict() {
			strict := true
			spec.Strict = &strict
		}
		tc.Tools = append(tc.Tools, Tool{ToolSpec: spec})
		offered[t.GetName()] = true
	}
	mode := r.GetToolChoice().GetMode()
	if mode == inferencev1.ToolChoiceMode_TOOL_CHOICE_MODE_NONE && len(toolBlocks) == 0 {
		return nil, nil // no tools: the model cannot call one
	}
	// Converse rejects tool blocks in the history unless tools are
	// defined; tools the client no longer offers get a bare definition.
	for _, name := range sortedKeys(toolBlocks) {
		if name != "" && !offered[name] {
			tc.Tools = append(tc.Tools, Tool{ToolSpec: &ToolSpec{Name: name,
				Description: "A tool used earlier in this conversation.", InputSchema: InputSchema{JSON: json.RawMessage(emptySchema)}}})
		}
	}
	if len(tc.Tools) == 0 {
		return nil, nil
	}
	switch mode {
	case inferencev1.ToolChoiceMode_TOOL_CHOICE_MODE_AUTO:
		tc.ToolChoice = &ToolChoice{Auto: &struct{}{}}
	case inferencev1.ToolChoiceMode_TOOL_CHOICE_MODE_REQUIRED:
		tc.ToolChoice = &ToolChoice{Any: &struct{}{}}
	case inferencev1.ToolChoiceMode_TOOL_CHOICE_MODE_FUNCTION:
		tc.ToolChoice = &ToolChoice{Tool: &SpecificTool{Name: r.GetToolChoice().GetFunctionName()}}
	}
	return tc, nil
}

func buildSampling(s *inferencev1.Sampling, w *ConverseRequest) *errs.Error {
	if s == nil {
		return nil
	}
	if s.GetN() > 1 {
		return errs.Invalid("n", "a Bedrock model returns one choice per request; n must be 1")
	}
	if s.MaxTokens == nil && s.Temperature == nil && s.TopP == nil && len(s.GetStop()) == 0 {
		return nil
	}
	w.InferenceConfig = &InferenceConfig{MaxTokens: s.MaxTokens, Temperature: s.Temperature, TopP: s.TopP, StopSequences: s.GetStop()}
	return nil
}

func buildResponseFormat(rf *inferencev1.ResponseFormat, w *ConverseRequest) *errs.Error {
	switch rf.GetType() {
	case "", "text":
		return nil
	case "json_schema":
		if !isJSONObject(rf.GetSchemaJson()) {
			return errs.Invalid("response_format.json_schema.schema", "a Bedrock model needs the JSON schema of structured output")
		}
		name := rf.GetName()
		if name == "" {
			name = "response"
		}
		w.OutputConfig = &OutputConfig{TextFormat: &OutputFormat{Type: "json_schema",
			Structure: OutputFormatStructure{JSONSchema: &JSONSchemaDefinition{Schema: rf.GetSchemaJson(), Name: name}}}}
		return nil
	}
	return errs.Invalid("response_format", "response_format %q has no Bedrock Converse equivalent; use json_schema", rf.GetType())
}

// claudeFields are Anthropic's own request fields, sent through
// additionalModelRequestFields.
type claudeFields struct {
	Thinking *claudeThinking `json:"thinking,omitempty"`
	TopK     *int32          `json:"top_k,omitempty"`
}

type claudeThinking struct {
	Type         string `json:"type"`
	BudgetTokens int32  `json:"budget_tokens"`
}

// effortBudgets are the thinking budgets of reasoning efforts.
var effortBudgets = map[string]int32{
	"minimal": minThinkingBudget,
	"low":     2048,
	"medium":  8192,
	"high":    16384,
	"xhigh":   32768,
	"max":     32768,
}

// buildClaudeFields sets top_k and thinking (with maxTokens above the
// budget) for a Claude model.
func buildClaudeFields(r *inferencev1.ChatRequest, w *ConverseRequest) {
	var f claudeFields
	if s := r.GetSampling(); s != nil {
		f.TopK = s.TopK
	}
	rs := r.GetReasoning()
	effort := rs.GetEffort()
	wanted := rs.GetEnabled() || rs.GetBudgetTokens() > 0 || (effort != "" && effort != "none")
	if wanted && effort != "none" && thinkingAllowed(w.Messages) {
		budget := rs.GetBudgetTokens()
		if budget <= 0 {
			if budget = effortBudgets[effort]; budget == 0 {
				budget = effortBudgets["medium"]
			}
		}
		budget = max(budget, minThinkingBudget)
		if w.InferenceConfig == nil {
			w.InferenceConfig = &InferenceConfig{}
		}
		ic := w.InferenceConfig
		if ic.MaxTokens == nil {
			limit := DefaultMaxTokens + budget
			ic.MaxTokens = &limit
		} else if budget >= *ic.MaxTokens {
			budget = *ic.MaxTokens - 1
		}
		if budget >= minThinkingBudget {
			f.Thinking = &claudeThinking{Type: "enabled", BudgetTokens: budget}
		}
	}
	if f.Thinking == nil && f.TopK == nil {
		return
	}
	w.AdditionalModelRequestFields, _ = json.Marshal(&f)
}

// thinkingAllowed reports whether thinking may be enabled: Claude requires
// that a conversation inside a tool loop (its last assistant turn called
// tools) has that turn start with a reasoning block.
func thinkingAllowed(msgs []Message) bool {
	for i := len(msgs) - 1; i >= 0; i-- {
		if msgs[i].Role != "assistant" {
			continue
		}
		calls := false
		for _, b := range msgs[i].Content {
			calls = calls || b.ToolUse != nil
		}
		if !calls {
			return true
		}
		return msgs[i].Content[0].ReasoningContent != nil
	}
	return true
}

func isJSONObject(s string) bool {
	s = strings.TrimSpace(s)
	return len(s) > 0 && s[0] == '{' && json.Valid([]byte(s))
}
