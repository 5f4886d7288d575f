package anthropic

import (
	"github.com/tollgate/tollgate/services/kit/wire/internal/jsonx"

	inferencev1 "github.com/tollgate/tollgate/gen/go/tollgate/inference/v1"
)

// messagesFields holds the raw values of the top-level members the decoder
// knows; nil means absent. Unknown members (context_management, container,
// mcp_servers, service_tier…) are validated as JSON and left in the original
// body, which same-dialect providers receive.
type messagesFields struct {
	model, messages, system, tools, toolChoice []byte
	maxTokens, temperature, topP, topK, stop   []byte
	stream, metadata, thinking, outputConfig   []byte
	outputFormat                               []byte
}

func (f *messagesFields) set(key, v []byte) {
	switch string(key) {
	case "model":
		f.model = v
	case "messages":
		f.messages = v
	case "system":
		f.system = v
	case "tools":
		f.tools = v
	case "tool_choice":
		f.toolChoice = v
	case "max_tokens":
		f.maxTokens = v
	case "temperature":
		f.temperature = v
	case "top_p":
		f.topP = v
	case "top_k":
		f.topK = v
	case "stop_sequences":
		f.stop = v
	case "stream":
		f.stream = v
	case "metadata":
		f.metadata = v
	case "thinking":
		f.thinking = v
	case "output_config":
		f.outputConfig = v
	case "output_format": // the structured-outputs beta spelling of output_config.format
		f.outputFormat = v
	}
}

// DecodeRequest decodes and validates an Anthropic Messages request body
// (POST /v1/messages) into the canonical model. Errors are *errs.Error of
// kind InvalidArgument naming the offending field (Param
// "messages[1].content[0].source").
//
// The top-level system prompt becomes a leading ROLE_SYSTEM message; a
// role "system" message inside messages (Claude Code sends them) stays
// where it is. Tool results stay content parts of their user message, as
// the canonical model carries them. max_tokens is optional here although
// Anthropic requires it: a same-dialect provider still enforces it, and
// other providers do not need it.
//
// Content the canonical model has no place for (server tool blocks such as
// server_tool_use and web_search_tool_result, search_result, container
// uploads, documents whose source is a content array, citations) is skipped:
// same-dialect providers still receive it in Source.OriginalBody, but a
// provider of another dialect does not see it.
//
// The returned request keeps body as Source.OriginalBody without copying it:
// the caller must not modify body afterwards. Source.Headers is left for the
// caller to fill, with SourceHeaders.
func DecodeRequest(body []byte) (*inferencev1.ChatRequest, error) {
	return decodeBody(body, false)
}

// DecodeCountTokensRequest decodes a POST /v1/messages/count_tokens body:
// the same shape as a Messages request without max_tokens or stream.
func DecodeCountTokensRequest(body []byte) (*inferencev1.ChatRequest, error) {
	return decodeBody(body, true)
}

func decodeBody(body []byte, countTokens bool) (*inferencev1.ChatRequest, error) {
	var f messagesFields
	if err := jsonx.ScanTopLevel(body, f.set); err != nil {
		return nil, jsonx.ToInvalid(err)
	}
	if countTokens {
		f.stream, f.maxTokens = nil, nil
	}
	r, err := f.decode()
	if err != nil {
		return nil, jsonx.ToInvalid(err)
	}
	r.Source = &inferencev1.Source{
		Dialect:      inferencev1.Dialect_DIALECT_ANTHROPIC_MESSAGES,
		OriginalBody: body,
		ClientModel:  r.Model,
	}
	return r, nil
}

