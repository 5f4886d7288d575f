package cohere

import (
	"encoding/base64"
	"encoding/json"
	"strconv"
	"strings"

	inferencev1 "github.com/tollgate/tollgate/gen/go/tollgate/inference/v1"
	"github.com/tollgate/tollgate/services/kit/errs"
	"github.com/tollgate/tollgate/services/kit/wire/internal/jsonx"
)

// emptySchema is the parameters schema of a tool defined without one.
const emptySchema = `{"type":"object","properties":{}}`

// BuildRequest writes a canonical request as a Cohere chat v2 body for
// model.
//
// Roles map one to one (developer becomes system); tool results embedded
// in user content (how Anthropic carries them) become tool messages ahead
// of the rest of the turn; an assistant turn's readable reasoning becomes
// its tool_plan when it calls tools and is left out otherwise. top_p and
// top_k are Cohere's p and k; JSON mode and JSON schemas become
// response_format json_object; reasoning settings become thinking (effort
// none disables it). Cohere's tool_choice knows only REQUIRED and NONE, so
// forcing one function is said as REQUIRED with only that tool offered;
// tool strictness is strict_tools, set when every tool asks for it.
//
// What Cohere cannot take is an *errs.Error of kind InvalidArgument naming
// the field: audio, files, images in system prompts or tool results, n >
// 1, provider-native tools, and a forced function that is not offered. A
// hosted web search tool (which coding agents such as Codex always offer)
// is left out instead, so those requests are answered without searching.
// The end-user id and metadata have no Cohere field and are not sent.
func BuildRequest(r *inferencev1.ChatRequest, model string) ([]byte, error) {
	w := ChatRequest{Model: model, Stream: r.GetStream()}
	for i, m := range r.GetMessages() {
		msgs, err := buildMessage(m, "messages["+strconv.Itoa(i)+"]")
		if err != nil {
			return nil, err
		}
		w.Messages = append(w.Messages, msgs...)
	}
	if err := buildTools(r, &w); err != nil {
		return nil, err
	}
	if s := r.GetSampling(); s != nil {
		if s.GetN() > 1 {
			return nil, errs.Invalid("n", "a Cohere model returns one choice per request; n must be 1")
		}
		w.MaxTokens, w.Temperature, w.P, w.K = s.MaxTokens, s.Temperature, s.TopP, s.TopK
		w.StopSequences, w.Seed = s.GetStop(), s.Seed
		w.FrequencyPenalty, w.PresencePenalty = s.FrequencyPenalty, s.PresencePenalty
	}
	switch rf := r.GetResponseFormat(); rf.GetType() {
	case "", "text":
	case "json_object":
		w.ResponseFormat = &ResponseFormat{Type: "json_object"}
	case "json_schema":
		w.ResponseFormat = &ResponseFormat{Type: "json_object"}
		if s := rf.GetSchemaJson(); s != "" {
			if !json.Valid([]byte(s)) {
				return nil, errs.Invalid("response_format.json_schema.schema", "response_format.json_schema.schema is not valid JSON")
			}
			w.ResponseFormat.JSONSchema = json.RawMessage(s)
		}
	default:
		return nil, errs.Invalid("response_format", "response_format %q has no Cohere equivalent", rf.GetType())
	}
	w.Thinking = buildThinking(r.GetReasoning())
	return json.Marshal(&w)
}

func buildThinking(rs *inferencev1.Reasoning) *Thinking {
	switch effort := rs.GetEffort(); {
	case effort == "none":
		return &Thinking{Type: "disabled"}
	case rs.GetEnabled() || rs.GetBudgetTokens() > 0 || effort != "":
		return &Thinking{Type: "enabled", TokenBudget: rs.GetBudgetTokens()}
	}
	return nil
}

func buildTools(r *inferencev1.ChatRequest, w *ChatRequest) *errs.Error {
	strict := 0
	for i, t := range r.GetTools() {
		at := "tools[" + strconv.Itoa(i) + "]"
		if typ := t.GetType(); typ != "" && typ != "function" {
			if strings.HasPrefix(typ, "web_search") || typ == "google_search" {
				continue // see BuildRequest
			}
			return errs.Invalid(at, "%s: tool type %q has no Cohere equivalent", at, typ)
		}
		params := t.GetParametersJson()
		if params == "" {
			params = emptySchema
		} else if !json.Valid([]byte(params)) {
			return errs.Invalid(at+".parameters", "%s.parameters is not valid JSON", at)
		}
		if t.GetStrict() {
			strict++
		}
		w.Tools = append(w.Tools, Tool{Type: "function", Function: FunctionDef{Name: t.GetName(), Description: t.GetDescription(), Parameters: json.RawMessage(params)}})
	}
	if strict > 0 && strict == len(w.Tools) {
		on := true
		w.StrictTools = &on
	}
	tc := r.GetToolChoice()
	switch tc.GetMode() {
	case inferencev1.ToolChoiceMode_TOOL_CHOICE_MODE_NONE:
		if len(w.Tools) > 0 {
			w.ToolChoice = "NONE"
		}
	case inferencev1.ToolChoiceMode_TOOL_CHOICE_MODE_REQUIRED:
		if len(w.Tools) > 0 {
			w.ToolChoice = "REQUIRED"
		}
	case inferencev1.ToolChoiceMode_TOOL_CHOICE_MODE_FUNCTION:
		for _, t := range w.Tools {
			if t.Function.Name == tc.GetFunctionName() {
				w.Tools, w.ToolChoice = []Tool{t}, "REQUIRED"
				return nil
			}
		}
		return errs.Invalid("tool_choice", "tool_choice names %q, which is not among the tools", tc.GetFunctionName())
	}
	return nil
}

