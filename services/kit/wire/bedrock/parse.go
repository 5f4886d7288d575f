package bedrock

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"

	inferencev1 "github.com/tollgate/tollgate/gen/go/tollgate/inference/v1"
)

// ErrNotConverse is returned by ParseResponse for a body that is not a
// Converse answer.
var ErrNotConverse = errors.New("provider response is not a Bedrock Converse answer")

// ParseResponse reads a Converse answer into canonical form: one choice
// whose content keeps the order of text and reasoning blocks (redacted
// reasoning as opaque, base64 reasoning) and whose toolUse blocks become
// tool calls. Bedrock names no response id or model in the body; the
// caller sets them (the x-amzn-RequestId header, the model it called).
func ParseResponse(body []byte) (*inferencev1.ChatResponse, error) {
	var w ConverseResponse
	if err := json.Unmarshal(body, &w); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrNotConverse, err)
	}
	if w.Output.Message == nil && w.StopReason == "" {
		return nil, fmt.Errorf("%w: no output message and no stopReason", ErrNotConverse)
	}
	msg := &inferencev1.Message{Role: inferencev1.Role_ROLE_ASSISTANT}
	if w.Output.Message != nil {
		for _, b := range w.Output.Message.Content {
			switch {
			case b.Text != nil:
				msg.Content = append(msg.Content, &inferencev1.ContentPart{Part: &inferencev1.ContentPart_Text{Text: *b.Text}})
			case b.ReasoningContent != nil:
				r := &inferencev1.ReasoningPart{}
				if rt := b.ReasoningContent.ReasoningText; rt != nil {
					r.Text, r.Signature = rt.Text, rt.Signature
				}
				if rc := b.ReasoningContent.RedactedContent; len(rc) > 0 {
					r.EncryptedContent = base64.StdEncoding.EncodeToString(rc)
				}
				msg.Content = append(msg.Content, &inferencev1.ContentPart{Part: &inferencev1.ContentPart_Reasoning{Reasoning: r}})
			case b.ToolUse != nil:
				args := "{}"
				if len(b.ToolUse.Input) > 0 && string(b.ToolUse.Input) != "null" {
					args = string(b.ToolUse.Input)
				}
				msg.ToolCalls = append(msg.ToolCalls, &inferencev1.ToolCall{Id: b.ToolUse.ToolUseID, Name: b.ToolUse.Name, ArgumentsJson: args})
			}
		}
	}
	return &inferencev1.ChatResponse{
		Choices: []*inferencev1.Choice{{
			Message:              msg,
			FinishReason:         ParseStopReason(w.StopReason),
			ProviderFinishReason: w.StopReason,
		}},
		Usage: usageFromWire(w.Usage),
	}, nil
}

// ParseStopReason maps Converse's stopReason to the canonical finish
// reason; a model that produced malformed output or tool input failed.
func ParseStopReason(s string) inferencev1.FinishReason {
	switch s {
	case "end_turn", "stop_sequence":
		return inferencev1.FinishReason_FINISH_REASON_STOP
	case "max_tokens", "model_context_window_exceeded":
		return inferencev1.FinishReason_FINISH_REASON_LENGTH
	case "tool_use":
		return inferencev1.FinishReason_FINISH_REASON_TOOL_CALLS
	case "guardrail_intervened", "content_filtered":
		return inferencev1.FinishReason_FINISH_REASON_CONTENT_FILTER
	case "malformed_model_output", "malformed_tool_use":
		return inferencev1.FinishReason_FINISH_REASON_ERROR
	}
	return inferencev1.FinishReason_FINISH_REASON_UNSPECIFIED
}

// usageFromWire converts Bedrock usage (nil stays nil); the canonical
// input count includes the cached prompt tokens Bedrock reports apart.
func usageFromWire(u *Usage) *inferencev1.Usage {
	if u == nil {
		return nil
	}
	out := &inferencev1.Usage{
		InputTokens:              u.InputTokens + u.CacheReadInputTokens + u.CacheWriteInputTokens,
		OutputTokens:             u.OutputTokens,
		CacheReadInputTokens:     u.CacheReadInputTokens,
		CacheCreationInputTokens: u.CacheWriteInputTokens,
	}
	out.TotalTokens = out.InputTokens + out.OutputTokens
	return out
}
