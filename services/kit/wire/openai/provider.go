package openai

import (
	"github.com/tollgate/tollgate/services/kit/wire/internal/jsonx"

	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	inferencev1 "github.com/tollgate/tollgate/gen/go/tollgate/inference/v1"
)

// The provider side: canonical requests to OpenAI bodies, and OpenAI
// responses and stream events back to canonical form. These are used when
// the client spoke another dialect; same-dialect requests are forwarded with
// RewriteForUpstream instead, and only their responses are parsed here.

// BuildOptions adapt request building to a provider's flavour.
type BuildOptions struct {
	// MaxCompletionTokens sends the token cap as max_completion_tokens
	// (OpenAI, required by its reasoning models) instead of max_tokens
	// (what most OpenAI-compatible servers understand).
	MaxCompletionTokens bool
}

// BuildChatRequest writes a canonical request as an OpenAI Chat Completions
// body for model. A streamed request always asks for the usage report, so
// the gateway can meter it.
func BuildChatRequest(r *inferencev1.ChatRequest, model string, opts BuildOptions) ([]byte, error) {
	w := ChatCompletionRequest{
		Model:             model,
		Stream:            r.GetStream(),
		User:              r.GetUser(),
		ParallelToolCalls: r.ParallelToolCalls,
		Metadata:          r.GetMetadata(),
	}
	if w.Stream {
		w.StreamOptions = &StreamOptions{IncludeUsage: true}
	}
	for _, m := range r.GetMessages() {
		msgs, err := buildMessages(m)
		if err != nil {
			return nil, err
		}
		w.Messages = append(w.Messages, msgs...)
	}
	for _, t := range r.GetTools() {
		raw, err := buildTool(t)
		if err != nil {
			return nil, err
		}
		w.Tools = append(w.Tools, raw)
	}
	w.ToolChoice = buildToolChoice(r.GetToolChoice())
	if s := r.GetSampling(); s != nil {
		w.Temperature, w.TopP, w.Seed, w.N = s.Temperature, s.TopP, s.Seed, s.N
		w.PresencePenalty, w.FrequencyPenalty = s.PresencePenalty, s.FrequencyPenalty
		w.Stop = s.GetStop()
		if opts.MaxCompletionTokens {
			w.MaxCompletionTokens = s.MaxTokens
		} else {
			w.MaxTokens = s.MaxTokens
		}
	}
	if rf := r.GetResponseFormat(); rf != nil && rf.GetType() != "" {
		w.ResponseFormat = &ResponseFormat{Type: rf.GetType()}
		if rf.GetType() == "json_schema" {
			js := &JSONSchema{Name: rf.GetName(), Schema: json.RawMessage(rf.GetSchemaJson())}
			if rf.GetStrict() {
				strict := true
				js.Strict = &strict
			}
			if len(js.Schema) == 0 {
				js.Schema = nil
			}
			w.ResponseFormat.JSONSchema = js
		}
	}
	if e := r.GetReasoning().GetEffort(); e != "" {
		w.ReasoningEffort = e
	}
	return json.Marshal(&w)
}

var roleNames = map[inferencev1.Role]string{
	inferencev1.Role_ROLE_SYSTEM:    "system",
	inferencev1.Role_ROLE_DEVELOPER: "developer",
	inferencev1.Role_ROLE_USER:      "user",
	inferencev1.Role_ROLE_ASSISTANT: "assistant",
	inferencev1.Role_ROLE_TOOL:      "tool",
}