// buildMessage converts one canonical message; a user message carrying
// tool results becomes tool messages followed by the user message.
func buildMessage(m *inferencev1.Message, at string) ([]Message, *errs.Error) {
	switch m.GetRole() {
	case inferencev1.Role_ROLE_SYSTEM, inferencev1.Role_ROLE_DEVELOPER:
		var b strings.Builder
		for j, p := range m.GetContent() {
			x, ok := p.GetPart().(*inferencev1.ContentPart_Text)
			if !ok {
				field := at + ".content[" + strconv.Itoa(j) + "]"
				return nil, errs.Invalid(field, "%s: a system message can hold only text for a Cohere model", field)
			}
			if b.Len() > 0 && x.Text != "" {
				b.WriteString("\n\n")
			}
			b.WriteString(x.Text)
		}
		if b.Len() == 0 {
			return nil, nil
		}
		return []Message{{Role: "system", Content: stringContent(b.String())}}, nil
	case inferencev1.Role_ROLE_USER:
		return userMessages(m, at)
	case inferencev1.Role_ROLE_TOOL:
		content, err := toolContent(m.GetContent(), at)
		if err != nil {
			return nil, err
		}
		return []Message{{Role: "tool", ToolCallID: m.GetToolCallId(), Content: content}}, nil
	case inferencev1.Role_ROLE_ASSISTANT:
		return assistantMessage(m, at)
	}
	return nil, errs.Invalid(at+".role", "%s.role %v has no Cohere equivalent", at, m.GetRole())
}

func userMessages(m *inferencev1.Message, at string) ([]Message, *errs.Error) {
	var out []Message
	var items []ContentItem
	allText := true
	for j, p := range m.GetContent() {
		field := at + ".content[" + strconv.Itoa(j) + "]"
		switch x := p.GetPart().(type) {
		case *inferencev1.ContentPart_Text:
			if x.Text != "" {
				items = append(items, ContentItem{Type: "text", Text: x.Text})
			}
		case *inferencev1.ContentPart_Image:
			u := x.Image.GetUrl()
			if len(x.Image.GetData()) > 0 {
				u = "data:" + x.Image.GetMediaType() + ";base64," + base64.StdEncoding.EncodeToString(x.Image.GetData())
			}
			if u == "" {
				return nil, errs.Invalid(field, "%s: the image has no URL or data", field)
			}
			allText = false
			items = append(items, ContentItem{Type: "image_url", ImageURL: &ImageURL{URL: u, Detail: x.Image.GetDetail()}})
		case *inferencev1.ContentPart_ToolResult:
			content, err := toolContent(x.ToolResult.GetContent(), field)
			if err != nil {
				return nil, err
			}
			out = append(out, Message{Role: "tool", ToolCallID: x.ToolResult.GetToolCallId(), Content: content})
		case *inferencev1.ContentPart_File:
			return nil, errs.Invalid(field, "%s: a Cohere chat model takes no files; send their text", field)
		case *inferencev1.ContentPart_Audio:
			return nil, errs.Invalid(field, "%s: a Cohere chat model takes no audio input", field)
		}
	}
	switch {
	case len(items) == 0:
		if len(out) == 0 {
			out = append(out, Message{Role: "user", Content: stringContent("")})
		}
	case allText && len(items) == 1:
		out = append(out, Message{Role: "user", Content: stringContent(items[0].Text)})
	default:
		raw, _ := json.Marshal(items)
		out = append(out, Message{Role: "user", Content: raw})
	}
	return out, nil
}

// toolContent is a tool result's text, as one string.
func toolContent(parts []*inferencev1.ContentPart, at string) (json.RawMessage, *errs.Error) {
	var b strings.Builder
	for j, p := range parts {
		switch x := p.GetPart().(type) {
		case *inferencev1.ContentPart_Text:
			b.WriteString(x.Text)
		case *inferencev1.ContentPart_Reasoning:
		default:
			field := at + ".content[" + strconv.Itoa(j) + "]"
			return nil, errs.Invalid(field, "%s: a Cohere tool result holds text only", field)
		}
	}
	return stringContent(b.String()), nil
}

func assistantMessage(m *inferencev1.Message, at string) ([]Message, *errs.Error) {
	msg := Message{Role: "assistant"}
	var text, plan strings.Builder
	for j, p := range m.GetContent() {
		switch x := p.GetPart().(type) {
		case *inferencev1.ContentPart_Text:
			text.WriteString(x.Text)
		case *inferencev1.ContentPart_Reasoning:
			plan.WriteString(x.Reasoning.GetText())
		default:
			field := at + ".content[" + strconv.Itoa(j) + "]"
			return nil, errs.Invalid(field, "%s: a Cohere assistant message holds text only", field)
		}
	}
	for _, tc := range m.GetToolCalls() {
		args := tc.GetArgumentsJson()
		if args == "" {
			args = "{}"
		}
		msg.ToolCalls = append(msg.ToolCalls, ToolCall{ID: tc.GetId(), Type: "function", Function: FunctionCall{Name: tc.GetName(), Arguments: args}})
	}
	if text.Len() > 0 {
		msg.Content = stringContent(text.String())
	}
	if len(msg.ToolCalls) > 0 {
		msg.ToolPlan = plan.String()
	} else if text.Len() == 0 {
		return nil, nil // nothing Cohere can take back
	}
	return []Message{msg}, nil
}

func stringContent(s string) json.RawMessage {
	return jsonx.AppendString(make([]byte, 0, len(s)+2), s)
}
