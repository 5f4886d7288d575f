package anthropic

import "encoding/json"

// Wire types of the Anthropic Messages API as documented. The provider side
// marshals requests from and unmarshals responses and stream events into
// these; the client-side decoder walks raw bytes instead (see decode.go) to
// report exact field paths. Fields Anthropic may add later are ignored on
// decode.

// MessagesRequest is a POST /v1/messages body as BuildRequest writes it.
type MessagesRequest struct {
	Model         string            `json:"model"`
	MaxTokens     int32             `json:"max_tokens"`
	System        []TextBlock       `json:"system,omitempty"`
	Messages      []Message         `json:"messages"`
	Tools         []json.RawMessage `json:"tools,omitempty"`
	ToolChoice    *ToolChoice       `json:"tool_choice,omitempty"`
	Temperature   *float64          `json:"temperature,omitempty"`
	TopP          *float64          `json:"top_p,omitempty"`
	TopK          *int32            `json:"top_k,omitempty"`
	StopSequences []string          `json:"stop_sequences,omitempty"`
	Stream        bool              `json:"stream,omitempty"`
	Metadata      *Metadata         `json:"metadata,omitempty"`
	Thinking      *Thinking         `json:"thinking,omitempty"`
	OutputConfig  *OutputConfig     `json:"output_config,omitempty"`
}

// TextBlock is a text block of the top-level system prompt.
type TextBlock struct {
	Type         string          `json:"type"`
	Text         string          `json:"text"`
	CacheControl json.RawMessage `json:"cache_control,omitempty"`
}

// Message is one conversation turn; Content is always written as blocks.
type Message struct {
	Role    string         `json:"role"`
	Content []ContentBlock `json:"content"`
}

// ContentBlock is one block of message or response content. Which fields
// are set depends on Type: text, image, document, tool_use, tool_result,
// thinking, redacted_thinking (and server-side block types on responses).
type ContentBlock struct {
	Type string `json:"type"`
	// Text is set on text blocks. It is a pointer so that an empty text
	// block still writes "text":"" on the wire.
	Text      *string         `json:"text,omitempty"`
	Source    *Source         `json:"source,omitempty"`
	Title     string          `json:"title,omitempty"`
	ID        string          `json:"id,omitempty"`
	Name      string          `json:"name,omitempty"`
	Input     json.RawMessage `json:"input,omitempty"`
	ToolUseID string          `json:"tool_use_id,omitempty"`
	// Content is a tool_result's content: a string or an array of blocks.
	Content      json.RawMessage `json:"content,omitempty"`
	IsError      bool            `json:"is_error,omitempty"`
	Thinking     *string         `json:"thinking,omitempty"`
	Signature    *string         `json:"signature,omitempty"`
	Data         string          `json:"data,omitempty"`
	CacheControl json.RawMessage `json:"cache_control,omitempty"`
}

// Source is where an image or document comes from.
type Source struct {
	Type      string `json:"type"` // base64, url, text, file
	MediaType string `json:"media_type,omitempty"`
	Data      string `json:"data,omitempty"`
	URL       string `json:"url,omitempty"`
	FileID    string `json:"file_id,omitempty"`
}

// FunctionTool is a client tool definition.
type FunctionTool struct {
	Name        string          `json:"name"`
	Description string          `json:"description,omitempty"`
	InputSchema json.RawMessage `json:"input_schema"`
}

// ToolChoice constrains tool use: auto, any, tool (with Name) or none.
type ToolChoice struct {
	Type                   string `json:"type"`
	Name                   string `json:"name,omitempty"`
	DisableParallelToolUse bool   `json:"disable_parallel_tool_use,omitempty"`
}

// Metadata is request metadata; Anthropic accepts only user_id.
type Metadata struct {
	UserID string `json:"user_id,omitempty"`
}

// Thinking configures extended thinking: enabled (with BudgetTokens),
// adaptive or disabled.
type Thinking struct {
	Type         string `json:"type"`
	BudgetTokens int32  `json:"budget_tokens,omitempty"`
}

// OutputConfig holds the effort level and the structured output format.
type OutputConfig struct {
	Effort string        `json:"effort,omitempty"`
	Format *OutputFormat `json:"format,omitempty"`
}

// OutputFormat constrains the answer to a JSON schema.
type OutputFormat struct {
	Type   string          `json:"type"`
	Schema json.RawMessage `json:"schema,omitempty"`
}

// MessageResponse is a non-streamed answer, and the "message" of a
// message_start stream event.
type MessageResponse struct {
	ID           string         `json:"id"`
	Type         string         `json:"type"`
	Role         string         `json:"role"`
	Model        string         `json:"model"`
	Content      []ContentBlock `json:"content"`
	StopReason   *string        `json:"stop_reason"`
	StopSequence *string        `json:"stop_sequence"`
	Usage        *Usage         `json:"usage"`
}

// Usage reports token counts. InputTokens excludes the cache counts.
// Pointers tell an absent count (a message_delta that does not repeat the
// input counts) from a zero one.
type Usage struct {
	InputTokens              *int64 `json:"input_tokens,omitempty"`
	OutputTokens             *int64 `json:"output_tokens,omitempty"`
	CacheCreationInputTokens *int64 `json:"cache_creation_input_tokens,omitempty"`
	CacheReadInputTokens     *int64 `json:"cache_read_input_tokens,omitempty"`
}

// StreamEvent is the data of any stream event; Type says which fields are set.
type StreamEvent struct {
	Type         string           `json:"type"`
	Message      *MessageResponse `json:"message,omitempty"`
	Index        int              `json:"index"`
	ContentBlock *ContentBlock    `json:"content_block,omitempty"`
	Delta        *StreamDelta     `json:"delta,omitempty"`
	Usage        *Usage           `json:"usage,omitempty"`
	Error        *ErrorDetail     `json:"error,omitempty"`
}

// StreamDelta is the delta of content_block_delta (text_delta,
// input_json_delta, thinking_delta, signature_delta, citations_delta) and of
// message_delta (stop_reason, stop_sequence).
type StreamDelta struct {
	Type         string  `json:"type"`
	Text         string  `json:"text"`
	PartialJSON  string  `json:"partial_json"`
	Thinking     string  `json:"thinking"`
	Signature    string  `json:"signature"`
	StopReason   *string `json:"stop_reason"`
	StopSequence *string `json:"stop_sequence"`
}

// ErrorBody is Anthropic's error envelope.
type ErrorBody struct {
	Type      string      `json:"type"`
	Error     ErrorDetail `json:"error"`
	RequestID string      `json:"request_id,omitempty"`
}

// ErrorDetail is the error itself.
type ErrorDetail struct {
	Type    string `json:"type"`
	Message string `json:"message"`
}
