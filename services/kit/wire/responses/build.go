package responses

import (
	"github.com/tollgate/tollgate/services/kit/wire/internal/jsonx"

	"bytes"
	"encoding/base64"
	"encoding/json"
	"strconv"
	"strings"

	inferencev1 "github.com/tollgate/tollgate/gen/go/tollgate/inference/v1"
	"github.com/tollgate/tollgate/services/kit/errs"
)

// The provider side: canonical requests to Responses bodies, for clients of
// another dialect. Same-dialect requests are forwarded with
// RewriteForUpstream instead.

// BuildRequest writes a canonical request as a Responses API body for model.
// System and developer messages stay input messages in place; assistant
// turns become reasoning, message and function_call items; tool results
// (tool messages, or tool_result parts as Anthropic sends them) become
// function_call_output items. Tools are sent with "strict" spelled out,
// because the Responses API defaults it to true and most schemas written
// for other providers are not strict-compatible. The body always has
// "store": false; when reasoning is asked for it also asks for reasoning
// summaries and the encrypted reasoning, so a later turn can resume it.
//
// What the Responses API cannot express is an errs.Invalid naming the
// field: stop sequences, more than one choice, audio input, images in
// assistant turns. Sampling knobs it lacks (top_k, seed, presence and
// frequency penalties) are left out: they tune sampling without changing
// what is asked.
func BuildRequest(r *inferencev1.ChatRequest, model string) ([]byte, error) {
	w := wireRequest{
		Model:             model,
		Stream:            r.GetStream(),
		User:              r.GetUser(),
		ParallelToolCalls: r.ParallelToolCalls,
		Metadata:          r.GetMetadata(),
	}
	for i, m := range r.GetMessages() {
		var err error
		if w.Input, err = appendMessageItems(w.Input, m, i); err != nil {
			return nil, err
		}
	}
	if w.Input == nil {
		w.Input = []wireInputItem{}
	}
	for i, t := range r.GetTools() {
		raw, err := buildTool(t)
		if err != nil {
			return nil, errs.Invalid("tools["+strconv.Itoa(i)+"]", "tools[%d]: %s", i, err.Error())
		}
		w.Tools = append(w.Tools, raw)
	}
	w.ToolChoice = buildToolChoice(r.GetToolChoice())
	if s := r.GetSampling(); s != nil {
		if len(s.GetStop()) > 0 {
			return nil, errs.Invalid("stop", "stop sequences cannot be sent to an OpenAI Responses provider")
		}
		if s.GetN() > 1 {
			return nil, errs.Invalid("n", "an OpenAI Responses provider returns one choice; n must be 1")
		}
		w.Temperature, w.TopP, w.MaxOutputTokens = s.Temperature, s.TopP, s.MaxTokens
	}
	if rf := r.GetResponseFormat(); rf.GetType() != "" {
		w.Text = &wireText{Format: wireFormat{Type: rf.GetType()}}
		if rf.GetType() == "json_schema" {
			w.Text.Format.Name = rf.GetName()
			if rf.GetSchemaJson() != "" {
				w.Text.Format.Schema = json.RawMessage(rf.GetSchemaJson())
			}
			strict := rf.GetStrict()
			w.Text.Format.Strict = &strict
		}
	}
	if effort := reasoningEffort(r.GetReasoning()); effort != "" {
		w.Reasoning = &wireReasoning{Effort: effort}
		if effort != "none" {
			w.Reasoning.Summary = "auto"
			w.Include = []string{"reasoning.encrypted_content"}
		}
	}
	return marshal(&w)
}

// marshal is json.Marshal without HTML escaping, so schemas and texts
// reach the provider as the client wrote them.
func marshal(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte{'\n'}), nil
}

// reasoningEffort picks the Responses effort for a canonical reasoning
// config: the effort as given, else one sized from a thinking budget.
func reasoningEffort(rc *inferencev1.Reasoning) string {
	switch {
	case rc.GetEffort() != "":
		return rc.GetEffort()
	case !rc.GetEnabled():
		return ""
	case rc.GetBudgetTokens() <= 0:
		return "medium"
	case rc.GetBudgetTokens() <= 4096:
		return "low"
	case rc.GetBudgetTokens() <= 16384:
		return "medium"
	}
	return "high"
}

func strPtr(s string) *string { return &s }

var emptyArray = json.RawMessage(`[]`)