func (f *messagesFields) decode() (*inferencev1.ChatRequest, error) {
	r := &inferencev1.ChatRequest{}
	var err error
	if !jsonx.Present(f.model) {
		return nil, jsonx.InField("model", jsonx.ErrRequired)
	}
	if r.Model, err = jsonx.ReadString(f.model); err != nil {
		return nil, jsonx.InField("model", err)
	}
	if r.Model == "" {
		return nil, jsonx.InField("model", jsonx.BadValue("must not be empty"))
	}
	if jsonx.Present(f.system) {
		sys, err := decodeSystem(f.system)
		if err != nil {
			return nil, jsonx.InField("system", err)
		}
		if sys != nil {
			r.Messages = append(r.Messages, sys)
		}
	}
	if !jsonx.Present(f.messages) {
		return nil, jsonx.InField("messages", jsonx.ErrRequired)
	}
	if r.Messages, err = decodeMessages(f.messages, r.Messages); err != nil {
		return nil, jsonx.InField("messages", err)
	}
	if jsonx.Present(f.tools) {
		if r.Tools, err = decodeTools(f.tools); err != nil {
			return nil, jsonx.InField("tools", err)
		}
	}
	if jsonx.Present(f.toolChoice) {
		if err := decodeToolChoice(f.toolChoice, r); err != nil {
			return nil, jsonx.InField("tool_choice", err)
		}
	}
	if r.Sampling, err = f.decodeSampling(); err != nil {
		return nil, err
	}
	if jsonx.Present(f.stream) {
		if r.Stream, err = jsonx.ReadBool(f.stream); err != nil {
			return nil, jsonx.InField("stream", err)
		}
		// Anthropic streams always report usage (message_start and message_delta).
		r.IncludeUsage = r.Stream
	}
	if jsonx.Present(f.metadata) {
		if err := decodeMetadata(f.metadata, r); err != nil {
			return nil, jsonx.InField("metadata", err)
		}
	}
	if jsonx.Present(f.thinking) {
		if r.Reasoning, err = decodeThinking(f.thinking); err != nil {
			return nil, jsonx.InField("thinking", err)
		}
	}
	if jsonx.Present(f.outputConfig) {
		if err := decodeOutputConfig(f.outputConfig, r); err != nil {
			return nil, jsonx.InField("output_config", err)
		}
	}
	if jsonx.Present(f.outputFormat) && r.ResponseFormat == nil {
		if r.ResponseFormat, err = decodeOutputFormat(f.outputFormat); err != nil {
			return nil, jsonx.InField("output_format", err)
		}
	}
	return r, nil
}

func (f *messagesFields) decodeSampling() (*inferencev1.Sampling, error) {
	s := &inferencev1.Sampling{}
	var opt jsonx.Optionals
	opt.Float("temperature", f.temperature, &s.Temperature)
	opt.Float("top_p", f.topP, &s.TopP)
	if opt.Err != nil {
		return nil, opt.Err
	}
	if jsonx.Present(f.topK) {
		k, err := jsonx.ReadInt32(f.topK)
		if err != nil {
			return nil, jsonx.InField("top_k", err)
		}
		s.TopK, opt.Set = &k, true
	}
	opt.Count("max_tokens", f.maxTokens, &s.MaxTokens)
	if opt.Err != nil {
		return nil, opt.Err
	}
	used := opt.Set
	if jsonx.Present(f.stop) {
		stop, err := jsonx.ReadStringArray(f.stop)
		if err != nil {
			return nil, jsonx.InField("stop_sequences", err)
		}
		s.Stop, used = stop, used || len(stop) > 0
	}
	if !used {
		return nil, nil
	}
	return s, nil
}

// decodeMetadata reads metadata.user_id, the only key Anthropic accepts, as
// the canonical end-user id. It is not copied into Metadata: OpenAI takes
// metadata only for stored completions, and BuildRequest writes User back
// as user_id.
func decodeMetadata(v []byte, r *inferencev1.ChatRequest) error {
	var m [1][]byte
	if err := jsonx.ReadObjectMembers(v, []string{"user_id"}, m[:]); err != nil {
		return err
	}
	if !jsonx.Present(m[0]) {
		return nil
	}
	id, err := jsonx.ReadString(m[0])
	if err != nil {
		return jsonx.InField("user_id", err)
	}
	r.User = id
	return nil
}

