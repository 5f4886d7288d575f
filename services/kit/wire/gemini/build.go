package gemini

import (
	"github.com/tollgate/tollgate/services/kit/wire/internal/jsonx"

	"encoding/json"
	"strconv"
	"strings"

	inferencev1 "github.com/tollgate/tollgate/gen/go/tollgate/inference/v1"
	"github.com/tollgate/tollgate/services/kit/errs"
)

// The provider side: canonical requests to Gemini bodies. It is used when
// the client spoke another dialect; same-dialect requests are forwarded
// with RewriteForUpstream instead.

// DummyThoughtSignature is the value Google documents for function calls
// that Gemini did not generate (history from another model): it tells
// Gemini 3, which rejects unsigned calls in the current turn, to skip
// signature validation.
const DummyThoughtSignature = "skip_thought_signature_validator"

// BuildOptions adapt request building to a provider.
type BuildOptions struct {
	// JSONSchema sends function parameters and response schemas as plain
	// JSON Schema (parametersJsonSchema, responseJsonSchema) even when
	// Gemini's own Schema could express them.
	JSONSchema bool
}

// BuildRequest writes a canonical request as a Gemini generateContent body
// with the default options; see BuildRequestWithOptions.
func BuildRequest(r *inferencev1.ChatRequest, model string) ([]byte, error) {
	return BuildRequestWithOptions(r, model, BuildOptions{})
}

// BuildRequestWithOptions writes a canonical request as a Gemini
// generateContent body, the same for the Gemini API and Vertex AI. The
// model and the streaming choice go in the URL (GenerateURL), not the body;
// model is used only to pick how thinking is configured.
//
// System and developer messages become systemInstruction; assistant turns
// role "model" with tool calls as functionCall parts (args an object, the
// call id kept, the signature as thoughtSignature, and Google's dummy
// signature on the first call of a turn that has none, which Gemini 3
// requires); tool results become functionResponse parts of one user turn,
// named after the call they answer ({"output": text}, {"error": text} for
// failures, or the text itself when it is a JSON object), and consecutive
// turns of one role merge. Images, audio and files go inline (inlineData)
// or by URL (fileData). JSON Schema becomes Gemini's Schema where it can
// say the same thing, and is sent as parametersJsonSchema otherwise.
//
// What Gemini cannot take is an *errs.Error of kind InvalidArgument naming
// the field: a tool result whose call is unknown, images by URL without a
// recognisable type, files by another provider's id, and provider-native
// tools of another dialect (web search becomes googleSearch). Dropped
// without error, because they do not change what is asked: user, metadata,
// parallel_tool_calls, tool strictness, message names, and opaque reasoning
// of other providers (encrypted content).
func BuildRequestWithOptions(r *inferencev1.ChatRequest, model string, opts BuildOptions) ([]byte, error) {
	w := GenerateContentRequest{}
	var err *errs.Error // not error: a nil *errs.Error must stay a nil error
	if w.SystemInstruction, w.Contents, err = buildContents(r.GetMessages()); err != nil {
		return nil, err
	}
	if w.Tools, err = buildTools(r.GetTools(), opts); err != nil {
		return nil, err
	}
	if len(w.Tools) > 0 {
		w.ToolConfig = buildToolConfig(r.GetToolChoice())
	}
	if w.GenerationConfig, err = buildGenerationConfig(r, model, opts); err != nil {
		return nil, err
	}
	if len(w.Contents) == 0 {
		return nil, errs.Invalid("messages", "a Gemini model needs at least one user or assistant message")
	}
	raw, jerr := json.Marshal(&w)
	if jerr != nil {
		return nil, errs.Invalid("", "the request cannot be written for a Gemini model: %v", jerr)
	}
	return raw, nil
}

// contentBuilder accumulates Gemini turns from canonical messages.
type contentBuilder struct {
	contents []Content
	// callNames maps tool call ids to function names, for responses that
	// do not name their function.
	callNames map[string]string
}