// appendMessageItems appends the input items of canonical message i.
func appendMessageItems(items []wireInputItem, m *inferencev1.Message, i int) ([]wireInputItem, error) {
	at := func(j int) string { return "messages[" + strconv.Itoa(i) + "].content[" + strconv.Itoa(j) + "]" }
	switch m.GetRole() {
	case inferencev1.Role_ROLE_ASSISTANT:
		return appendAssistantItems(items, m, at)
	case inferencev1.Role_ROLE_TOOL:
		out, err := toolOutput(m.GetContent(), func(j int) string { return at(j) })
		if err != nil {
			return nil, err
		}
		return append(items, wireInputItem{Type: "function_call_output", CallID: m.GetToolCallId(), Output: out}), nil
	}
	role, ok := inputRoles[m.GetRole()]
	if !ok {
		return nil, errs.Invalid("messages["+strconv.Itoa(i)+"].role", "messages[%d]: role %v has no OpenAI Responses equivalent", i, m.GetRole())
	}
	// Tool results embedded in a user turn become function_call_output
	// items; the rest of the content stays a message, in order.
	var parts []wirePart
	flush := func() {
		if len(parts) > 0 {
			p := parts
			items = append(items, wireInputItem{Type: "message", Role: role, Content: &p})
			parts = nil
		}
	}
	for j, p := range m.GetContent() {
		if tr := p.GetToolResult(); tr != nil {
			flush()
			out, err := toolOutput(tr.GetContent(), func(int) string { return at(j) })
			if err != nil {
				return nil, err
			}
			items = append(items, wireInputItem{Type: "function_call_output", CallID: tr.GetToolCallId(), Output: out})
			continue
		}
		wp, ok, err := inputPart(p, at(j))
		if err != nil {
			return nil, err
		}
		if ok {
			parts = append(parts, wp)
		}
	}
	flush()
	return items, nil
}

var inputRoles = map[inferencev1.Role]string{
	inferencev1.Role_ROLE_SYSTEM:    "system",
	inferencev1.Role_ROLE_DEVELOPER: "developer",
	inferencev1.Role_ROLE_USER:      "user",
}

// inputPart converts one part of a user, system or developer message; ok is
// false for parts that are left out (reasoning).
func inputPart(p *inferencev1.ContentPart, at string) (wirePart, bool, error) {
	switch x := p.GetPart().(type) {
	case *inferencev1.ContentPart_Text:
		return wirePart{Type: "input_text", Text: strPtr(x.Text)}, true, nil
	case *inferencev1.ContentPart_Image:
		u := x.Image.GetUrl()
		if u == "" {
			u = "data:" + x.Image.GetMediaType() + ";base64," + base64.StdEncoding.EncodeToString(x.Image.GetData())
		}
		detail := x.Image.GetDetail()
		if detail == "" {
			detail = "auto"
		}
		return wirePart{Type: "input_image", ImageURL: u, Detail: detail}, true, nil
	case *inferencev1.ContentPart_File:
		f := x.File
		wp := wirePart{Type: "input_file", FileID: f.GetFileId(), FileURL: f.GetUrl(), Filename: f.GetFilename()}
		if len(f.GetData()) > 0 {
			mt := f.GetMediaType()
			if mt == "" {
				mt = "application/octet-stream"
			}
			wp.FileData = "data:" + mt + ";base64," + base64.StdEncoding.EncodeToString(f.GetData())
			if wp.Filename == "" {
				wp.Filename = "file"
			}
		}
		return wp, true, nil
	case *inferencev1.ContentPart_Audio:
		return wirePart{}, false, errs.Invalid(at, "%s: audio input cannot be sent to an OpenAI Responses provider", at)
	case *inferencev1.ContentPart_Reasoning:
		return wirePart{}, false, nil
	}
	return wirePart{}, false, nil
}

// toolOutput is a function_call_output's output: a string when the result
// is all text, else an array of input parts.
func toolOutput(content []*inferencev1.ContentPart, at func(int) string) (json.RawMessage, error) {
	allText := true
	var text strings.Builder
	for _, p := range content {
		if t, ok := p.GetPart().(*inferencev1.ContentPart_Text); ok {
			text.WriteString(t.Text)
		} else if p.GetReasoning() == nil {
			allText = false
		}
	}
	if allText {
		return json.RawMessage(jsonx.AppendString(nil, text.String())), nil
	}
	parts := make([]wirePart, 0, len(content))
	for j, p := range content {
		wp, ok, err := inputPart(p, at(j))
		if err != nil {
			return nil, err
		}
		if ok {
			parts = append(parts, wp)
		}
	}
	return marshal(parts)
}