func decodeThinking(v []byte) (*inferencev1.Reasoning, error) {
	var m [2][]byte
	if err := jsonx.ReadObjectMembers(v, []string{"type", "budget_tokens"}, m[:]); err != nil {
		return nil, err
	}
	if !jsonx.Present(m[0]) {
		return nil, jsonx.InField("type", jsonx.ErrRequired)
	}
	typ, err := jsonx.ReadString(m[0])
	if err != nil {
		return nil, jsonx.InField("type", err)
	}
	switch typ {
	case "enabled":
		if !jsonx.Present(m[1]) {
			return nil, jsonx.InField("budget_tokens", jsonx.ErrRequired)
		}
		budget, err := jsonx.ReadInt32(m[1])
		if err != nil {
			return nil, jsonx.InField("budget_tokens", err)
		}
		if budget < 1 {
			return nil, jsonx.InField("budget_tokens", jsonx.BadValue("must be at least 1"))
		}
		return &inferencev1.Reasoning{Enabled: true, BudgetTokens: budget}, nil
	case "adaptive":
		return &inferencev1.Reasoning{Enabled: true}, nil
	case "disabled":
		return &inferencev1.Reasoning{}, nil
	}
	return nil, jsonx.InField("type", jsonx.BadValue("must be enabled, adaptive or disabled"))
}

// decodeOutputConfig reads effort (into Reasoning.Effort) and format (into
// ResponseFormat). Anthropic's top effort, "max", becomes the canonical
// "high", the highest level every reasoning provider accepts.
func decodeOutputConfig(v []byte, r *inferencev1.ChatRequest) error {
	var m [2][]byte
	if err := jsonx.ReadObjectMembers(v, []string{"effort", "format"}, m[:]); err != nil {
		return err
	}
	if jsonx.Present(m[0]) {
		effort, err := jsonx.ReadString(m[0])
		if err != nil {
			return jsonx.InField("effort", err)
		}
		switch effort {
		case "low", "medium", "high":
		case "max":
			effort = "high"
		default:
			return jsonx.InField("effort", jsonx.BadValue("must be low, medium, high or max"))
		}
		if r.Reasoning == nil {
			r.Reasoning = &inferencev1.Reasoning{}
		}
		r.Reasoning.Effort = effort
	}
	if jsonx.Present(m[1]) {
		rf, err := decodeOutputFormat(m[1])
		if err != nil {
			return jsonx.InField("format", err)
		}
		r.ResponseFormat = rf
	}
	return nil
}

// structuredOutputName names the schema for providers that require a name
// (OpenAI json_schema); Anthropic's format has none.
const structuredOutputName = "output"

func decodeOutputFormat(v []byte) (*inferencev1.ResponseFormat, error) {
	var m [2][]byte
	if err := jsonx.ReadObjectMembers(v, []string{"type", "schema"}, m[:]); err != nil {
		return nil, err
	}
	if !jsonx.Present(m[0]) {
		return nil, jsonx.InField("type", jsonx.ErrRequired)
	}
	typ, err := jsonx.ReadString(m[0])
	if err != nil {
		return nil, jsonx.InField("type", err)
	}
	if typ != "json_schema" {
		return nil, jsonx.InField("type", jsonx.BadValue("must be json_schema"))
	}
	if !jsonx.Present(m[1]) {
		return nil, jsonx.InField("schema", jsonx.ErrRequired)
	}
	if m[1][0] != '{' {
		return nil, jsonx.InField("schema", jsonx.ErrNotObject)
	}
	// Anthropic enforces the schema exactly: strict in OpenAI's terms.
	return &inferencev1.ResponseFormat{Type: "json_schema", Name: structuredOutputName,
		SchemaJson: jsonx.ValidUTF8(m[1]), Strict: true}, nil
}
