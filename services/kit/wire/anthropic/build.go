package anthropic

import (
	"encoding/json"
	"strconv"

	inferencev1 "github.com/tollgate/tollgate/gen/go/tollgate/inference/v1"
	"github.com/tollgate/tollgate/services/kit/errs"
)

// The provider side: canonical requests to Anthropic Messages bodies. It is
// used when the client spoke another dialect; same-dialect requests are
// forwarded with RewriteForUpstream instead.

// DefaultMaxTokens is the max_tokens BuildRequest sends when the client set
// no limit: Anthropic requires one, and 4096 answers most turns while
// staying within every Claude model's output limit.
const DefaultMaxTokens = 4096

// minThinkingBudget is the smallest thinking budget Anthropic accepts.
const minThinkingBudget = 1024

// BuildOptions adapt request building to a provider's models.
type BuildOptions struct {
	// DefaultMaxTokens replaces DefaultMaxTokens when positive.
	DefaultMaxTokens int32
	// AdaptiveThinking asks for reasoning as thinking {type: adaptive} with
	// output_config.effort (Claude Opus/Sonnet 4.6 and later; Opus 4.7
	// accepts nothing else) instead of a thinking budget (older models).
	AdaptiveThinking bool
}

// BuildRequest writes a canonical request as an Anthropic Messages body for
// model with the default options; see BuildRequestWithOptions.
func BuildRequest(r *inferencev1.ChatRequest, model string) ([]byte, error) {
	return BuildRequestWithOptions(r, model, BuildOptions{})
}

// BuildRequestWithOptions writes a canonical request as an Anthropic
// Messages body for model. System and developer messages, wherever they
// are, become the top-level system prompt in order; tool results become
// tool_result blocks of user turns, consecutive turns of one role are
// merged, and tool-call arguments become tool_use input objects. What
// Anthropic cannot take is an *errs.Error of kind InvalidArgument naming
// the field: audio, n > 1, temperature above 1, JSON mode without a schema,
// files by another provider's id, and provider-native tools of another
// dialect (OpenAI's web search is translated to Anthropic's).
//
// Dropped without error, because they do not change what is asked: seed,
// presence and frequency penalties, tool strictness, metadata other than
// user_id, message names, and reasoning without an Anthropic signature
// (another provider's thinking cannot be replayed to Claude).
//
// Reasoning effort becomes a thinking budget (low 2048, medium 8192, high
// 16384 tokens) that fits under max_tokens; without a client max_tokens the
// limit is DefaultMaxTokens plus the budget. Thinking is left off when the
// limit leaves less than Anthropic's minimum budget, and when the
// conversation is inside a tool loop whose assistant turn carries no signed
// thinking block, which Anthropic would reject.
func BuildRequestWithOptions(r *inferencev1.ChatRequest, model string, opts BuildOptions) ([]byte, error) {
	w := MessagesRequest{Model: model, Stream: r.GetStream()}
	var err *errs.Error // not error: a nil *errs.Error must stay a nil error
	if w.System, w.Messages, err = buildMessages(r.GetMessages()); err != nil {
		return nil, err
	}
	for i, t := range r.GetTools() {
		raw, err := buildTool(t)
		if err != nil {
			return nil, err.WithParam("tools[" + strconv.Itoa(i) + "]")
		}
		w.Tools = append(w.Tools, raw)
	}
	if len(w.Tools) > 0 {
		w.ToolChoice = buildToolChoice(r.GetToolChoice(), r.ParallelToolCalls)
	}
	if err := buildSampling(r.GetSampling(), &w); err != nil {
		return nil, err
	}
	if err := buildResponseFormat(r.GetResponseFormat(), &w); err != nil {
		return nil, err
	}
	defaultMax := opts.DefaultMaxTokens
	if defaultMax <= 0 {
		defaultMax = DefaultMaxTokens
	}
	var clientMax *int32
	if s := r.GetSampling(); s != nil {
		clientMax = s.MaxTokens
	}
	buildThinking(r.GetReasoning(), clientMax, defaultMax, opts.AdaptiveThinking, &w)
	if user := r.GetUser(); user != "" {
		w.Metadata = &Metadata{UserID: user}
	} else if user := r.GetMetadata()["user_id"]; user != "" {
		w.Metadata = &Metadata{UserID: user}
	}
	return json.Marshal(&w)
}