// buildContents splits canonical messages into the system instruction and
// the turns.
func buildContents(msgs []*inferencev1.Message) (*Content, []Content, *errs.Error) {
	var system *Content
	cb := contentBuilder{contents: make([]Content, 0, len(msgs))}
	for i, m := range msgs {
		at := "messages[" + strconv.Itoa(i) + "]"
		switch m.GetRole() {
		case inferencev1.Role_ROLE_SYSTEM, inferencev1.Role_ROLE_DEVELOPER:
			parts, err := cb.userParts(m.GetContent(), at)
			if err != nil {
				return nil, nil, err
			}
			if len(parts) == 0 {
				continue
			}
			if system == nil {
				system = &Content{Role: "user"}
			}
			system.Parts = append(system.Parts, parts...)
		case inferencev1.Role_ROLE_USER:
			parts, err := cb.userParts(m.GetContent(), at)
			if err != nil {
				return nil, nil, err
			}
			cb.add("user", parts)
		case inferencev1.Role_ROLE_TOOL:
			part, err := cb.functionResponse(m.GetToolCallId(), m.GetName(), m.GetContent(), false, at)
			if err != nil {
				return nil, nil, err
			}
			cb.add("user", []Part{part})
		case inferencev1.Role_ROLE_ASSISTANT:
			parts, err := cb.modelParts(m, at)
			if err != nil {
				return nil, nil, err
			}
			cb.add("model", parts)
		default:
			return nil, nil, errs.Invalid(at+".role", "%s.role %v has no Gemini equivalent", at, m.GetRole())
		}
	}
	return system, cb.contents, nil
}

// add appends parts as a turn of role. Function responses join the user
// turn before them when it holds responses too, and so does what follows
// them in a user turn: Gemini wants all responses to one turn's calls in
// the single user turn after it. Other turns stay as the client split them.
func (cb *contentBuilder) add(role string, parts []Part) {
	if len(parts) == 0 {
		return
	}
	if n := len(cb.contents); n > 0 && role == "user" && cb.contents[n-1].Role == role && hasFunctionResponse(cb.contents[n-1].Parts) {
		prev := &cb.contents[n-1]
		prev.Parts = append(prev.Parts, parts...)
		return
	}
	cb.contents = append(cb.contents, Content{Role: role, Parts: parts})
}

func hasFunctionResponse(parts []Part) bool {
	for i := range parts {
		if parts[i].FunctionResponse != nil {
			return true
		}
	}
	return false
}

func textPart(s string) Part { return Part{Text: &s} }

// userParts converts user (or system) content. Reasoning is left out: only
// model turns carry it.
func (cb *contentBuilder) userParts(content []*inferencev1.ContentPart, at string) ([]Part, *errs.Error) {
	out := make([]Part, 0, len(content))
	for j, p := range content {
		field := at + ".content[" + strconv.Itoa(j) + "]"
		switch x := p.GetPart().(type) {
		case *inferencev1.ContentPart_Text:
			out = append(out, textPart(x.Text))
		case *inferencev1.ContentPart_Image:
			part, err := imagePart(x.Image, field)
			if err != nil {
				return nil, err
			}
			out = append(out, part)
		case *inferencev1.ContentPart_Audio:
			out = append(out, Part{InlineData: &Blob{MimeType: audioMimeType(x.Audio.GetFormat()), Data: encodeBase64(x.Audio.GetData())}})
		case *inferencev1.ContentPart_File:
			part, err := filePart(x.File, field)
			if err != nil {
				return nil, err
			}
			out = append(out, part)
		case *inferencev1.ContentPart_ToolResult:
			tr := x.ToolResult
			part, err := cb.functionResponse(tr.GetToolCallId(), tr.GetName(), tr.GetContent(), tr.GetIsError(), field)
			if err != nil {
				return nil, err
			}
			out = append(out, part)
		}
	}
	// Gemini wants a turn's function responses before its other parts.
	for i := 1; i < len(out); i++ {
		if out[i].FunctionResponse != nil && out[i-1].FunctionResponse == nil {
			return responsesFirst(out), nil
		}
	}
	return out, nil
}

func responsesFirst(parts []Part) []Part {
	out := make([]Part, 0, len(parts))
	for _, p := range parts {
		if p.FunctionResponse != nil {
			out = append(out, p)
		}
	}
	for _, p := range parts {
		if p.FunctionResponse == nil {
			out = append(out, p)
		}
	}
	return out
}

