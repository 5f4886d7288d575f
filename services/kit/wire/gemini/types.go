package gemini

import "encoding/json"

// Wire types of the Gemini API (generativelanguage v1beta) and Vertex AI
// generateContent, which share one body shape. The provider side marshals
// requests from and unmarshals responses into these; the client-side
// decoder walks raw bytes instead (see decode.go) to report exact field
// paths and to accept the snake_case spellings Google's servers also take.
// Fields Google may add later are ignored on decode.

// GenerateContentRequest is a POST …/models/{model}:generateContent (or
// :streamGenerateContent) body. The model is in the URL, not the body.
type GenerateContentRequest struct {
	Contents          []Content         `json:"contents"`
	SystemInstruction *Content          `json:"systemInstruction,omitempty"`
	Tools             []json.RawMessage `json:"tools,omitempty"`
	ToolConfig        *ToolConfig       `json:"toolConfig,omitempty"`
	GenerationConfig  *GenerationConfig `json:"generationConfig,omitempty"`
	SafetySettings    json.RawMessage   `json:"safetySettings,omitempty"`
}

// Content is one turn: role "user" or "model" and its parts.
type Content struct {
	Role  string `json:"role,omitempty"`
	Parts []Part `json:"parts"`
}

// Part is one piece of a turn; exactly one of its data fields is set.
// Thought marks a text part as the model's thinking, and ThoughtSignature
// is the opaque token Gemini attaches after thinking (on the first function
// call of a turn, or on a text part) and wants back in the history.
type Part struct {
	Text                *string           `json:"text,omitempty"`
	Thought             bool              `json:"thought,omitempty"`
	InlineData          *Blob             `json:"inlineData,omitempty"`
	FileData            *FileData         `json:"fileData,omitempty"`
	FunctionCall        *FunctionCall     `json:"functionCall,omitempty"`
	FunctionResponse    *FunctionResponse `json:"functionResponse,omitempty"`
	ExecutableCode      json.RawMessage   `json:"executableCode,omitempty"`
	CodeExecutionResult json.RawMessage   `json:"codeExecutionResult,omitempty"`
	ThoughtSignature    string            `json:"thoughtSignature,omitempty"`
}

// Blob is inline bytes, base64 in JSON.
type Blob struct {
	MimeType string `json:"mimeType"`
	Data     string `json:"data"`
}

// FileData references a file by URI (Files API, gs://, http(s)).
type FileData struct {
	MimeType string `json:"mimeType,omitempty"`
	FileURI  string `json:"fileUri"`
}

// FunctionCall is a call the model made; Args is a JSON object.
type FunctionCall struct {
	ID   string          `json:"id,omitempty"`
	Name string          `json:"name"`
	Args json.RawMessage `json:"args,omitempty"`
}

// FunctionResponse answers a FunctionCall; Response is a JSON object
// (by convention {"output": …} or {"error": …}). Parts carries media a
// function returned (Gemini 3 multimodal function responses).
type FunctionResponse struct {
	ID       string                 `json:"id,omitempty"`
	Name     string                 `json:"name"`
	Response json.RawMessage        `json:"response"`
	Parts    []FunctionResponsePart `json:"parts,omitempty"`
}

// FunctionResponsePart is media inside a function response.
type FunctionResponsePart struct {
	InlineData *Blob `json:"inlineData,omitempty"`
}

// FunctionDeclaration is a function the model may call. Parameters is
// Gemini's OpenAPI-style Schema (upper-case type names); ParametersJSONSchema
// is plain JSON Schema. They are mutually exclusive.
type FunctionDeclaration struct {
	Name                 string          `json:"name"`
	Description          string          `json:"description,omitempty"`
	Parameters           json.RawMessage `json:"parameters,omitempty"`
	ParametersJSONSchema json.RawMessage `json:"parametersJsonSchema,omitempty"`
}

// FunctionTool is a tools[] entry holding function declarations.
type FunctionTool struct {
	FunctionDeclarations []FunctionDeclaration `json:"functionDeclarations"`
}

// ToolConfig constrains tool use.
type ToolConfig struct {
	FunctionCallingConfig *FunctionCallingConfig `json:"functionCallingConfig,omitempty"`
}

// FunctionCallingConfig is mode AUTO, ANY, NONE (or VALIDATED) and, with
// ANY, the functions the model may pick from.
type FunctionCallingConfig struct {
	Mode                 string   `json:"mode,omitempty"`
	AllowedFunctionNames []string `json:"allowedFunctionNames,omitempty"`
}