// buildMessages converts one canonical message. Tool results embedded as
// content parts (how Anthropic carries them) become OpenAI tool messages.
func buildMessages(m *inferencev1.Message) ([]ChatMessage, error) {
	role, ok := roleNames[m.GetRole()]
	if !ok {
		return nil, fmt.Errorf("message role %v has no OpenAI equivalent", m.GetRole())
	}
	var out []ChatMessage
	msg := ChatMessage{Role: role, Name: m.GetName(), ToolCallID: m.GetToolCallId()}
	var parts []ContentPart
	allText := true
	for _, p := range m.GetContent() {
		switch x := p.GetPart().(type) {
		case *inferencev1.ContentPart_Text:
			parts = append(parts, ContentPart{Type: "text", Text: x.Text})
		case *inferencev1.ContentPart_Image:
			allText = false
			u := x.Image.GetUrl()
			if u == "" && len(x.Image.GetData()) > 0 {
				u = "data:" + x.Image.GetMediaType() + ";base64," + base64.StdEncoding.EncodeToString(x.Image.GetData())
			}
			parts = append(parts, ContentPart{Type: "image_url", ImageURL: &ImageURL{URL: u, Detail: x.Image.GetDetail()}})
		case *inferencev1.ContentPart_Audio:
			allText = false
			parts = append(parts, ContentPart{Type: "input_audio", InputAudio: &InputAudio{
				Data: base64.StdEncoding.EncodeToString(x.Audio.GetData()), Format: x.Audio.GetFormat()}})
		case *inferencev1.ContentPart_File:
			allText = false
			f := &FilePart{FileID: x.File.GetFileId(), Filename: x.File.GetFilename()}
			if len(x.File.GetData()) > 0 {
				f.FileData = "data:" + x.File.GetMediaType() + ";base64," + base64.StdEncoding.EncodeToString(x.File.GetData())
			}
			parts = append(parts, ContentPart{Type: "file", File: f})
		case *inferencev1.ContentPart_ToolResult:
			out = append(out, ChatMessage{
				Role: "tool", ToolCallID: x.ToolResult.GetToolCallId(),
				Content: TextContent(partsText(x.ToolResult.GetContent())),
			})
		case *inferencev1.ContentPart_Reasoning:
			// OpenAI takes no reasoning back in chat history.
		}
	}
	for _, tc := range m.GetToolCalls() {
		msg.ToolCalls = append(msg.ToolCalls, ToolCall{ID: tc.GetId(), Type: "function",
			Function: FunctionCall{Name: tc.GetName(), Arguments: tc.GetArgumentsJson()}})
	}
	switch {
	case len(parts) == 0 && len(msg.ToolCalls) > 0:
		// content stays null
	case len(parts) == 0 && len(out) > 0:
		return out, nil // the message was only tool results
	case allText && len(parts) <= 1:
		text := ""
		if len(parts) == 1 {
			text = parts[0].Text
		}
		msg.Content = TextContent(text)
	default:
		msg.Content = MessageContent{Parts: parts}
	}
	return append(out, msg), nil
}

func partsText(ps []*inferencev1.ContentPart) string {
	if len(ps) == 1 {
		return ps[0].GetText()
	}
	var b strings.Builder
	for _, p := range ps {
		b.WriteString(p.GetText())
	}
	return b.String()
}

func buildTool(t *inferencev1.Tool) (json.RawMessage, error) {
	if t.GetType() != "" && t.GetType() != "function" {
		if t.GetRawJson() == "" || !json.Valid([]byte(t.GetRawJson())) {
			return nil, fmt.Errorf("tool type %q cannot be sent to an OpenAI provider", t.GetType())
		}
		return json.RawMessage(t.GetRawJson()), nil
	}
	fd := &FunctionDef{Name: t.GetName(), Description: t.GetDescription()}
	if p := t.GetParametersJson(); p != "" {
		fd.Parameters = json.RawMessage(p)
	}
	if t.GetStrict() {
		strict := true
		fd.Strict = &strict
	}
	return json.Marshal(Tool{Type: "function", Function: fd})
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
		b := jsonx.AppendString([]byte(`{"type":"function","function":{"name":`), tc.GetFunctionName())
		return append(b, "}}"...)
	}
	return nil
}

