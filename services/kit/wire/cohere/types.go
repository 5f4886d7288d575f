package cohere

import "encoding/json"

// ChatRequest is the body of POST /v2/chat.
type ChatRequest struct {
	Model            string          `json:"model"`
	Messages         []Message       `json:"messages"`
	Tools            []Tool          `json:"tools,omitempty"`
	ToolChoice       string          `json:"tool_choice,omitempty"`
	StrictTools      *bool           `json:"strict_tools,omitempty"`
	Stream           bool            `json:"stream,omitempty"`
	MaxTokens        *int32          `json:"max_tokens,omitempty"`
	Temperature      *float64        `json:"temperature,omitempty"`
	P                *float64        `json:"p,omitempty"`
	K                *int32          `json:"k,omitempty"`
	StopSequences    []string        `json:"stop_sequences,omitempty"`
	Seed             *int64          `json:"seed,omitempty"`
	FrequencyPenalty *float64        `json:"frequency_penalty,omitempty"`
	PresencePenalty  *float64        `json:"presence_penalty,omitempty"`
	ResponseFormat   *ResponseFormat `json:"response_format,omitempty"`
	Thinking         *Thinking       `json:"thinking,omitempty"`
}

// Message is one chat message: role system, user, assistant or tool.
// Content is a string or an array of content items.
type Message struct {
	Role       string          `json:"role"`
	Content    json.RawMessage `json:"content,omitempty"`
	ToolCalls  []ToolCall      `json:"tool_calls,omitempty"`
	ToolPlan   string          `json:"tool_plan,omitempty"`
	ToolCallID string          `json:"tool_call_id,omitempty"`
}

// ContentItem is one item of a content array: text, image_url (user),
// thinking (assistant answers) or document (tool results).
type ContentItem struct {
	Type     string    `json:"type"`
	Text     string    `json:"text,omitempty"`
	Thinking string    `json:"thinking,omitempty"`
	ImageURL *ImageURL `json:"image_url,omitempty"`
}

// ImageURL is an image by URL (http(s) or data:).
type ImageURL struct {
	URL    string `json:"url"`
	Detail string `json:"detail,omitempty"`
}

// ToolCall is a call the model made.
type ToolCall struct {
	ID       string       `json:"id"`
	Type     string       `json:"type"`
	Function FunctionCall `json:"function"`
}

// FunctionCall names the function and its arguments (JSON text).
type FunctionCall struct {
	Name      string `json:"name"`
	Arguments string `json:"arguments"`
}

// Tool is a function the model may call.
type Tool struct {
	Type     string      `json:"type"`
	Function FunctionDef `json:"function"`
}

// FunctionDef defines a function.
type FunctionDef struct {
	Name        string          `json:"name"`
	Description string          `json:"description,omitempty"`
	Parameters  json.RawMessage `json:"parameters"`
}

// ResponseFormat is text or json_object (with an optional JSON schema).
type ResponseFormat struct {
	Type       string          `json:"type"`
	JSONSchema json.RawMessage `json:"json_schema,omitempty"`
}

// Thinking turns reasoning on or off for reasoning models.
type Thinking struct {
	Type        string `json:"type"`
	TokenBudget int32  `json:"token_budget,omitempty"`
}

// ChatResponse is a non-streamed answer.
type ChatResponse struct {
	ID           string          `json:"id"`
	FinishReason string          `json:"finish_reason"`
	Message      *AssistantReply `json:"message"`
	Usage        *Usage          `json:"usage"`
}

// AssistantReply is the answer's message.
type AssistantReply struct {
	Role      string        `json:"role"`
	Content   []ContentItem `json:"content"`
	ToolPlan  string        `json:"tool_plan"`
	ToolCalls []ToolCall    `json:"tool_calls"`
}

// Usage reports billed units and token counts; Cohere writes counts as
// numbers that may carry a fraction (5.0).
type Usage struct {
	BilledUnits  *Tokens  `json:"billed_units"`
	Tokens       *Tokens  `json:"tokens"`
	CachedTokens *float64 `json:"cached_tokens"`
}

// Tokens are input and output counts.
type Tokens struct {
	InputTokens  *float64 `json:"input_tokens"`
	OutputTokens *float64 `json:"output_tokens"`
}

// streamEvent is any event of a chat stream; each type sets its own
// members.
type streamEvent struct {
	Type  string       `json:"type"`
	ID    string       `json:"id"`
	Index int          `json:"index"`
	Delta *streamDelta `json:"delta"`
}

type streamDelta struct {
	Message      *deltaMessage `json:"message"`
	FinishReason string        `json:"finish_reason"`
	Error        string        `json:"error"`
	Usage        *Usage        `json:"usage"`
}

// deltaMessage is what a content, tool plan or tool call event adds.
// message-start sends content and tool_calls as (empty) arrays, the other
// events as one object, so they are read per event type.
type deltaMessage struct {
	Content   json.RawMessage `json:"content"`
	ToolPlan  *string         `json:"tool_plan"`
	ToolCalls json.RawMessage `json:"tool_calls"`
}

type deltaContent struct {
	Type     string  `json:"type"`
	Text     *string `json:"text"`
	Thinking *string `json:"thinking"`
}

// deltaToolCall is one tool call (not an array, despite the name).
type deltaToolCall struct {
	ID       string `json:"id"`
	Function *struct {
		Name      string `json:"name"`
		Arguments string `json:"arguments"`
	} `json:"function"`
}
