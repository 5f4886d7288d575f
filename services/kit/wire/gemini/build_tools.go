package gemini

import (
	"github.com/tollgate/tollgate/services/kit/wire/internal/jsonx"

	"encoding/json"
	"strconv"
	"strings"

	inferencev1 "github.com/tollgate/tollgate/gen/go/tollgate/inference/v1"
	"github.com/tollgate/tollgate/services/kit/errs"
)

// geminiToolKeys are the members of a Gemini tools[] entry other than
// functionDeclarations: provider-native tools a Gemini client may send.
var geminiToolKeys = map[string]bool{
	"googleSearch": true, "googleSearchRetrieval": true, "codeExecution": true, "urlContext": true,
	"fileSearch": true, "googleMaps": true, "computerUse": true, "enterpriseWebSearch": true,
	"retrieval": true, "mcpServers": true,
}

// buildTools writes tools[]: all function tools in one entry of
// functionDeclarations, Gemini's own tools as the client wrote them, and
// other dialects' hosted web search as googleSearch.
func buildTools(tools []*inferencev1.Tool, opts BuildOptions) ([]json.RawMessage, *errs.Error) {
	if len(tools) == 0 {
		return nil, nil
	}
	var fns []FunctionDeclaration
	var out []json.RawMessage
	for i, t := range tools {
		field := "tools[" + strconv.Itoa(i) + "]"
		typ := t.GetType()
		switch {
		case typ == "" || typ == "function" || typ == "custom" && t.GetRawJson() == "":
			fd, err := functionDeclaration(t, opts, field)
			if err != nil {
				return nil, err
			}
			fns = append(fns, fd)
		case isGeminiTool(t.GetRawJson()):
			out = append(out, json.RawMessage(t.GetRawJson()))
		case typ == "google_search" || typ == "web_search" || strings.HasPrefix(typ, "web_search_"):
			out = append(out, json.RawMessage(`{"googleSearch":{}}`))
		default:
			return nil, errs.Invalid(field, "%s: tool type %q cannot be sent to a Gemini model", field, typ)
		}
	}
	if len(fns) > 0 {
		raw, err := json.Marshal(FunctionTool{FunctionDeclarations: fns})
		if err != nil {
			return nil, errs.Invalid("tools", "tools: %v", err)
		}
		out = append([]json.RawMessage{raw}, out...)
	}
	return out, nil
}

// isGeminiTool reports a tool definition that is a Gemini tools[] entry:
// an object whose members are Gemini tool names.
func isGeminiTool(raw string) bool {
	if raw == "" || !isJSONObject(raw) {
		return false
	}
	v := []byte(raw)
	known, members := true, 0
	_, err := jsonx.ScanObject(v, 0, func(m jsonx.Member) error {
		members++
		known = known && geminiToolKeys[string(camelKey(jsonx.KeyOf(v, &m)))]
		return nil
	})
	return err == nil && known && members > 0
}

// functionDeclaration writes one function. Parameters are Gemini's Schema
// when it can express them, JSON Schema (parametersJsonSchema) otherwise,
// and left out when the function takes no arguments (Gemini rejects an
// object schema without properties).
func functionDeclaration(t *inferencev1.Tool, opts BuildOptions, field string) (FunctionDeclaration, *errs.Error) {
	fd := FunctionDeclaration{Name: t.GetName(), Description: t.GetDescription()}
	if fd.Name == "" {
		return fd, errs.Invalid(field+".name", "%s: a function needs a name", field)
	}
	p := strings.TrimSpace(t.GetParametersJson())
	if p == "" {
		return fd, nil
	}
	if !isJSONObject(p) {
		return fd, errs.Invalid(field+".parameters", "%s: the parameters of tool %q are not a JSON schema object", field, t.GetName())
	}
	if isEmptyObjectSchema(p) {
		return fd, nil
	}
	if !opts.JSONSchema {
		if schema, ok := toGeminiSchema(p); ok {
			fd.Parameters = schema
			return fd, nil
		}
	}
	fd.ParametersJSONSchema = json.RawMessage(p)
	return fd, nil
}