// ParseChatResponse reads an OpenAI chat.completion body into canonical form
// (Raw is left for the caller to set).
func ParseChatResponse(body []byte) (*inferencev1.ChatResponse, error) {
	var w ChatCompletion
	if err := json.Unmarshal(body, &w); err != nil {
		return nil, fmt.Errorf("provider response is not a chat completion: %w", err)
	}
	r := &inferencev1.ChatResponse{Id: w.ID, Model: w.Model, Created: w.Created, Usage: UsageFromWire(w.Usage)}
	for _, c := range w.Choices {
		msg := &inferencev1.Message{Role: inferencev1.Role_ROLE_ASSISTANT}
		if text := contentText(c.Message.Content); text != "" || len(c.Message.ToolCalls) == 0 {
			msg.Content = append(msg.Content, &inferencev1.ContentPart{Part: &inferencev1.ContentPart_Text{Text: text}})
		}
		if reasoning := firstNonEmpty(c.Message.ReasoningContent, c.Message.Reasoning); reasoning != "" {
			msg.Content = append(msg.Content, &inferencev1.ContentPart{Part: &inferencev1.ContentPart_Reasoning{
				Reasoning: &inferencev1.ReasoningPart{Text: reasoning}}})
		}
		for _, tc := range c.Message.ToolCalls {
			msg.ToolCalls = append(msg.ToolCalls, &inferencev1.ToolCall{
				Id: tc.ID, Name: tc.Function.Name, ArgumentsJson: tc.Function.Arguments})
		}
		ch := &inferencev1.Choice{Index: int32(c.Index), Message: msg}
		if c.FinishReason != nil {
			ch.ProviderFinishReason = *c.FinishReason
			ch.FinishReason = ParseFinishReason(*c.FinishReason)
		}
		r.Choices = append(r.Choices, ch)
	}
	return r, nil
}

func contentText(c MessageContent) string {
	if c.Text != nil {
		return *c.Text
	}
	var b strings.Builder
	for _, p := range c.Parts {
		b.WriteString(p.Text)
	}
	return b.String()
}

func firstNonEmpty(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// ParseFinishReason maps OpenAI's finish_reason to the canonical one.
func ParseFinishReason(s string) inferencev1.FinishReason {
	switch s {
	case "stop":
		return inferencev1.FinishReason_FINISH_REASON_STOP
	case "length":
		return inferencev1.FinishReason_FINISH_REASON_LENGTH
	case "tool_calls", "function_call":
		return inferencev1.FinishReason_FINISH_REASON_TOOL_CALLS
	case "content_filter":
		return inferencev1.FinishReason_FINISH_REASON_CONTENT_FILTER
	case "error":
		return inferencev1.FinishReason_FINISH_REASON_ERROR
	}
	return inferencev1.FinishReason_FINISH_REASON_UNSPECIFIED
}

// ErrNotChunk is returned by ParseChunk for data that is not a chunk object.
var ErrNotChunk = errors.New("stream event is not a chat completion chunk")

// ParseChunk reads the data of one OpenAI stream event into a canonical
// chunk (Raw is left for the caller to set). An in-stream {"error":{…}}
// becomes a chunk with Error set.
func ParseChunk(data []byte) (*inferencev1.ChatChunk, error) {
	var w ChatCompletionChunk
	if err := json.Unmarshal(data, &w); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrNotChunk, err)
	}
	c := &inferencev1.ChatChunk{Id: w.ID, Model: w.Model, Created: w.Created, Usage: UsageFromWire(w.Usage)}
	if w.Error != nil {
		c.Error = &inferencev1.StreamError{Code: rawCode(w.Error.Code), Message: w.Error.Message}
		if c.Error.Code == "" {
			c.Error.Code = "upstream_error"
		}
		return c, nil
	}
	for _, ch := range w.Choices {
		d := &inferencev1.ChoiceDelta{Index: int32(ch.Index)}
		if ch.Delta.Role != "" {
			d.Role = inferencev1.Role_ROLE_ASSISTANT
		}
		d.Text = contentText(ch.Delta.Content)
		d.Reasoning = firstNonEmpty(ch.Delta.ReasoningContent, ch.Delta.Reasoning)
		for i, tc := range ch.Delta.ToolCalls {
			idx := i
			if tc.Index != nil {
				idx = *tc.Index
			}
			d.ToolCalls = append(d.ToolCalls, &inferencev1.ToolCallDelta{
				Index: int32(idx), Id: tc.ID, Name: tc.Function.Name, ArgumentsJson: tc.Function.Arguments})
		}
		if ch.FinishReason != nil {
			d.ProviderFinishReason = *ch.FinishReason
			d.FinishReason = ParseFinishReason(*ch.FinishReason)
		}
		c.Deltas = append(c.Deltas, d)
	}
	return c, nil
}

