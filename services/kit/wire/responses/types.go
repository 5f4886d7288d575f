package responses

import (
	"github.com/tollgate/tollgate/services/kit/wire/internal/jsonx"

	"encoding/json"
	"strconv"
)

// Wire types of the Responses API as the provider side writes and reads
// them. The client-side decoder walks raw bytes instead (decode.go) to name
// exact field paths; these are only marshalled or unmarshalled whole.

// wireRequest is a POST /v1/responses body built for a provider.
type wireRequest struct {
	Model             string            `json:"model"`
	Input             []wireInputItem   `json:"input"`
	Tools             []json.RawMessage `json:"tools,omitempty"`
	ToolChoice        json.RawMessage   `json:"tool_choice,omitempty"`
	ParallelToolCalls *bool             `json:"parallel_tool_calls,omitempty"`
	Temperature       *float64          `json:"temperature,omitempty"`
	TopP              *float64          `json:"top_p,omitempty"`
	MaxOutputTokens   *int32            `json:"max_output_tokens,omitempty"`
	Reasoning         *wireReasoning    `json:"reasoning,omitempty"`
	Text              *wireText         `json:"text,omitempty"`
	User              string            `json:"user,omitempty"`
	Metadata          map[string]string `json:"metadata,omitempty"`
	Stream            bool              `json:"stream,omitempty"`
	// Store is always false: the gateway keeps no conversation at OpenAI, so
	// nothing is retained on the client's behalf.
	Store   bool     `json:"store"`
	Include []string `json:"include,omitempty"`
}

// wireInputItem is one input item; which members are set depends on Type.
type wireInputItem struct {
	Type             string          `json:"type"`
	Role             string          `json:"role,omitempty"`
	Content          *[]wirePart     `json:"content,omitempty"`
	CallID           string          `json:"call_id,omitempty"`
	Name             string          `json:"name,omitempty"`
	Arguments        *string         `json:"arguments,omitempty"`
	Output           json.RawMessage `json:"output,omitempty"`
	Summary          *[]wireSummary  `json:"summary,omitempty"`
	EncryptedContent string          `json:"encrypted_content,omitempty"`
}

// wirePart is one content part of an input message or tool output.
type wirePart struct {
	Type        string           `json:"type"`
	Text        *string          `json:"text,omitempty"`
	Annotations *json.RawMessage `json:"annotations,omitempty"`
	ImageURL    string           `json:"image_url,omitempty"`
	Detail      string           `json:"detail,omitempty"`
	FileID      string           `json:"file_id,omitempty"`
	FileData    string           `json:"file_data,omitempty"`
	FileURL     string           `json:"file_url,omitempty"`
	Filename    string           `json:"filename,omitempty"`
}

type wireSummary struct {
	Type string `json:"type"`
	Text string `json:"text"`
}

type wireReasoning struct {
	Effort  string `json:"effort,omitempty"`
	Summary string `json:"summary,omitempty"`
}

type wireText struct {
	Format wireFormat `json:"format"`
}

type wireFormat struct {
	Type   string          `json:"type"`
	Name   string          `json:"name,omitempty"`
	Schema json.RawMessage `json:"schema,omitempty"`
	Strict *bool           `json:"strict,omitempty"`
}

type wireFunctionTool struct {
	Type        string          `json:"type"`
	Name        string          `json:"name"`
	Description string          `json:"description,omitempty"`
	Parameters  json.RawMessage `json:"parameters"`
	Strict      bool            `json:"strict"`
}

// wireResponse is the response object, unary or inside stream events.
type wireResponse struct {
	ID                string          `json:"id"`
	CreatedAt         json.Number     `json:"created_at"`
	Model             string          `json:"model"`
	Status            string          `json:"status"`
	Output            []wireOutput    `json:"output"`
	Usage             *wireUsage      `json:"usage"`
	Error             *wireError      `json:"error"`
	IncompleteDetails *wireIncomplete `json:"incomplete_details"`
}

type wireOutput struct {
	Type             string        `json:"type"`
	ID               string        `json:"id"`
	Content          []wireOutPart `json:"content"`
	Summary          []wireSummary `json:"summary"`
	EncryptedContent string        `json:"encrypted_content"`
	CallID           string        `json:"call_id"`
	Name             string        `json:"name"`
	Arguments        string        `json:"arguments"`
	Input            string        `json:"input"`
}

type wireOutPart struct {
	Type    string `json:"type"`
	Text    string `json:"text"`
	Refusal string `json:"refusal"`
}

type wireUsage struct {
	InputTokens        int64 `json:"input_tokens"`
	InputTokensDetails *struct {
		CachedTokens int64 `json:"cached_tokens"`
	} `json:"input_tokens_details"`
	OutputTokens        int64 `json:"output_tokens"`
	OutputTokensDetails *struct {
		ReasoningTokens int64 `json:"reasoning_tokens"`
	} `json:"output_tokens_details"`
	TotalTokens int64 `json:"total_tokens"`
}

// wireError is a response's error, or the body of an "error" event. Code is
// usually a string; compatible servers sometimes send a number.
type wireError struct {
	Code    json.RawMessage `json:"code"`
	Message string          `json:"message"`
	Type    string          `json:"type"`
}

type wireIncomplete struct {
	Reason string `json:"reason"`
}

// codeString renders a code that may be a string, a number or null.
func codeString(raw json.RawMessage) string {
	if !jsonx.Present(raw) {
		return ""
	}
	if raw[0] == '"' {
		var s string
		if json.Unmarshal(raw, &s) == nil {
			return s
		}
		return ""
	}
	if _, err := strconv.ParseFloat(string(raw), 64); err == nil {
		return string(raw)
	}
	return ""
}

// unixTime reads created_at, which some servers send as a float.
func unixTime(n json.Number) int64 {
	if n == "" {
		return 0
	}
	if i, err := n.Int64(); err == nil {
		return i
	}
	f, err := n.Float64()
	if err != nil {
		return 0
	}
	return int64(f)
}