// appendAssistantItems writes an assistant turn: OpenAI reasoning to resume,
// the text as an output message, then the function calls.
func appendAssistantItems(items []wireInputItem, m *inferencev1.Message, at func(int) string) ([]wireInputItem, error) {
	var parts []wirePart
	for j, p := range m.GetContent() {
		switch x := p.GetPart().(type) {
		case *inferencev1.ContentPart_Text:
			parts = append(parts, wirePart{Type: "output_text", Text: strPtr(x.Text), Annotations: &emptyArray})
		case *inferencev1.ContentPart_Reasoning:
			if item, ok := reasoningItem(x.Reasoning); ok {
				items = append(items, item)
			}
		case *inferencev1.ContentPart_ToolResult:
			return nil, errs.Invalid(at(j), "%s: a tool result cannot be part of an assistant turn", at(j))
		default:
			return nil, errs.Invalid(at(j), "%s: an assistant turn sent to an OpenAI Responses provider can only hold text", at(j))
		}
	}
	if len(parts) > 0 {
		items = append(items, wireInputItem{Type: "message", Role: "assistant", Content: &parts})
	}
	for _, tc := range m.GetToolCalls() {
		args := tc.GetArgumentsJson()
		if args == "" {
			args = "{}"
		}
		items = append(items, wireInputItem{Type: "function_call", CallID: tc.GetId(), Name: tc.GetName(), Arguments: strPtr(args)})
	}
	return items, nil
}

// reasoningItem replays reasoning that an OpenAI model produced. OpenAI only
// accepts its own encrypted reasoning, which is a Fernet token ("gAAAAA…");
// reasoning from other providers (Anthropic signatures, Gemini thought
// signatures) or without a token is left out, as OpenAI's own Chat
// Completions API leaves reasoning out of history.
func reasoningItem(rp *inferencev1.ReasoningPart) (wireInputItem, bool) {
	token := firstNonEmpty(rp.GetEncryptedContent(), rp.GetSignature())
	if !isOpenAIReasoningToken(token) {
		return wireInputItem{}, false
	}
	summary := []wireSummary{}
	if rp.GetText() != "" {
		summary = append(summary, wireSummary{Type: "summary_text", Text: rp.GetText()})
	}
	return wireInputItem{Type: "reasoning", Summary: &summary, EncryptedContent: token}, true
}

// isOpenAIReasoningToken reports whether an opaque reasoning token is
// OpenAI's encrypted_content: a Fernet token, which always starts "gAAAA".
func isOpenAIReasoningToken(s string) bool { return strings.HasPrefix(s, "gAAAA") }

// defaultParameters is the schema of a function that takes no arguments.
var defaultParameters = json.RawMessage(`{"type":"object","properties":{}}`)

func buildTool(t *inferencev1.Tool) (json.RawMessage, error) {
	if t.GetType() != "" && t.GetType() != "function" {
		if t.GetRawJson() == "" || !json.Valid([]byte(t.GetRawJson())) {
			return nil, &jsonx.ValueError{Msg: "tool type " + quote(t.GetType()) + " cannot be sent to an OpenAI Responses provider"}
		}
		return json.RawMessage(t.GetRawJson()), nil
	}
	ft := wireFunctionTool{Type: "function", Name: t.GetName(), Description: t.GetDescription(),
		Parameters: defaultParameters, Strict: t.GetStrict()}
	if p := t.GetParametersJson(); p != "" {
		if !json.Valid([]byte(p)) {
			return nil, &jsonx.ValueError{Msg: "parameters of " + quote(t.GetName()) + " are not valid JSON"}
		}
		ft.Parameters = json.RawMessage(p)
	}
	return marshal(&ft)
}

func buildToolChoice(tc *inferencev1.ToolChoice) json.RawMessage {
	switch tc.GetMode() {
	case inferencev1.ToolChoiceMode_TOOL_CHOICE_MODE_AUTO:
		return json.RawMessage(`"auto"`)
	case inferencev1.ToolChoiceMode_TOOL_CHOICE_MODE_NONE:
		return json.RawMessage(`"none"`)
	case inferencev1.ToolChoiceMode_TOOL_CHOICE_MODE_REQUIRED:
		return json.RawMessage(`"required"`)
	case inferencev1.ToolChoiceMode_TOOL_CHOICE_MODE_FUNCTION:
		b := jsonx.AppendString([]byte(`{"type":"function","name":`), tc.GetFunctionName())
		return append(b, '}')
	}
	return nil
}
