package responses

import (
	"github.com/tollgate/tollgate/services/kit/wire/internal/jsonx"

	inferencev1 "github.com/tollgate/tollgate/gen/go/tollgate/inference/v1"
	"github.com/tollgate/tollgate/services/kit/errs"
)

// requestFields holds the raw values of the top-level members the decoder
// reads; nil means absent. Every other member (store, include,
// prompt_cache_key, client_metadata, truncation, service_tier…) is validated
// as JSON and left in the original body, which same-dialect providers get.
type requestFields struct {
	model, input, instructions, tools, toolChoice, parallelToolCalls []byte
	reasoning, maxOutputTokens, temperature, topP, stream, text      []byte
	metadata, user, safetyIdentifier                                 []byte
	// Stateful or asynchronous features with no canonical form.
	previousResponseID, conversation, prompt, background []byte
}

func (f *requestFields) set(key, v []byte) {
	switch string(key) {
	case "model":
		f.model = v
	case "input":
		f.input = v
	case "instructions":
		f.instructions = v
	case "tools":
		f.tools = v
	case "tool_choice":
		f.toolChoice = v
	case "parallel_tool_calls":
		f.parallelToolCalls = v
	case "reasoning":
		f.reasoning = v
	case "max_output_tokens":
		f.maxOutputTokens = v
	case "temperature":
		f.temperature = v
	case "top_p":
		f.topP = v
	case "stream":
		f.stream = v
	case "text":
		f.text = v
	case "metadata":
		f.metadata = v
	case "user":
		f.user = v
	case "safety_identifier":
		f.safetyIdentifier = v
	case "previous_response_id":
		f.previousResponseID = v
	case "conversation":
		f.conversation = v
	case "prompt":
		f.prompt = v
	case "background":
		f.background = v
	}
}

// DecodeRequest decodes and validates a Responses API request body into the
// canonical model. Errors are *errs.Error of kind InvalidArgument naming the
// offending field (Param "input[2].content[0].image_url"). The returned
// request keeps body as Source.OriginalBody without copying it: the caller
// must not modify body afterwards.
//
// Instructions become a leading system message; input items become
// messages, with consecutive assistant-side items (message, reasoning,
// function_call) merged into one assistant message and function_call_output
// items becoming tool messages. Function tools inside a "namespace" tool are
// listed as plain functions, and custom (free-form) tools as functions
// taking one string argument "input"; the encoders restore both shapes when
// given the request (WithRequest). Parts of the request with no canonical
// form are left out here and reported by CheckTranslatable.
func DecodeRequest(body []byte) (*inferencev1.ChatRequest, error) {
	r, _, err := decodeRequest(body)
	return r, err
}

// CheckTranslatable reports, as an errs.Invalid naming the field, the first
// part of a Responses request that cannot be expressed for a provider of
// another dialect: previous_response_id, conversation, prompt templates,
// background mode, input items that only OpenAI can read (compaction,
// item_reference, hosted tool calls such as local_shell_call), images given
// by file id, forced hosted tools and name clashes between namespaced
// functions. It returns nil when the request translates fully, and also when
// r was not decoded from a Responses body (there is nothing to check). The
// provider adapter calls it before building a non-Responses provider
// request; same-dialect passthrough needs no check.
func CheckTranslatable(r *inferencev1.ChatRequest) *errs.Error {
	src := r.GetSource()
	if src.GetDialect() != inferencev1.Dialect_DIALECT_OPENAI_RESPONSES || len(src.GetOriginalBody()) == 0 {
		return nil
	}
	_, note, err := decodeRequest(src.GetOriginalBody())
	if err != nil {
		return errs.From(err)
	}
	return note
}

// decodeRequest decodes body and also returns the first untranslatable part
// it met (nil when none).
func decodeRequest(body []byte) (*inferencev1.ChatRequest, *errs.Error, error) {
	var f requestFields
	if err := jsonx.ScanTopLevel(body, f.set); err != nil {
		return nil, nil, jsonx.ToInvalid(err)
	}
	d := decoder{}
	r, err := d.decode(&f)
	if err != nil {
		return nil, nil, jsonx.ToInvalid(err)
	}
	r.Source = &inferencev1.Source{
		Dialect:      inferencev1.Dialect_DIALECT_OPENAI_RESPONSES,
		OriginalBody: body,
		ClientModel:  r.Model,
	}
	return r, d.note, nil
}