func buildSampling(s *inferencev1.Sampling, w *MessagesRequest) *errs.Error {
	if s == nil {
		return nil
	}
	if t := s.Temperature; t != nil && (*t < 0 || *t > 1) {
		return errs.Invalid("temperature", "temperature must be between 0 and 1 for an Anthropic model")
	}
	if s.GetN() > 1 {
		return errs.Invalid("n", "an Anthropic model returns one choice per request; n must be 1")
	}
	w.Temperature, w.TopP, w.TopK = s.Temperature, s.TopP, s.TopK
	w.StopSequences = s.GetStop()
	return nil
}

func buildResponseFormat(rf *inferencev1.ResponseFormat, w *MessagesRequest) *errs.Error {
	switch rf.GetType() {
	case "", "text":
		return nil
	case "json_schema":
		if rf.GetSchemaJson() == "" {
			return errs.Invalid("response_format.json_schema.schema", "an Anthropic model needs the JSON schema of structured output")
		}
		w.OutputConfig = &OutputConfig{Format: &OutputFormat{Type: "json_schema", Schema: json.RawMessage(rf.GetSchemaJson())}}
		return nil
	}
	return errs.Invalid("response_format", "response_format %q has no Anthropic equivalent; use json_schema", rf.GetType())
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

// adaptiveEfforts are Anthropic's effort levels for canonical efforts.
var adaptiveEfforts = map[string]string{
	"minimal": "low", "low": "low", "medium": "medium", "high": "high", "xhigh": "max", "max": "max",
}

// buildThinking sets thinking (and max_tokens, which must exceed a
// thinking budget) from the canonical reasoning settings.
func buildThinking(rs *inferencev1.Reasoning, clientMax *int32, defaultMax int32, adaptive bool, w *MessagesRequest) {
	w.MaxTokens = defaultMax
	if clientMax != nil {
		w.MaxTokens = *clientMax
	}
	effort := rs.GetEffort()
	wanted := rs.GetEnabled() || rs.GetBudgetTokens() > 0 || (effort != "" && effort != "none")
	if !wanted || effort == "none" || !thinkingAllowed(w.Messages) {
		return
	}
	if adaptive {
		w.Thinking = &Thinking{Type: "adaptive"}
		if e := adaptiveEfforts[effort]; e != "" {
			if w.OutputConfig == nil {
				w.OutputConfig = &OutputConfig{}
			}
			w.OutputConfig.Effort = e
		}
		return
	}
	budget := rs.GetBudgetTokens()
	if budget <= 0 {
		if budget = effortBudgets[effort]; budget == 0 {
			budget = effortBudgets["medium"]
		}
	}
	budget = max(budget, minThinkingBudget)
	if clientMax == nil {
		w.MaxTokens = defaultMax + budget
	} else if budget >= *clientMax {
		budget = *clientMax - 1
	}
	if budget < minThinkingBudget {
		return // the client's limit leaves no room to think
	}
	w.Thinking = &Thinking{Type: "enabled", BudgetTokens: budget}
}

// thinkingAllowed reports whether thinking may be enabled: Anthropic
// requires that a conversation inside a tool loop (its last assistant turn
// called tools) has that turn start with a thinking block.
func thinkingAllowed(msgs []Message) bool {
	for i := len(msgs) - 1; i >= 0; i-- {
		if msgs[i].Role != "assistant" {
			continue
		}
		calls := false
		for _, b := range msgs[i].Content {
			calls = calls || b.Type == "tool_use"
		}
		if !calls {
			return true
		}
		first := msgs[i].Content[0].Type
		return first == "thinking" || first == "redacted_thinking"
	}
	return true
}
