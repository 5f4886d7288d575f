package gemini

import (
	"github.com/tollgate/tollgate/services/kit/wire/internal/jsonx"

	"strings"

	inferencev1 "github.com/tollgate/tollgate/gen/go/tollgate/inference/v1"
	"github.com/tollgate/tollgate/services/kit/errs"
)

// requestFields holds the raw values of the top-level members the decoder
// reads; nil means absent. Every other member is validated as JSON and left
// in the original body, which same-dialect providers get.
type requestFields struct {
	contents, systemInstruction, tools, toolConfig, generationConfig []byte
	safetySettings, cachedContent, labels                            []byte
	// generateContentRequest is countTokens' wrapped request.
	generateContentRequest []byte
}

func (f *requestFields) set(key, v []byte) {
	switch string(camelKey(key)) {
	case "contents":
		f.contents = v
	case "systemInstruction":
		f.systemInstruction = v
	case "tools":
		f.tools = v
	case "toolConfig":
		f.toolConfig = v
	case "generationConfig":
		f.generationConfig = v
	case "safetySettings":
		f.safetySettings = v
	case "cachedContent":
		f.cachedContent = v
	case "labels":
		f.labels = v
	case "generateContentRequest":
		f.generateContentRequest = v
	}
}

// DecodeRequest decodes and validates a generateContent or
// streamGenerateContent request body into the canonical model. Gemini puts
// the model and the streaming choice in the URL, not the body, so the
// router passes them: model is the {model} path segment ("models/" prefix
// optional) and stream is true for :streamGenerateContent. Errors are
// *errs.Error of kind InvalidArgument naming the offending field (Param
// "contents[1].parts[0].inlineData.data"). The returned request keeps body
// as Source.OriginalBody without copying it: the caller must not modify
// body afterwards.
//
// systemInstruction becomes a leading system message; each content becomes
// one message (role model → assistant), with function calls as tool calls
// and function responses as tool-result parts of the user message. Calls
// without an id (older clients) get a stable one from their position,
// "call_<content>_<part>", and responses without an id are matched to them
// by name and order, most recent model turn first. Thought parts become
// reasoning, and thoughtSignature the signature of the reasoning before it
// or of the function call it is on. Gemini schemas (upper-case type names,
// nullable) become JSON Schema. Parts of the request with no canonical form
// are left out here and reported by CheckTranslatable; safetySettings only
// reach a Gemini provider.
func DecodeRequest(model string, body []byte, stream bool) (*inferencev1.ChatRequest, error) {
	r, _, err := decodeRequest(model, body, stream, false)
	return r, err
}

// DecodeCountTokensRequest decodes a :countTokens body: {"contents": …} or
// {"generateContentRequest": {…}} (which may carry system instructions and
// tools). The result is only for counting; it never streams.
func DecodeCountTokensRequest(model string, body []byte) (*inferencev1.ChatRequest, error) {
	r, _, err := decodeRequest(model, body, false, true)
	return r, err
}

// CheckTranslatable reports, as an errs.Invalid naming the field, the first
// part of a Gemini request that cannot be expressed for a provider of
// another dialect: cachedContent, files stored at Google (Files API or gs://
// URIs), code execution parts, video clipping metadata, non-text response
// modalities and enum response types. It returns nil when the request
// translates fully, and also when r was not decoded from a Gemini body.
// The provider adapter calls it before building a non-Gemini provider
// request; same-dialect passthrough needs no check.
func CheckTranslatable(r *inferencev1.ChatRequest) *errs.Error {
	src := r.GetSource()
	if src.GetDialect() != inferencev1.Dialect_DIALECT_GEMINI || len(src.GetOriginalBody()) == 0 {
		return nil
	}
	_, note, err := decodeRequest(src.GetClientModel(), src.GetOriginalBody(), r.GetStream(), false)
	if err != nil {
		// A count_tokens body decodes only as such; it is never built.
		return nil
	}
	return note
}