// modelParts converts an assistant turn: text and media in order, each
// carrying the signature of the reasoning before it, then the tool calls.
func (cb *contentBuilder) modelParts(m *inferencev1.Message, at string) ([]Part, *errs.Error) {
	out := make([]Part, 0, len(m.GetContent())+len(m.GetToolCalls()))
	pending := ""
	for j, p := range m.GetContent() {
		switch x := p.GetPart().(type) {
		case *inferencev1.ContentPart_Reasoning:
			if sig := x.Reasoning.GetSignature(); sig != "" {
				pending = sig
			}
		case *inferencev1.ContentPart_Text:
			part := textPart(x.Text)
			part.ThoughtSignature, pending = pending, ""
			out = append(out, part)
		case *inferencev1.ContentPart_Image:
			part, err := imagePart(x.Image, at+".content["+strconv.Itoa(j)+"]")
			if err != nil {
				return nil, err
			}
			part.ThoughtSignature, pending = pending, ""
			out = append(out, part)
		default:
			field := at + ".content[" + strconv.Itoa(j) + "]"
			return nil, errs.Invalid(field, "%s: a Gemini model turn can hold only text, images, thinking and function calls", field)
		}
	}
	signed := false
	for _, tc := range m.GetToolCalls() {
		signed = signed || tc.GetSignature() != ""
	}
	for j, tc := range m.GetToolCalls() {
		args := strings.TrimSpace(tc.GetArgumentsJson())
		if args == "" {
			args = "{}"
		}
		if !isJSONObject(args) {
			field := at + ".tool_calls[" + strconv.Itoa(j) + "].arguments"
			return nil, errs.Invalid(field, "%s must be a JSON object for a Gemini model", field)
		}
		part := Part{FunctionCall: &FunctionCall{ID: tc.GetId(), Name: tc.GetName(), Args: json.RawMessage(args)},
			ThoughtSignature: tc.GetSignature()}
		if j == 0 && !signed {
			// The first call signs the turn: the reasoning's signature when
			// it came before the calls, otherwise the documented dummy.
			part.ThoughtSignature, pending = pending, ""
			if part.ThoughtSignature == "" {
				part.ThoughtSignature = DummyThoughtSignature
			}
		}
		if cb.callNames == nil {
			cb.callNames = make(map[string]string)
		}
		cb.callNames[tc.GetId()] = tc.GetName()
		out = append(out, part)
	}
	if pending != "" {
		out = append(out, Part{Text: new(string), ThoughtSignature: pending})
	}
	return out, nil
}

// functionResponse writes a tool result. The function's name is the
// result's own or that of the call with the same id.
func (cb *contentBuilder) functionResponse(id, name string, content []*inferencev1.ContentPart, isError bool, at string) (Part, *errs.Error) {
	if name == "" {
		name = cb.callNames[id]
	}
	if name == "" {
		return Part{}, errs.Invalid(at+".tool_call_id", "%s.tool_call_id %q answers no earlier tool call; a Gemini model needs the function's name", at, id)
	}
	fr := &FunctionResponse{ID: id, Name: name}
	var text strings.Builder
	for j, p := range content {
		switch x := p.GetPart().(type) {
		case *inferencev1.ContentPart_Text:
			text.WriteString(x.Text)
		case *inferencev1.ContentPart_Image:
			if len(x.Image.GetData()) == 0 {
				mt, payload, ok := splitDataURL(x.Image.GetUrl())
				data, okData := decodeBytes(payload)
				if !ok || !okData {
					field := at + ".content[" + strconv.Itoa(j) + "]"
					return Part{}, errs.Invalid(field, "%s: a Gemini function response takes images inline only", field)
				}
				fr.Parts = append(fr.Parts, FunctionResponsePart{InlineData: &Blob{MimeType: mt, Data: encodeBase64(data)}})
				continue
			}
			fr.Parts = append(fr.Parts, FunctionResponsePart{InlineData: &Blob{MimeType: x.Image.GetMediaType(), Data: encodeBase64(x.Image.GetData())}})
		default:
			field := at + ".content[" + strconv.Itoa(j) + "]"
			return Part{}, errs.Invalid(field, "%s: a Gemini function response holds only text and images", field)
		}
	}
	fr.Response = responseObject(text.String(), isError)
	return Part{FunctionResponse: fr}, nil
}

// responseObject is the response object of a tool result: the text itself
// when it is a JSON object (the common shape of tool output, and what a
// Gemini client sent), otherwise {"output": text}, or {"error": text} for a
// failed call, as Google's documentation asks.
func responseObject(text string, isError bool) json.RawMessage {
	if !isError && isJSONObject(text) {
		return json.RawMessage(text)
	}
	key := `{"output":`
	if isError {
		key = `{"error":`
	}
	b := make([]byte, 0, len(text)+len(key)+8)
	b = append(b, key...)
	b = jsonx.AppendString(b, text)
	return append(b, '}')
}