// decoder carries what decoding one request needs across fields.
type decoder struct {
	// note is the first part of the request with no canonical form.
	note *errs.Error
	// callNames maps call ids to function names, so tool results can name
	// the function they answer (Gemini needs it).
	callNames map[string]string
	// tools is what the tools member says about namespaced and custom tools.
	tools toolIndex
}

// untranslatable records the first part of the request that only an OpenAI
// Responses provider can read.
func (d *decoder) untranslatable(param, what string) {
	if d.note == nil {
		d.note = errs.Invalid(param, "%s: %s cannot be translated for a provider that does not speak the OpenAI Responses API", param, what)
	}
}

func (d *decoder) decode(f *requestFields) (*inferencev1.ChatRequest, error) {
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
	if jsonx.Present(f.tools) {
		// Tools first: tool calls in the input are read against them.
		if r.Tools, d.tools, err = decodeTools(f.tools); err != nil {
			return nil, jsonx.InField("tools", err)
		}
		if name := d.tools.clash; name != "" {
			d.untranslatable("tools", "function name "+quote(name)+" defined more than once across namespaces")
		}
	}
	if jsonx.Present(f.instructions) {
		if r.Messages, err = d.decodeInstructions(f.instructions); err != nil {
			return nil, jsonx.InField("instructions", err)
		}
	}
	if jsonx.Present(f.input) {
		msgs, err := d.decodeInput(f.input, "input")
		if err != nil {
			return nil, jsonx.InField("input", err)
		}
		r.Messages = append(r.Messages, msgs...)
	}
	if !jsonx.Present(f.input) && len(r.Messages) == 0 && !jsonx.Present(f.previousResponseID) && !jsonx.Present(f.conversation) && !jsonx.Present(f.prompt) {
		return nil, jsonx.InField("input", jsonx.ErrRequired)
	}
	if jsonx.Present(f.toolChoice) {
		if r.ToolChoice, err = d.decodeToolChoice(f.toolChoice); err != nil {
			return nil, jsonx.InField("tool_choice", err)
		}
	}
	if jsonx.Present(f.parallelToolCalls) {
		b, err := jsonx.ReadBool(f.parallelToolCalls)
		if err != nil {
			return nil, jsonx.InField("parallel_tool_calls", err)
		}
		r.ParallelToolCalls = &b
	}
	if jsonx.Present(f.reasoning) {
		if r.Reasoning, err = decodeReasoning(f.reasoning); err != nil {
			return nil, jsonx.InField("reasoning", err)
		}
	}
	if r.Sampling, err = f.decodeSampling(); err != nil {
		return nil, err
	}
	if jsonx.Present(f.stream) {
		if r.Stream, err = jsonx.ReadBool(f.stream); err != nil {
			return nil, jsonx.InField("stream", err)
		}
		// A Responses stream always ends with the usage in response.completed.
		r.IncludeUsage = r.Stream
	}
	if jsonx.Present(f.text) {
		if r.ResponseFormat, err = decodeTextConfig(f.text); err != nil {
			return nil, jsonx.InField("text", err)
		}
	}
	if jsonx.Present(f.metadata) {
		if r.Metadata, err = jsonx.ReadStringMap(f.metadata); err != nil {
			return nil, jsonx.InField("metadata", err)
		}
	}
	if jsonx.Present(f.user) {
		if r.User, err = jsonx.ReadString(f.user); err != nil {
			return nil, jsonx.InField("user", err)
		}
	}
	if jsonx.Present(f.safetyIdentifier) {
		id, err := jsonx.ReadString(f.safetyIdentifier)
		if err != nil {
			return nil, jsonx.InField("safety_identifier", err)
		}
		if r.User == "" {
			r.User = id // OpenAI's replacement for user
		}
	}
	return r, d.checkStateful(f)
}

