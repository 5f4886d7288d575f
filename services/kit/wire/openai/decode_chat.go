package openai

import (
	"github.com/tollgate/tollgate/services/kit/wire/internal/jsonx"

	"bytes"
	"encoding/base64"
	"strings"

	inferencev1 "github.com/tollgate/tollgate/gen/go/tollgate/inference/v1"
)

// chatFields holds the raw values of the top-level members the decoder
// knows; nil means absent. Unknown members are validated and left in the
// original body, which same-dialect providers receive.
type chatFields struct {
	model, messages, tools, toolChoice                            []byte
	temperature, topP, maxTokens, maxCompletionTokens, stop, seed []byte
	presencePenalty, frequencyPenalty, n                          []byte
	stream, streamOptions, responseFormat, reasoningEffort, user  []byte
	parallelToolCalls, metadata, clientRequestID, usageContext    []byte
}

func (f *chatFields) set(key []byte, v []byte) {
	switch string(key) {
	case "model":
		f.model = v
	case "messages":
		f.messages = v
	case "tools":
		f.tools = v
	case "tool_choice":
		f.toolChoice = v
	case "temperature":
		f.temperature = v
	case "top_p":
		f.topP = v
	case "max_tokens":
		f.maxTokens = v
	case "max_completion_tokens":
		f.maxCompletionTokens = v
	case "stop":
		f.stop = v
	case "seed":
		f.seed = v
	case "presence_penalty":
		f.presencePenalty = v
	case "frequency_penalty":
		f.frequencyPenalty = v
	case "n":
		f.n = v
	case "stream":
		f.stream = v
	case "stream_options":
		f.streamOptions = v
	case "response_format":
		f.responseFormat = v
	case "reasoning_effort":
		f.reasoningEffort = v
	case "user":
		f.user = v
	case "parallel_tool_calls":
		f.parallelToolCalls = v
	case "metadata":
		f.metadata = v
	case gatewayFieldClientRequestID:
		f.clientRequestID = v
	case gatewayFieldUsageContext:
		f.usageContext = v
	}
}

// DecodeChatRequest decodes and validates an OpenAI Chat Completions request
// body into the canonical model. Errors are *errs.Error of kind
// InvalidArgument naming the offending field (Param "messages[1].role").
// The returned request keeps body as Source.OriginalBody without copying it:
// the caller must not modify body afterwards. Gateway extras
// (client_request_id, usage_context) are validated but not returned; use
// DecodeChatRequestExtras or DecodeGatewayExtras to read them.
func DecodeChatRequest(body []byte) (*inferencev1.ChatRequest, error) {
	r, _, err := DecodeChatRequestExtras(body)
	return r, err
}

// DecodeChatRequestExtras is DecodeChatRequest that also returns the
// Databricks-style gateway fields of the same body, in one pass.
func DecodeChatRequestExtras(body []byte) (*inferencev1.ChatRequest, GatewayExtras, error) {
	var f chatFields
	if err := jsonx.ScanTopLevel(body, f.set); err != nil {
		return nil, GatewayExtras{}, jsonx.ToInvalid(err)
	}
	d := new(decodedChat)
	r := &d.request
	if err := f.decode(r); err != nil {
		return nil, GatewayExtras{}, jsonx.ToInvalid(err)
	}
	extras, err := decodeExtras(f.clientRequestID, f.usageContext)
	if err != nil {
		return nil, GatewayExtras{}, jsonx.ToInvalid(err)
	}
	d.source = inferencev1.Source{
		Dialect:      inferencev1.Dialect_DIALECT_OPENAI_CHAT,
		OriginalBody: body,
		ClientModel:  r.Model,
	}
	r.Source = &d.source
	return r, extras, nil
}

// decodedChat is a decoded request with its source, in one allocation.
type decodedChat struct {
	request inferencev1.ChatRequest
	source  inferencev1.Source
}