func decodeRequest(model string, body []byte, stream, countTokens bool) (*inferencev1.ChatRequest, *errs.Error, error) {
	var f requestFields
	if err := jsonx.ScanTopLevel(body, f.set); err != nil {
		return nil, nil, jsonx.ToInvalid(err)
	}
	model = strings.TrimPrefix(model, "models/")
	if model == "" {
		return nil, nil, errs.Invalid("model", "the model name in the URL is empty")
	}
	if countTokens && jsonx.Present(f.generateContentRequest) {
		var inner requestFields
		if err := jsonx.ScanTopLevel(f.generateContentRequest, inner.set); err != nil {
			return nil, nil, jsonx.ToInvalid(jsonx.InField("generateContentRequest", err))
		}
		d := decoder{countTokens: true}
		r, err := d.decode(&inner)
		if err != nil {
			return nil, nil, jsonx.ToInvalid(jsonx.InField("generateContentRequest", err))
		}
		return finishRequest(r, model, body, false), d.note, nil
	}
	d := decoder{countTokens: countTokens}
	r, err := d.decode(&f)
	if err != nil {
		return nil, nil, jsonx.ToInvalid(err)
	}
	return finishRequest(r, model, body, stream), d.note, nil
}

func finishRequest(r *inferencev1.ChatRequest, model string, body []byte, stream bool) *inferencev1.ChatRequest {
	r.Model = model
	r.Stream = stream
	// A Gemini stream always reports usage on its last chunk.
	r.IncludeUsage = stream
	r.Source = &inferencev1.Source{
		Dialect:      inferencev1.Dialect_DIALECT_GEMINI,
		OriginalBody: body,
		ClientModel:  model,
	}
	return r
}

// decoder carries what decoding one request needs across fields: the first
// untranslatable part met, and the function calls seen so far, to give
// responses without an id the id of their call.
type decoder struct {
	note        *errs.Error
	calls       []knownCall
	countTokens bool
}

// knownCall is a function call of the history.
type knownCall struct {
	id, name string
	turn     int
	answered bool
	clientID bool // the id is the client's, not synthesized
}

// untranslatable records the first part with no canonical form.
func (d *decoder) untranslatable(field, what string) {
	if d.note == nil {
		d.note = errs.Invalid(field, "%s: %s has no equivalent outside Gemini; send it to a Gemini model", field, what)
	}
}

func (d *decoder) decode(f *requestFields) (*inferencev1.ChatRequest, error) {
	r := &inferencev1.ChatRequest{}
	if jsonx.Present(f.systemInstruction) {
		sys, err := d.decodeSystem(f.systemInstruction)
		if err != nil {
			return nil, jsonx.InField("systemInstruction", err)
		}
		if sys != nil {
			r.Messages = append(r.Messages, sys)
		}
	}
	if !jsonx.Present(f.contents) {
		if !d.countTokens {
			return nil, jsonx.InField("contents", jsonx.ErrRequired)
		}
	} else {
		msgs, err := d.decodeContents(f.contents)
		if err != nil {
			return nil, jsonx.InField("contents", err)
		}
		r.Messages = append(r.Messages, msgs...)
	}
	var err error
	if jsonx.Present(f.tools) {
		if r.Tools, err = decodeTools(f.tools); err != nil {
			return nil, jsonx.InField("tools", err)
		}
	}
	if jsonx.Present(f.toolConfig) {
		if err := decodeToolConfig(f.toolConfig, r); err != nil {
			return nil, jsonx.InField("toolConfig", err)
		}
	}
	if jsonx.Present(f.generationConfig) {
		if err := d.decodeGenerationConfig(f.generationConfig, r); err != nil {
			return nil, jsonx.InField("generationConfig", err)
		}
	}
	if jsonx.Present(f.safetySettings) {
		// Safety thresholds are Gemini policy: validated, then left for a
		// Gemini provider (other providers apply their own).
		if _, err := jsonx.ScanArray(f.safetySettings, 0, nil); err != nil {
			return nil, jsonx.InField("safetySettings", err)
		}
	}
	if jsonx.Present(f.cachedContent) {
		if _, err := jsonx.ReadString(f.cachedContent); err != nil {
			return nil, jsonx.InField("cachedContent", err)
		}
		d.untranslatable("cachedContent", "content cached at Google")
	}
	if jsonx.Present(f.labels) {
		// Vertex AI billing labels: validated, then left for a Gemini
		// provider. They are not request metadata (OpenAI would refuse
		// metadata without stored completions).
		if _, err = jsonx.ReadStringMap(f.labels); err != nil {
			return nil, jsonx.InField("labels", err)
		}
	}
	return r, nil
}