// UsageFromWire converts OpenAI usage (nil stays nil). OpenAI's
// prompt_tokens include cached ones and completion_tokens include reasoning,
// which is how the canonical model counts too.
func UsageFromWire(u *Usage) *inferencev1.Usage {
	if u == nil {
		return nil
	}
	out := &inferencev1.Usage{
		InputTokens:  u.PromptTokens,
		OutputTokens: u.CompletionTokens,
		TotalTokens:  u.TotalTokens,
	}
	if out.TotalTokens == 0 {
		out.TotalTokens = out.InputTokens + out.OutputTokens
	}
	if d := u.PromptTokensDetails; d != nil {
		out.CacheReadInputTokens = d.CachedTokens
	}
	if d := u.CompletionTokensDetails; d != nil {
		out.ReasoningTokens = d.ReasoningTokens
	}
	return out
}

// BuildEmbeddingsRequest writes a canonical embeddings request as an OpenAI
// body for model, asking for floats (every compatible server has them).
func BuildEmbeddingsRequest(r *inferencev1.EmbeddingsRequest, model string) ([]byte, error) {
	input, err := json.Marshal(r.GetInputs())
	if err != nil {
		return nil, err
	}
	return json.Marshal(&EmbeddingsRequestBody{
		Model: model, Input: input, EncodingFormat: EncodingFloat,
		Dimensions: r.Dimensions, User: r.GetUser(),
	})
}

// ParseEmbeddingsResponse reads an OpenAI embeddings body, float or base64.
func ParseEmbeddingsResponse(body []byte) (*inferencev1.EmbeddingsResponse, error) {
	var w EmbeddingsResponseBody
	if err := json.Unmarshal(body, &w); err != nil {
		return nil, fmt.Errorf("provider response is not an embeddings list: %w", err)
	}
	r := &inferencev1.EmbeddingsResponse{Model: w.Model, Usage: embeddingUsage(w.Usage)}
	for _, d := range w.Data {
		e := &inferencev1.Embedding{Index: int32(d.Index)}
		raw := d.Embedding
		switch {
		case len(raw) > 0 && raw[0] == '"':
			var s string
			if err := json.Unmarshal(raw, &s); err != nil {
				return nil, err
			}
			b, err := base64.StdEncoding.DecodeString(s)
			if err != nil {
				return nil, fmt.Errorf("embedding %d: invalid base64: %w", d.Index, err)
			}
			var ok bool
			if e.Values, ok = decodeFloat32sLE(b); !ok {
				return nil, fmt.Errorf("embedding %d: base64 payload is not float32 values", d.Index)
			}
		default:
			if err := json.Unmarshal(raw, &e.Values); err != nil {
				return nil, fmt.Errorf("embedding %d: %w", d.Index, err)
			}
		}
		r.Embeddings = append(r.Embeddings, e)
	}
	return r, nil
}

// ParseEmbeddingsUsage reads only the model and usage of an embeddings body:
// enough to meter a passthrough answer without decoding its vectors.
func ParseEmbeddingsUsage(body []byte) (model string, usage *inferencev1.Usage, err error) {
	var w struct {
		Model string          `json:"model"`
		Usage *EmbeddingUsage `json:"usage"`
	}
	if err := json.Unmarshal(body, &w); err != nil {
		return "", nil, fmt.Errorf("provider response is not an embeddings list: %w", err)
	}
	return w.Model, embeddingUsage(w.Usage), nil
}

func embeddingUsage(u *EmbeddingUsage) *inferencev1.Usage {
	if u == nil {
		return nil
	}
	total := u.TotalTokens
	if total == 0 {
		total = u.PromptTokens
	}
	return &inferencev1.Usage{InputTokens: u.PromptTokens, TotalTokens: total}
}