// buildToolConfig writes the tool choice: required is ANY, a forced
// function ANY with that one function allowed.
func buildToolConfig(tc *inferencev1.ToolChoice) *ToolConfig {
	fc := &FunctionCallingConfig{}
	switch tc.GetMode() {
	case inferencev1.ToolChoiceMode_TOOL_CHOICE_MODE_AUTO:
		fc.Mode = "AUTO"
	case inferencev1.ToolChoiceMode_TOOL_CHOICE_MODE_NONE:
		fc.Mode = "NONE"
	case inferencev1.ToolChoiceMode_TOOL_CHOICE_MODE_REQUIRED:
		fc.Mode = "ANY"
	case inferencev1.ToolChoiceMode_TOOL_CHOICE_MODE_FUNCTION:
		fc.Mode, fc.AllowedFunctionNames = "ANY", []string{tc.GetFunctionName()}
	default:
		return nil
	}
	return &ToolConfig{FunctionCallingConfig: fc}
}

// Thinking budgets for reasoning efforts, for models that take a budget.
var effortBudgets = map[string]int32{"minimal": 512, "low": 1024, "medium": 8192, "high": 24576}

// buildGenerationConfig writes sampling, structured output and thinking;
// nil when the request sets none of them.
func buildGenerationConfig(r *inferencev1.ChatRequest, model string, opts BuildOptions) (*GenerationConfig, *errs.Error) {
	gc := &GenerationConfig{}
	used := false
	if s := r.GetSampling(); s != nil {
		gc.Temperature, gc.TopP, gc.TopK, gc.Seed = s.Temperature, s.TopP, s.TopK, s.Seed
		gc.PresencePenalty, gc.FrequencyPenalty = s.PresencePenalty, s.FrequencyPenalty
		gc.MaxOutputTokens, gc.CandidateCount = s.MaxTokens, s.N
		gc.StopSequences = s.GetStop()
		used = true
	}
	switch rf := r.GetResponseFormat(); rf.GetType() {
	case "", "text":
	case "json_object":
		gc.ResponseMimeType, used = "application/json", true
	case "json_schema":
		gc.ResponseMimeType, used = "application/json", true
		schema := strings.TrimSpace(rf.GetSchemaJson())
		if schema == "" {
			break
		}
		if !isJSONObject(schema) {
			return nil, errs.Invalid("response_format.json_schema.schema", "the response schema is not a JSON object")
		}
		if converted, ok := toGeminiSchema(schema); ok && !opts.JSONSchema && !isEmptyObjectSchema(schema) {
			gc.ResponseSchema = converted
		} else {
			gc.ResponseJSONSchema = json.RawMessage(schema)
		}
	default:
		return nil, errs.Invalid("response_format.type", "response format %q cannot be sent to a Gemini model", rf.GetType())
	}
	if tc := buildThinking(r.GetReasoning(), model); tc != nil {
		gc.ThinkingConfig, used = tc, true
	}
	if !used {
		return nil, nil
	}
	return gc, nil
}

// buildThinking writes the thinking configuration. A token budget is sent
// as thinkingBudget; an effort as thinkingLevel for Gemini 3 models and as
// a budget for older ones (which know no levels); effort "none" turns
// thinking off. Thoughts are included whenever thinking is asked for, so
// clients of other dialects see the reasoning.
func buildThinking(rs *inferencev1.Reasoning, model string) *ThinkingConfig {
	if rs == nil {
		return nil
	}
	effort := strings.ToLower(rs.GetEffort())
	tc := &ThinkingConfig{}
	switch {
	case effort == "none":
		zero := int32(0)
		tc.ThinkingBudget = &zero
		return tc
	case rs.GetBudgetTokens() > 0:
		b := rs.GetBudgetTokens()
		tc.ThinkingBudget = &b
	case effort != "" && usesThinkingLevels(model):
		switch effort {
		case "minimal", "low", "medium", "high":
			tc.ThinkingLevel = strings.ToUpper(effort)
		case "xhigh", "max":
			tc.ThinkingLevel = "HIGH"
		}
	case effort != "":
		if b, ok := effortBudgets[effort]; ok {
			tc.ThinkingBudget = &b
		} else if effort == "xhigh" || effort == "max" {
			b := effortBudgets["high"]
			tc.ThinkingBudget = &b
		}
	case !rs.GetEnabled():
		return nil
	}
	tc.IncludeThoughts = true
	return tc
}

// usesThinkingLevels reports Gemini 3 and later models, which take
// thinkingLevel.
func usesThinkingLevels(model string) bool {
	model = model[strings.LastIndexByte(model, '/')+1:]
	rest, ok := strings.CutPrefix(model, "gemini-")
	if !ok || rest == "" {
		return false
	}
	major := 0
	for i := 0; i < len(rest) && rest[i] >= '0' && rest[i] <= '9'; i++ {
		major = major*10 + int(rest[i]-'0')
	}
	return major >= 3
}
