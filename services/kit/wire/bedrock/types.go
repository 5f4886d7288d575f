package bedrock

import "encoding/json"

// The Converse wire types, as Bedrock's REST JSON protocol writes them:
// camelCase members, blobs (image and document bytes, redacted reasoning)
// as base64 strings, unions as objects with exactly one member set.

// ConverseRequest is the body of Converse and ConverseStream.
type ConverseRequest struct {
	Messages        []Message        `json:"messages"`
	System          []SystemBlock    `json:"system,omitempty"`
	InferenceConfig *InferenceConfig `json:"inferenceConfig,omitempty"`
	ToolConfig      *ToolConfig      `json:"toolConfig,omitempty"`
	// AdditionalModelRequestFields are passed to the model as they are
	// (Anthropic's thinking and top_k).
	AdditionalModelRequestFields json.RawMessage `json:"additionalModelRequestFields,omitempty"`
	OutputConfig                 *OutputConfig   `json:"outputConfig,omitempty"`
}

// Message is one turn: role user or assistant.
type Message struct {
	Role    string         `json:"role"`
	Content []ContentBlock `json:"content"`
}

// SystemBlock is one block of the system prompt.
type SystemBlock struct {
	Text       string      `json:"text,omitempty"`
	CachePoint *CachePoint `json:"cachePoint,omitempty"`
}

// CachePoint marks the end of a cacheable prompt prefix.
type CachePoint struct {
	Type string `json:"type"`
}

// ContentBlock is a union: exactly one member is set.
type ContentBlock struct {
	Text             *string                `json:"text,omitempty"`
	Image            *ImageBlock            `json:"image,omitempty"`
	Document         *DocumentBlock         `json:"document,omitempty"`
	ToolUse          *ToolUseBlock          `json:"toolUse,omitempty"`
	ToolResult       *ToolResultBlock       `json:"toolResult,omitempty"`
	ReasoningContent *ReasoningContentBlock `json:"reasoningContent,omitempty"`
	CachePoint       *CachePoint            `json:"cachePoint,omitempty"`
}

// ImageBlock is an image: format png, jpeg, gif or webp.
type ImageBlock struct {
	Format string `json:"format"`
	Source Source `json:"source"`
}

// DocumentBlock is a document: format pdf, csv, doc, docx, xls, xlsx,
// html, txt or md; name is shown to the model.
type DocumentBlock struct {
	Format string `json:"format"`
	Name   string `json:"name"`
	Source Source `json:"source"`
}

// Source holds media inline (bytes) or in S3.
type Source struct {
	Bytes      []byte      `json:"bytes,omitempty"`
	S3Location *S3Location `json:"s3Location,omitempty"`
}

// S3Location is an object in S3.
type S3Location struct {
	URI string `json:"uri"`
}

// ToolUseBlock is a tool call by the model.
type ToolUseBlock struct {
	ToolUseID string          `json:"toolUseId"`
	Name      string          `json:"name"`
	Input     json.RawMessage `json:"input"`
}

// ToolResultBlock answers a tool call; status is success or error.
type ToolResultBlock struct {
	ToolUseID string              `json:"toolUseId"`
	Content   []ToolResultContent `json:"content"`
	Status    string              `json:"status,omitempty"`
}

// ToolResultContent is a union: text, json, image or document.
type ToolResultContent struct {
	Text     *string         `json:"text,omitempty"`
	JSON     json.RawMessage `json:"json,omitempty"`
	Image    *ImageBlock     `json:"image,omitempty"`
	Document *DocumentBlock  `json:"document,omitempty"`
}

// ReasoningContentBlock is model reasoning: readable text with its
// signature, or redacted (encrypted) content.
type ReasoningContentBlock struct {
	ReasoningText   *ReasoningText `json:"reasoningText,omitempty"`
	RedactedContent []byte         `json:"redactedContent,omitempty"`
}

// ReasoningText is readable reasoning.
type ReasoningText struct {
	Text      string `json:"text"`
	Signature string `json:"signature,omitempty"`
}