func (f *chatFields) decode(r *inferencev1.ChatRequest) error {
	var err error
	if !jsonx.Present(f.model) {
		return jsonx.InField("model", jsonx.ErrRequired)
	}
	if r.Model, err = jsonx.ReadString(f.model); err != nil {
		return jsonx.InField("model", err)
	}
	if r.Model == "" {
		return jsonx.InField("model", jsonx.BadValue("must not be empty"))
	}
	if r.Messages, err = decodeMessages(f.messages); err != nil {
		return jsonx.InField("messages", err)
	}
	if jsonx.Present(f.tools) {
		if r.Tools, err = decodeTools(f.tools); err != nil {
			return jsonx.InField("tools", err)
		}
	}
	if jsonx.Present(f.toolChoice) {
		if r.ToolChoice, err = decodeToolChoice(f.toolChoice); err != nil {
			return jsonx.InField("tool_choice", err)
		}
	}
	if r.Sampling, err = f.decodeSampling(); err != nil {
		return err
	}
	if jsonx.Present(f.stream) {
		if r.Stream, err = jsonx.ReadBool(f.stream); err != nil {
			return jsonx.InField("stream", err)
		}
	}
	if jsonx.Present(f.streamOptions) {
		if r.IncludeUsage, err = decodeStreamOptions(f.streamOptions); err != nil {
			return jsonx.InField("stream_options", err)
		}
	}
	if jsonx.Present(f.responseFormat) {
		if r.ResponseFormat, err = decodeResponseFormat(f.responseFormat); err != nil {
			return jsonx.InField("response_format", err)
		}
	}
	if jsonx.Present(f.reasoningEffort) {
		effort, err := jsonx.ReadString(f.reasoningEffort)
		if err != nil {
			return jsonx.InField("reasoning_effort", err)
		}
		r.Reasoning = &inferencev1.Reasoning{Effort: effort, Enabled: effort != "none"}
	}
	if jsonx.Present(f.user) {
		if r.User, err = jsonx.ReadString(f.user); err != nil {
			return jsonx.InField("user", err)
		}
	}
	if jsonx.Present(f.parallelToolCalls) {
		b, err := jsonx.ReadBool(f.parallelToolCalls)
		if err != nil {
			return jsonx.InField("parallel_tool_calls", err)
		}
		r.ParallelToolCalls = &b
	}
	if jsonx.Present(f.metadata) {
		if r.Metadata, err = jsonx.ReadStringMap(f.metadata); err != nil {
			return jsonx.InField("metadata", err)
		}
	}
	return nil
}

func (f *chatFields) decodeSampling() (*inferencev1.Sampling, error) {
	if !jsonx.Present(f.temperature) && !jsonx.Present(f.topP) && !jsonx.Present(f.presencePenalty) &&
		!jsonx.Present(f.frequencyPenalty) && !jsonx.Present(f.maxTokens) && !jsonx.Present(f.maxCompletionTokens) &&
		!jsonx.Present(f.n) && !jsonx.Present(f.seed) && !jsonx.Present(f.stop) {
		return nil, nil // nothing to read: no Sampling to allocate
	}
	s := &inferencev1.Sampling{}
	var opt jsonx.Optionals
	opt.Float("temperature", f.temperature, &s.Temperature)
	opt.Float("top_p", f.topP, &s.TopP)
	opt.Float("presence_penalty", f.presencePenalty, &s.PresencePenalty)
	opt.Float("frequency_penalty", f.frequencyPenalty, &s.FrequencyPenalty)
	opt.Count("max_tokens", f.maxTokens, &s.MaxTokens)
	// max_completion_tokens supersedes max_tokens when both are sent.
	opt.Count("max_completion_tokens", f.maxCompletionTokens, &s.MaxTokens)
	opt.Count("n", f.n, &s.N)
	if opt.Err != nil {
		return nil, opt.Err
	}
	used := opt.Set
	if jsonx.Present(f.seed) {
		x, err := jsonx.ReadInt64(f.seed)
		if err != nil {
			return nil, jsonx.InField("seed", err)
		}
		s.Seed, used = &x, true
	}
	if jsonx.Present(f.stop) {
		stop, err := decodeStop(f.stop)
		if err != nil {
			return nil, jsonx.InField("stop", err)
		}
		s.Stop, used = stop, used || len(stop) > 0
	}
	if !used {
		return nil, nil
	}
	return s, nil
}

