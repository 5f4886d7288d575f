package responses

import (
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

// scanTopLevel validates the whole body as one JSON object and hands each
// top-level member to set. Validation finishes before any field is
// interpreted, so malformed JSON is always reported as such.
func scanTopLevel(body []byte, set func(key, val []byte)) error {
	end, err := scanObject(body, 0, func(m member) error {
		set(keyOf(body, &m), body[m.valStart:m.valEnd])
		return nil
	})
	if err != nil {
		return err
	}
	if rest := skipSpace(body, end+1); rest != len(body) {
		return syntaxErr("unexpected data after the JSON object", rest)
	}
	return nil
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
	if err := scanTopLevel(body, f.set); err != nil {
		return nil, nil, toInvalid(err)
	}
	d := decoder{}
	r, err := d.decode(&f)
	if err != nil {
		return nil, nil, toInvalid(err)
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
	if !present(f.model) {
		return nil, inField("model", errRequired)
	}
	if r.Model, err = readString(f.model); err != nil {
		return nil, inField("model", err)
	}
	if r.Model == "" {
		return nil, inField("model", badValue("must not be empty"))
	}
	if present(f.tools) {
		// Tools first: tool calls in the input are read against them.
		if r.Tools, d.tools, err = decodeTools(f.tools); err != nil {
			return nil, inField("tools", err)
		}
		if name := d.tools.clash; name != "" {
			d.untranslatable("tools", "function name "+quote(name)+" defined more than once across namespaces")
		}
	}
	if present(f.instructions) {
		if r.Messages, err = d.decodeInstructions(f.instructions); err != nil {
			return nil, inField("instructions", err)
		}
	}
	if present(f.input) {
		msgs, err := d.decodeInput(f.input, "input")
		if err != nil {
			return nil, inField("input", err)
		}
		r.Messages = append(r.Messages, msgs...)
	}
	if !present(f.input) && len(r.Messages) == 0 && !present(f.previousResponseID) && !present(f.conversation) && !present(f.prompt) {
		return nil, inField("input", errRequired)
	}
	if present(f.toolChoice) {
		if r.ToolChoice, err = d.decodeToolChoice(f.toolChoice); err != nil {
			return nil, inField("tool_choice", err)
		}
	}
	if present(f.parallelToolCalls) {
		b, err := readBool(f.parallelToolCalls)
		if err != nil {
			return nil, inField("parallel_tool_calls", err)
		}
		r.ParallelToolCalls = &b
	}
	if present(f.reasoning) {
		if r.Reasoning, err = decodeReasoning(f.reasoning); err != nil {
			return nil, inField("reasoning", err)
		}
	}
	if r.Sampling, err = f.decodeSampling(); err != nil {
		return nil, err
	}
	if present(f.stream) {
		if r.Stream, err = readBool(f.stream); err != nil {
			return nil, inField("stream", err)
		}
		// A Responses stream always ends with the usage in response.completed.
		r.IncludeUsage = r.Stream
	}
	if present(f.text) {
		if r.ResponseFormat, err = decodeTextConfig(f.text); err != nil {
			return nil, inField("text", err)
		}
	}
	if present(f.metadata) {
		if r.Metadata, err = readStringMap(f.metadata); err != nil {
			return nil, inField("metadata", err)
		}
	}
	if present(f.user) {
		if r.User, err = readString(f.user); err != nil {
			return nil, inField("user", err)
		}
	}
	if present(f.safetyIdentifier) {
		id, err := readString(f.safetyIdentifier)
		if err != nil {
			return nil, inField("safety_identifier", err)
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
	if present(f.previousResponseID) {
		id, err := readString(f.previousResponseID)
		if err != nil {
			return inField("previous_response_id", err)
		}
		if id != "" {
			d.untranslatable("previous_response_id", "a conversation stored at OpenAI")
		}
	}
	if present(f.conversation) {
		d.untranslatable("conversation", "a conversation stored at OpenAI")
	}
	if present(f.prompt) {
		d.untranslatable("prompt", "a prompt template stored at OpenAI")
	}
	if present(f.background) {
		bg, err := readBool(f.background)
		if err != nil {
			return inField("background", err)
		}
		if bg {
			d.untranslatable("background", "background mode")
		}
	}
	return nil
}

func (f *requestFields) decodeSampling() (*inferencev1.Sampling, error) {
	s := &inferencev1.Sampling{}
	used := false
	for _, p := range []struct {
		name string
		v    []byte
		dst  **float64
	}{{"temperature", f.temperature, &s.Temperature}, {"top_p", f.topP, &s.TopP}} {
		if !present(p.v) {
			continue
		}
		x, err := readFloat(p.v)
		if err != nil {
			return nil, inField(p.name, err)
		}
		*p.dst, used = &x, true
	}
	if present(f.maxOutputTokens) {
		n, err := readInt32(f.maxOutputTokens)
		if err != nil {
			return nil, inField("max_output_tokens", err)
		}
		if n < 1 {
			return nil, inField("max_output_tokens", badValue("must be at least 1"))
		}
		s.MaxTokens, used = &n, true
	}
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
	if err := readObjectMembers(v, []string{"effort", "summary", "generate_summary"}, m[:]); err != nil {
		return nil, err
	}
	for i, name := range []string{"summary", "generate_summary"} {
		if present(m[i+1]) {
			if _, err := readString(m[i+1]); err != nil {
				return nil, inField(name, err)
			}
		}
	}
	if !present(m[0]) {
		return nil, nil
	}
	effort, err := readString(m[0])
	if err != nil {
		return nil, inField("effort", err)
	}
	return &inferencev1.Reasoning{Effort: effort, Enabled: effort != "none"}, nil
}

// decodeTextConfig reads text.format (text, json_object, json_schema);
// text.verbosity is a hint kept only in the original body.
func decodeTextConfig(v []byte) (*inferencev1.ResponseFormat, error) {
	var m [1][]byte
	if err := readObjectMembers(v, []string{"format"}, m[:]); err != nil {
		return nil, err
	}
	if !present(m[0]) {
		return nil, nil
	}
	var fm [5][]byte
	if err := readObjectMembers(m[0], []string{"type", "name", "schema", "strict", "description"}, fm[:]); err != nil {
		return nil, inField("format", err)
	}
	if !present(fm[0]) {
		return nil, inField("format", inField("type", errRequired))
	}
	typ, err := readString(fm[0])
	if err != nil {
		return nil, inField("format", inField("type", err))
	}
	rf := &inferencev1.ResponseFormat{Type: typ}
	switch typ {
	case "text", "json_object":
		return rf, nil
	case "json_schema":
	default:
		return nil, inField("format", inField("type", badValue("must be text, json_object or json_schema")))
	}
	if !present(fm[1]) {
		return nil, inField("format", inField("name", errRequired))
	}
	if rf.Name, err = readString(fm[1]); err != nil {
		return nil, inField("format", inField("name", err))
	}
	if present(fm[2]) {
		if fm[2][0] != '{' {
			return nil, inField("format", inField("schema", errNotObject))
		}
		rf.SchemaJson = validUTF8(fm[2])
	}
	if present(fm[3]) {
		if rf.Strict, err = readBool(fm[3]); err != nil {
			return nil, inField("format", inField("strict", err))
		}
	}
	return rf, nil
}

func quote(s string) string { return string(appendString(nil, s)) }