// checkStateful validates the members that refer to state kept at OpenAI
// and notes them as untranslatable.
func (d *decoder) checkStateful(f *requestFields) error {
	if jsonx.Present(f.previousResponseID) {
		id, err := jsonx.ReadString(f.previousResponseID)
		if err != nil {
			return jsonx.InField("previous_response_id", err)
		}
		if id != "" {
			d.untranslatable("previous_response_id", "a conversation stored at OpenAI")
		}
	}
	if jsonx.Present(f.conversation) {
		d.untranslatable("conversation", "a conversation stored at OpenAI")
	}
	if jsonx.Present(f.prompt) {
		d.untranslatable("prompt", "a prompt template stored at OpenAI")
	}
	if jsonx.Present(f.background) {
		bg, err := jsonx.ReadBool(f.background)
		if err != nil {
			return jsonx.InField("background", err)
		}
		if bg {
			d.untranslatable("background", "background mode")
		}
	}
	return nil
}

func (f *requestFields) decodeSampling() (*inferencev1.Sampling, error) {
	s := &inferencev1.Sampling{}
	var opt jsonx.Optionals
	opt.Float("temperature", f.temperature, &s.Temperature)
	opt.Float("top_p", f.topP, &s.TopP)
	opt.Count("max_output_tokens", f.maxOutputTokens, &s.MaxTokens)
	if opt.Err != nil {
		return nil, opt.Err
	}
	used := opt.Set
	if !used {
		return nil, nil
	}
	return s, nil
}

// decodeReasoning reads {"effort","summary"}. Only an effort turns
// reasoning on; a summary alone (what Codex sends) only says how to show
// reasoning the model does anyway, so it leaves the provider default.
func decodeReasoning(v []byte) (*inferencev1.Reasoning, error) {
	var m [3][]byte
	if err := jsonx.ReadObjectMembers(v, []string{"effort", "summary", "generate_summary"}, m[:]); err != nil {
		return nil, err
	}
	for i, name := range []string{"summary", "generate_summary"} {
		if jsonx.Present(m[i+1]) {
			if _, err := jsonx.ReadString(m[i+1]); err != nil {
				return nil, jsonx.InField(name, err)
			}
		}
	}
	if !jsonx.Present(m[0]) {
		return nil, nil
	}
	effort, err := jsonx.ReadString(m[0])
	if err != nil {
		return nil, jsonx.InField("effort", err)
	}
	return &inferencev1.Reasoning{Effort: effort, Enabled: effort != "none"}, nil
}

// decodeTextConfig reads text.format (text, json_object, json_schema);
// text.verbosity is a hint kept only in the original body.
func decodeTextConfig(v []byte) (*inferencev1.ResponseFormat, error) {
	var m [1][]byte
	if err := jsonx.ReadObjectMembers(v, []string{"format"}, m[:]); err != nil {
		return nil, err
	}
	if !jsonx.Present(m[0]) {
		return nil, nil
	}
	var fm [5][]byte
	if err := jsonx.ReadObjectMembers(m[0], []string{"type", "name", "schema", "strict", "description"}, fm[:]); err != nil {
		return nil, jsonx.InField("format", err)
	}
	if !jsonx.Present(fm[0]) {
		return nil, jsonx.InField("format", jsonx.InField("type", jsonx.ErrRequired))
	}
	typ, err := jsonx.ReadString(fm[0])
	if err != nil {
		return nil, jsonx.InField("format", jsonx.InField("type", err))
	}
	rf := &inferencev1.ResponseFormat{Type: typ}
	switch typ {
	case "text", "json_object":
		return rf, nil
	case "json_schema":
	default:
		return nil, jsonx.InField("format", jsonx.InField("type", jsonx.BadValue("must be text, json_object or json_schema")))
	}
	if !jsonx.Present(fm[1]) {
		return nil, jsonx.InField("format", jsonx.InField("name", jsonx.ErrRequired))
	}
	if rf.Name, err = jsonx.ReadString(fm[1]); err != nil {
		return nil, jsonx.InField("format", jsonx.InField("name", err))
	}
	if jsonx.Present(fm[2]) {
		if fm[2][0] != '{' {
			return nil, jsonx.InField("format", jsonx.InField("schema", jsonx.ErrNotObject))
		}
		rf.SchemaJson = jsonx.ValidUTF8(fm[2])
	}
	if jsonx.Present(fm[3]) {
		if rf.Strict, err = jsonx.ReadBool(fm[3]); err != nil {
			return nil, jsonx.InField("format", jsonx.InField("strict", err))
		}
	}
	return rf, nil
}

func quote(s string) string { return string(jsonx.AppendString(nil, s)) }