// decodeStop reads stop as a string or an array of strings.
func decodeStop(v []byte) ([]string, error) {
	if v[0] == '"' {
		s, err := jsonx.ReadString(v)
		return []string{s}, err
	}
	out, err := jsonx.ReadStringArray(v)
	if err == jsonx.ErrNotArray {
		return nil, &jsonx.TypeError{Want: "a string or an array of strings"}
	}
	return out, err
}

func decodeStreamOptions(v []byte) (bool, error) {
	var includeUsage [1][]byte
	if err := jsonx.ReadObjectMembers(v, []string{"include_usage"}, includeUsage[:]); err != nil {
		return false, err
	}
	if !jsonx.Present(includeUsage[0]) {
		return false, nil
	}
	b, err := jsonx.ReadBool(includeUsage[0])
	if err != nil {
		return false, jsonx.InField("include_usage", err)
	}
	return b, nil
}

func decodeResponseFormat(v []byte) (*inferencev1.ResponseFormat, error) {
	var m [2][]byte
	if err := jsonx.ReadObjectMembers(v, []string{"type", "json_schema"}, m[:]); err != nil {
		return nil, err
	}
	if !jsonx.Present(m[0]) {
		return nil, jsonx.InField("type", jsonx.ErrRequired)
	}
	typ, err := jsonx.ReadString(m[0])
	if err != nil {
		return nil, jsonx.InField("type", err)
	}
	rf := &inferencev1.ResponseFormat{Type: typ}
	switch typ {
	case "text", "json_object":
	case "json_schema":
		if !jsonx.Present(m[1]) {
			return nil, jsonx.InField("json_schema", jsonx.ErrRequired)
		}
		if err := decodeJSONSchema(m[1], rf); err != nil {
			return nil, jsonx.InField("json_schema", err)
		}
	default:
		return nil, jsonx.InField("type", jsonx.BadValue("must be text, json_object or json_schema"))
	}
	return rf, nil
}

func decodeJSONSchema(v []byte, rf *inferencev1.ResponseFormat) error {
	var m [3][]byte
	if err := jsonx.ReadObjectMembers(v, []string{"name", "schema", "strict"}, m[:]); err != nil {
		return err
	}
	var err error
	if !jsonx.Present(m[0]) {
		return jsonx.InField("name", jsonx.ErrRequired)
	}
	if rf.Name, err = jsonx.ReadString(m[0]); err != nil {
		return jsonx.InField("name", err)
	}
	if jsonx.Present(m[1]) {
		if m[1][0] != '{' {
			return jsonx.InField("schema", jsonx.ErrNotObject)
		}
		rf.SchemaJson = jsonx.ValidUTF8(m[1])
	}
	if jsonx.Present(m[2]) {
		if rf.Strict, err = jsonx.ReadBool(m[2]); err != nil {
			return jsonx.InField("strict", err)
		}
	}
	return nil
}

func decodeMessages(v []byte) ([]*inferencev1.Message, error) {
	if !jsonx.Present(v) {
		return nil, jsonx.ErrRequired
	}
	var out []*inferencev1.Message
	_, err := jsonx.ScanArray(v, 0, func(i, start, end int) error {
		m, err := decodeMessage(v[start:end])
		if err != nil {
			return jsonx.InIndex(i, err)
		}
		out = append(out, m)
		return nil
	})
	if err == jsonx.ErrNotArray {
		return nil, jsonx.ErrNotArray
	}
	if err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, jsonx.BadValue("must contain at least one message")
	}
	return out, nil
}

var roles = map[string]inferencev1.Role{
	"system":    inferencev1.Role_ROLE_SYSTEM,
	"developer": inferencev1.Role_ROLE_DEVELOPER,
	"user":      inferencev1.Role_ROLE_USER,
	"assistant": inferencev1.Role_ROLE_ASSISTANT,
	"tool":      inferencev1.Role_ROLE_TOOL,
}