// GenerationConfig holds sampling and output parameters.
type GenerationConfig struct {
	Temperature        *float64        `json:"temperature,omitempty"`
	TopP               *float64        `json:"topP,omitempty"`
	TopK               *int32          `json:"topK,omitempty"`
	CandidateCount     *int32          `json:"candidateCount,omitempty"`
	MaxOutputTokens    *int32          `json:"maxOutputTokens,omitempty"`
	StopSequences      []string        `json:"stopSequences,omitempty"`
	Seed               *int64          `json:"seed,omitempty"`
	PresencePenalty    *float64        `json:"presencePenalty,omitempty"`
	FrequencyPenalty   *float64        `json:"frequencyPenalty,omitempty"`
	ResponseMimeType   string          `json:"responseMimeType,omitempty"`
	ResponseSchema     json.RawMessage `json:"responseSchema,omitempty"`
	ResponseJSONSchema json.RawMessage `json:"responseJsonSchema,omitempty"`
	ThinkingConfig     *ThinkingConfig `json:"thinkingConfig,omitempty"`
}

// ThinkingConfig configures thinking: a token budget (Gemini 2.5; -1 is
// dynamic, 0 off) or a level (Gemini 3: MINIMAL, LOW, MEDIUM, HIGH), not
// both; IncludeThoughts asks for thought summaries in the answer.
type ThinkingConfig struct {
	IncludeThoughts bool   `json:"includeThoughts,omitempty"`
	ThinkingBudget  *int32 `json:"thinkingBudget,omitempty"`
	ThinkingLevel   string `json:"thinkingLevel,omitempty"`
}

// GenerateContentResponse is the unary answer and also each streamed chunk
// (a partial answer; the last carries finishReason and the full usage).
type GenerateContentResponse struct {
	Candidates     []Candidate     `json:"candidates"`
	PromptFeedback *PromptFeedback `json:"promptFeedback,omitempty"`
	UsageMetadata  *UsageMetadata  `json:"usageMetadata,omitempty"`
	ModelVersion   string          `json:"modelVersion,omitempty"`
	ResponseID     string          `json:"responseId,omitempty"`
	// Error is set when a provider reports a failure inside a stream.
	Error *ErrorDetail `json:"error,omitempty"`
}

// Candidate is one answer.
type Candidate struct {
	Content      *Content `json:"content,omitempty"`
	FinishReason string   `json:"finishReason,omitempty"`
	Index        int32    `json:"index"`
}

// PromptFeedback says why a prompt was blocked.
type PromptFeedback struct {
	BlockReason string `json:"blockReason,omitempty"`
}

// UsageMetadata reports token counts. PromptTokenCount includes cached
// tokens; CandidatesTokenCount excludes thinking, which is
// ThoughtsTokenCount; TotalTokenCount is the sum of all of them.
type UsageMetadata struct {
	PromptTokenCount        int64 `json:"promptTokenCount"`
	CandidatesTokenCount    int64 `json:"candidatesTokenCount"`
	TotalTokenCount         int64 `json:"totalTokenCount"`
	CachedContentTokenCount int64 `json:"cachedContentTokenCount"`
	ThoughtsTokenCount      int64 `json:"thoughtsTokenCount"`
	ToolUsePromptTokenCount int64 `json:"toolUsePromptTokenCount"`
}

// ErrorBody is Google's error envelope.
type ErrorBody struct {
	Error ErrorDetail `json:"error"`
}

// ErrorDetail is the error itself: the HTTP code, a message, the
// google.rpc status name (INVALID_ARGUMENT…) and typed details such as
// RetryInfo and ErrorInfo.
type ErrorDetail struct {
	Code    int               `json:"code"`
	Message string            `json:"message"`
	Status  string            `json:"status"`
	Details []json.RawMessage `json:"details,omitempty"`
}

// EmbedContentRequest is one embedding request: the body of
// :embedContent, and each entry of :batchEmbedContents.
type EmbedContentRequest struct {
	Model                string  `json:"model,omitempty"`
	Content              Content `json:"content"`
	TaskType             string  `json:"taskType,omitempty"`
	Title                string  `json:"title,omitempty"`
	OutputDimensionality *int32  `json:"outputDimensionality,omitempty"`
}

// BatchEmbedContentsRequest is a :batchEmbedContents body.
type BatchEmbedContentsRequest struct {
	Requests []EmbedContentRequest `json:"requests"`
}

// ContentEmbedding is one vector.
type ContentEmbedding struct {
	Values []float32 `json:"values"`
}

// EmbedContentsResponse is the answer of :embedContent (Embedding) or
// :batchEmbedContents (Embeddings).
type EmbedContentsResponse struct {
	Embedding  *ContentEmbedding  `json:"embedding,omitempty"`
	Embeddings []ContentEmbedding `json:"embeddings,omitempty"`
}