// InferenceConfig holds the sampling parameters every model takes.
type InferenceConfig struct {
	MaxTokens     *int32   `json:"maxTokens,omitempty"`
	Temperature   *float64 `json:"temperature,omitempty"`
	TopP          *float64 `json:"topP,omitempty"`
	StopSequences []string `json:"stopSequences,omitempty"`
}

// ToolConfig offers tools.
type ToolConfig struct {
	Tools      []Tool      `json:"tools"`
	ToolChoice *ToolChoice `json:"toolChoice,omitempty"`
}

// Tool is a union: a tool specification (or a cache point).
type Tool struct {
	ToolSpec *ToolSpec `json:"toolSpec,omitempty"`
}

// ToolSpec defines a function.
type ToolSpec struct {
	Name        string      `json:"name"`
	Description string      `json:"description,omitempty"`
	InputSchema InputSchema `json:"inputSchema"`
	Strict      *bool       `json:"strict,omitempty"`
}

// InputSchema wraps the JSON schema of a tool's input.
type InputSchema struct {
	JSON json.RawMessage `json:"json"`
}

// ToolChoice is a union: auto, any (some tool) or tool (the named one).
type ToolChoice struct {
	Auto *struct{}     `json:"auto,omitempty"`
	Any  *struct{}     `json:"any,omitempty"`
	Tool *SpecificTool `json:"tool,omitempty"`
}

// SpecificTool names the forced tool.
type SpecificTool struct {
	Name string `json:"name"`
}

// OutputConfig constrains the output (structured output).
type OutputConfig struct {
	TextFormat *OutputFormat `json:"textFormat,omitempty"`
}

// OutputFormat is type json_schema with its structure.
type OutputFormat struct {
	Type      string                `json:"type"`
	Structure OutputFormatStructure `json:"structure"`
}

// OutputFormatStructure holds the JSON schema.
type OutputFormatStructure struct {
	JSONSchema *JSONSchemaDefinition `json:"jsonSchema,omitempty"`
}

// JSONSchemaDefinition is a JSON schema given as JSON text (a string).
type JSONSchemaDefinition struct {
	Schema      string `json:"schema"`
	Name        string `json:"name,omitempty"`
	Description string `json:"description,omitempty"`
}

// ConverseResponse is Converse's answer.
type ConverseResponse struct {
	Output struct {
		Message *Message `json:"message"`
	} `json:"output"`
	StopReason string `json:"stopReason"`
	Usage      *Usage `json:"usage"`
}

// Usage is Bedrock's token report.
type Usage struct {
	InputTokens           int64 `json:"inputTokens"`
	OutputTokens          int64 `json:"outputTokens"`
	TotalTokens           int64 `json:"totalTokens"`
	CacheReadInputTokens  int64 `json:"cacheReadInputTokens"`
	CacheWriteInputTokens int64 `json:"cacheWriteInputTokens"`
}

// streamEvent is the payload of any ConverseStream event; each event type
// sets its own members.
type streamEvent struct {
	Role              string      `json:"role"`
	ContentBlockIndex int         `json:"contentBlockIndex"`
	Start             *blockStart `json:"start"`
	Delta             *blockDelta `json:"delta"`
	StopReason        string      `json:"stopReason"`
	Usage             *Usage      `json:"usage"`
	Message           string      `json:"message"`
	OriginalMessage   string      `json:"originalMessage"`
	OriginalStatus    int         `json:"originalStatusCode"`
}

type blockStart struct {
	ToolUse *struct {
		ToolUseID string `json:"toolUseId"`
		Name      string `json:"name"`
	} `json:"toolUse"`
}

type blockDelta struct {
	Text    *string `json:"text"`
	ToolUse *struct {
		Input string `json:"input"`
	} `json:"toolUse"`
	ReasoningContent *struct {
		Text            *string `json:"text"`
		Signature       *string `json:"signature"`
		RedactedContent []byte  `json:"redactedContent"`
	} `json:"reasoningContent"`
}