func decodeMessage(v []byte) (*inferencev1.Message, error) {
	var role, content, name, toolCalls, toolCallID []byte
	_, err := jsonx.ScanObject(v, 0, func(m jsonx.Member) error {
		val := v[m.ValStart:m.ValEnd]
		switch string(jsonx.KeyOf(v, &m)) {
		case "role":
			role = val
		case "content":
			content = val
		case "name":
			name = val
		case "tool_calls":
			toolCalls = val
		case "tool_call_id":
			toolCallID = val
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	var msg *inferencev1.Message
	var text *textMessage
	if jsonx.Present(content) && content[0] == '"' {
		text = new(textMessage)
		msg = &text.message
	} else {
		msg = &inferencev1.Message{}
	}
	if !jsonx.Present(role) {
		return nil, jsonx.InField("role", jsonx.ErrRequired)
	}
	var ok bool
	if msg.Role, ok = knownRole(role); !ok {
		roleName, err := jsonx.ReadString(role)
		if err != nil {
			return nil, jsonx.InField("role", err)
		}
		if msg.Role, ok = roles[roleName]; !ok {
			return nil, jsonx.InField("role", jsonx.BadValue("must be one of system, developer, user, assistant, tool"))
		}
	}
	if jsonx.Present(name) {
		if msg.Name, err = jsonx.ReadString(name); err != nil {
			return nil, jsonx.InField("name", err)
		}
	}
	if jsonx.Present(toolCalls) {
		if msg.Role != inferencev1.Role_ROLE_ASSISTANT {
			return nil, jsonx.InField("tool_calls", jsonx.BadValue("is only allowed on assistant messages"))
		}
		if msg.ToolCalls, err = decodeToolCalls(toolCalls); err != nil {
			return nil, jsonx.InField("tool_calls", err)
		}
	}
	if msg.Role == inferencev1.Role_ROLE_TOOL {
		if !jsonx.Present(toolCallID) {
			return nil, jsonx.InField("tool_call_id", jsonx.ErrRequired)
		}
		if msg.ToolCallId, err = jsonx.ReadString(toolCallID); err != nil {
			return nil, jsonx.InField("tool_call_id", err)
		}
	}
	if !jsonx.Present(content) {
		// Only an assistant turn may omit content (when it carries tool calls).
		if msg.Role != inferencev1.Role_ROLE_ASSISTANT {
			return nil, jsonx.InField("content", jsonx.ErrRequired)
		}
		return msg, nil
	}
	if text != nil {
		if text.text.Text, err = jsonx.ReadString(content); err != nil {
			return nil, jsonx.InField("content", err)
		}
		text.part.Part = &text.text
		text.parts[0] = &text.part
		msg.Content = text.parts[:]
		return msg, nil
	}
	if msg.Content, err = decodeContent(content); err != nil {
		return nil, jsonx.InField("content", err)
	}
	return msg, nil
}

// textMessage is a message whose content is one string, with its one text
// part, in one allocation.
type textMessage struct {
	message inferencev1.Message
	part    inferencev1.ContentPart
	text    inferencev1.ContentPart_Text
	parts   [1]*inferencev1.ContentPart
}

// knownRole looks up a role given as a plain JSON string (no escapes)
// without making a string of it; ok is false for anything else, which the
// caller reads the general way.
func knownRole(v []byte) (inferencev1.Role, bool) {
	if len(v) < 2 || v[0] != '"' || bytes.IndexByte(v, '\\') >= 0 {
		return 0, false
	}
	r, ok := roles[string(v[1:len(v)-1])]
	return r, ok
}

// decodeContent reads a string or an array of content parts. Part types the
// canonical model has no place for are skipped: same-dialect providers still
// see them in the original body.
func decodeContent(v []byte) ([]*inferencev1.ContentPart, error) {
	if v[0] == '"' {
		s, err := jsonx.ReadString(v)
		if err != nil {
			return nil, err
		}
		return []*inferencev1.ContentPart{{Part: &inferencev1.ContentPart_Text{Text: s}}}, nil
	}
	var out []*inferencev1.ContentPart
	_, err := jsonx.ScanArray(v, 0, func(i, start, end int) error {
		p, err := decodePart(v[start:end])
		if err != nil {
			return jsonx.InIndex(i, err)
		}
		if p != nil {
			out = append(out, p)
		}
		return nil
	})
	if err == jsonx.ErrNotArray {
		return nil, &jsonx.TypeError{Want: "a string or an array of content parts"}
	}
	return out, err
}

var partKeys = []string{"type", "text", "image_url", "input_audio", "file", "refusal"}

func decodePart(v []byte) (*inferencev1.ContentPart, error) {
	var m [6][]byte
	if err := jsonx.ReadObjectMembers(v, partKeys, m[:]); err != nil {
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
	case "text", "refusal":
		field, raw := "text", m[1]
		if typ == "refusal" {
			field, raw = "refusal", m[5]
		}
		if !jsonx.Present(raw) {
			return nil, jsonx.InField(field, jsonx.ErrRequired)
		}
		s, err := jsonx.ReadString(raw)
		if err != nil {
			return nil, jsonx.InField(field, err)
		}
		return &inferencev1.ContentPart{Part: &inferencev1.ContentPart_Text{Text: s}}, nil
	case "image_url":
		img, err := decodeImageURL(m[2])
		if err != nil {
			return nil, jsonx.InField("image_url", err)
		}
		return &inferencev1.ContentPart{Part: &inferencev1.ContentPart_Image{Image: img}}, nil
	case "input_audio":
		a, err := decodeInputAudio(m[3])
		if err != nil {
			return nil, jsonx.InField("input_audio", err)
		}
		return &inferencev1.ContentPart{Part: &inferencev1.ContentPart_Audio{Audio: a}}, nil
	case "file":
		f, err := decodeFile(m[4])
		if err != nil {
			return nil, jsonx.InField("file", err)
		}
		return &inferencev1.ContentPart{Part: &inferencev1.ContentPart_File{File: f}}, nil
	}
	return nil, nil
}

func decodeImageURL(v []byte) (*inferencev1.Image, error) {
	if !jsonx.Present(v) {
		return nil, jsonx.ErrRequired
	}
	if v[0] == '"' { // some clients send the URL directly
		u, err := jsonx.ReadString(v)
		return &inferencev1.Image{Url: u}, err
	}
	var m [2][]byte
	if err := jsonx.ReadObjectMembers(v, []string{"url", "detail"}, m[:]); err != nil {
		return nil, err
	}
	if !jsonx.Present(m[0]) {
		return nil, jsonx.InField("url", jsonx.ErrRequired)
	}
	img := &inferencev1.Image{}
	var err error
	if img.Url, err = jsonx.ReadString(m[0]); err != nil {
		return nil, jsonx.InField("url", err)
	}
	if jsonx.Present(m[1]) {
		if img.Detail, err = jsonx.ReadString(m[1]); err != nil {
			return nil, jsonx.InField("detail", err)
		}
	}
	if mt, _, ok := splitDataURL(img.Url); ok {
		img.MediaType = mt
	}
	return img, nil
}

func decodeInputAudio(v []byte) (*inferencev1.Audio, error) {
	if !jsonx.Present(v) {
		return nil, jsonx.ErrRequired
	}
	var m [2][]byte
	if err := jsonx.ReadObjectMembers(v, []string{"data", "format"}, m[:]); err != nil {
		return nil, err
	}
	a := &inferencev1.Audio{}
	if !jsonx.Present(m[0]) {
		return nil, jsonx.InField("data", jsonx.ErrRequired)
	}
	data, err := jsonx.ReadString(m[0])
	if err != nil {
		return nil, jsonx.InField("data", err)
	}
	if a.Data, err = base64.StdEncoding.DecodeString(data); err != nil {
		return nil, jsonx.InField("data", jsonx.BadValue("must be base64"))
	}
	if jsonx.Present(m[1]) {
		if a.Format, err = jsonx.ReadString(m[1]); err != nil {
			return nil, jsonx.InField("format", err)
		}
	}
	return a, nil
}

func decodeFile(v []byte) (*inferencev1.File, error) {
	if !jsonx.Present(v) {
		return nil, jsonx.ErrRequired
	}
	var m [3][]byte
	if err := jsonx.ReadObjectMembers(v, []string{"file_data", "file_id", "filename"}, m[:]); err != nil {
		return nil, err
	}
	f := &inferencev1.File{}
	var err error
	if jsonx.Present(m[1]) {
		if f.FileId, err = jsonx.ReadString(m[1]); err != nil {
			return nil, jsonx.InField("file_id", err)
		}
	}
	if jsonx.Present(m[2]) {
		if f.Filename, err = jsonx.ReadString(m[2]); err != nil {
			return nil, jsonx.InField("filename", err)
		}
	}
	if jsonx.Present(m[0]) {
		data, err := jsonx.ReadString(m[0])
		if err != nil {
			return nil, jsonx.InField("file_data", err)
		}
		payload := data
		if mt, b64, ok := splitDataURL(data); ok {
			f.MediaType, payload = mt, b64
		}
		if f.Data, err = base64.StdEncoding.DecodeString(payload); err != nil {
			return nil, jsonx.InField("file_data", jsonx.BadValue("must be a base64 data URL"))
		}
	}
	if f.FileId == "" && f.Data == nil {
		return nil, jsonx.BadValue("needs file_id or file_data")
	}
	return f, nil
}

// splitDataURL splits "data:<media type>;base64,<payload>".
func splitDataURL(u string) (mediaType, payload string, ok bool) {
	rest, found := strings.CutPrefix(u, "data:")
	if !found {
		return "", "", false
	}
	meta, payload, found := strings.Cut(rest, ",")
	if !found {
		return "", "", false
	}
	mediaType, isBase64 := strings.CutSuffix(meta, ";base64")
	if !isBase64 {
		return "", "", false
	}
	return mediaType, payload, true
}

func decodeToolCalls(v []byte) ([]*inferencev1.ToolCall, error) {
	var out []*inferencev1.ToolCall
	_, err := jsonx.ScanArray(v, 0, func(i, start, end int) error {
		tc, err := decodeToolCall(v[start:end])
		if err != nil {
			return jsonx.InIndex(i, err)
		}
		if tc != nil {
			out = append(out, tc)
		}
		return nil
	})
	return out, err
}

func decodeToolCall(v []byte) (*inferencev1.ToolCall, error) {
	var m [3][]byte
	if err := jsonx.ReadObjectMembers(v, []string{"id", "type", "function"}, m[:]); err != nil {
		return nil, err
	}
	tc := &inferencev1.ToolCall{}
	var err error
	if !jsonx.Present(m[0]) {
		return nil, jsonx.InField("id", jsonx.ErrRequired)
	}
	if tc.Id, err = jsonx.ReadString(m[0]); err != nil {
		return nil, jsonx.InField("id", err)
	}
	if jsonx.Present(m[1]) {
		typ, err := jsonx.ReadString(m[1])
		if err != nil {
			return nil, jsonx.InField("type", err)
		}
		if typ != "function" {
			return nil, nil // custom tool calls have no canonical form yet
		}
	}
	if !jsonx.Present(m[2]) {
		return nil, jsonx.InField("function", jsonx.ErrRequired)
	}
	var fn [2][]byte
	if err := jsonx.ReadObjectMembers(m[2], []string{"name", "arguments"}, fn[:]); err != nil {
		return nil, jsonx.InField("function", err)
	}
	if !jsonx.Present(fn[0]) {
		return nil, jsonx.InField("function", jsonx.InField("name", jsonx.ErrRequired))
	}
	if tc.Name, err = jsonx.ReadString(fn[0]); err != nil {
		return nil, jsonx.InField("function", jsonx.InField("name", err))
	}
	if jsonx.Present(fn[1]) {
		if tc.ArgumentsJson, err = jsonx.ReadString(fn[1]); err != nil {
			return nil, jsonx.InField("function", jsonx.InField("arguments", err))
		}
	}
	return tc, nil
}

func decodeTools(v []byte) ([]*inferencev1.Tool, error) {
	var out []*inferencev1.Tool
	_, err := jsonx.ScanArray(v, 0, func(i, start, end int) error {
		t, err := decodeTool(v[start:end])
		if err != nil {
			return jsonx.InIndex(i, err)
		}
		out = append(out, t)
		return nil
	})
	return out, err
}

func decodeTool(v []byte) (*inferencev1.Tool, error) {
	var m [2][]byte
	if err := jsonx.ReadObjectMembers(v, []string{"type", "function"}, m[:]); err != nil {
		return nil, err
	}
	if !jsonx.Present(m[0]) {
		return nil, jsonx.InField("type", jsonx.ErrRequired)
	}
	typ, err := jsonx.ReadString(m[0])
	if err != nil {
		return nil, jsonx.InField("type", err)
	}
	if typ != "function" {
		// Provider-native tools travel as the client wrote them.
		return &inferencev1.Tool{Type: typ, RawJson: jsonx.ValidUTF8(v)}, nil
	}
	if !jsonx.Present(m[1]) {
		return nil, jsonx.InField("function", jsonx.ErrRequired)
	}
	t := &inferencev1.Tool{Type: typ}
	if err := decodeFunctionDef(m[1], t); err != nil {
		return nil, jsonx.InField("function", err)
	}
	return t, nil
}

func decodeFunctionDef(v []byte, t *inferencev1.Tool) error {
	var m [4][]byte
	if err := jsonx.ReadObjectMembers(v, []string{"name", "description", "parameters", "strict"}, m[:]); err != nil {
		return err
	}
	var err error
	if !jsonx.Present(m[0]) {
		return jsonx.InField("name", jsonx.ErrRequired)
	}
	if t.Name, err = jsonx.ReadString(m[0]); err != nil {
		return jsonx.InField("name", err)
	}
	if t.Name == "" {
		return jsonx.InField("name", jsonx.BadValue("must not be empty"))
	}
	if jsonx.Present(m[1]) {
		if t.Description, err = jsonx.ReadString(m[1]); err != nil {
			return jsonx.InField("description", err)
		}
	}
	if jsonx.Present(m[2]) {
		if m[2][0] != '{' {
			return jsonx.InField("parameters", jsonx.ErrNotObject)
		}
		t.ParametersJson = jsonx.ValidUTF8(m[2])
	}
	if jsonx.Present(m[3]) {
		if t.Strict, err = jsonx.ReadBool(m[3]); err != nil {
			return jsonx.InField("strict", err)
		}
	}
	return nil
}

func decodeToolChoice(v []byte) (*inferencev1.ToolChoice, error) {
	if v[0] == '"' {
		s, err := jsonx.ReadString(v)
		if err != nil {
			return nil, err
		}
		switch s {
		case "auto":
			return &inferencev1.ToolChoice{Mode: inferencev1.ToolChoiceMode_TOOL_CHOICE_MODE_AUTO}, nil
		case "none":
			return &inferencev1.ToolChoice{Mode: inferencev1.ToolChoiceMode_TOOL_CHOICE_MODE_NONE}, nil
		case "required":
			return &inferencev1.ToolChoice{Mode: inferencev1.ToolChoiceMode_TOOL_CHOICE_MODE_REQUIRED}, nil
		}
		return nil, jsonx.BadValue("must be auto, none, required or an object naming a function")
	}
	var m [2][]byte
	if err := jsonx.ReadObjectMembers(v, []string{"type", "function"}, m[:]); err != nil {
		if err == jsonx.ErrNotObject {
			return nil, &jsonx.TypeError{Want: "a string or an object"}
		}
		return nil, err
	}
	if !jsonx.Present(m[0]) {
		return nil, jsonx.InField("type", jsonx.ErrRequired)
	}
	typ, err := jsonx.ReadString(m[0])
	if err != nil {
		return nil, jsonx.InField("type", err)
	}
	if typ != "function" {
		return nil, nil // allowed_tools, custom: no canonical form yet
	}
	if !jsonx.Present(m[1]) {
		return nil, jsonx.InField("function", jsonx.ErrRequired)
	}
	var name [1][]byte
	if err := jsonx.ReadObjectMembers(m[1], []string{"name"}, name[:]); err != nil {
		return nil, jsonx.InField("function", err)
	}
	if !jsonx.Present(name[0]) {
		return nil, jsonx.InField("function", jsonx.InField("name", jsonx.ErrRequired))
	}
	fn, err := jsonx.ReadString(name[0])
	if err != nil {
		return nil, jsonx.InField("function", jsonx.InField("name", err))
	}
	return &inferencev1.ToolChoice{Mode: inferencev1.ToolChoiceMode_TOOL_CHOICE_MODE_FUNCTION, FunctionName: fn}, nil
}
