package anthropic

import (
	"encoding/json"
	"errors"
	"fmt"

	inferencev1 "github.com/tollgate/tollgate/gen/go/tollgate/inference/v1"
)

// ErrNotMessage is returned by ParseResponse for a body that is not an
// Anthropic message.
var ErrNotMessage = errors.New("provider response is not an Anthropic message")

// ParseResponse reads an Anthropic "message" body into canonical form: one
// choice whose content keeps the order of text and thinking blocks
// (redacted_thinking as opaque reasoning) and whose tool_use blocks become
// tool calls. Server tool blocks (server_tool_use, web_search_tool_result…)
// have no canonical form and are left out; the text blocks around them
// carry the answer. Raw is left for the caller to set.
func ParseResponse(body []byte) (*inferencev1.ChatResponse, error) {
	var w MessageResponse
	if err := json.Unmarshal(body, &w); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrNotMessage, err)
	}
	if w.Type != "" && w.Type != "message" {
		return nil, fmt.Errorf("%w: type %q", ErrNotMessage, w.Type)
	}
	msg := &inferencev1.Message{Role: inferencev1.Role_ROLE_ASSISTANT}
	for _, b := range w.Content {
		switch b.Type {
		case "text":
			if b.Text != nil {
				msg.Content = append(msg.Content, textPart(*b.Text))
			}
		case "thinking":
			r := &inferencev1.ReasoningPart{}
			if b.Thinking != nil {
				r.Text = *b.Thinking
			}
			if b.Signature != nil {
				r.Signature = *b.Signature
			}
			msg.Content = append(msg.Content, &inferencev1.ContentPart{Part: &inferencev1.ContentPart_Reasoning{Reasoning: r}})
		case "redacted_thinking":
			msg.Content = append(msg.Content, &inferencev1.ContentPart{Part: &inferencev1.ContentPart_Reasoning{
				Reasoning: &inferencev1.ReasoningPart{EncryptedContent: b.Data}}})
		case "tool_use":
			args := "{}"
			if len(b.Input) > 0 {
				args = string(b.Input)
			}
			msg.ToolCalls = append(msg.ToolCalls, &inferencev1.ToolCall{Id: b.ID, Name: b.Name, ArgumentsJson: args})
		}
	}
	choice := &inferencev1.Choice{Message: msg}
	if w.StopReason != nil {
		choice.ProviderFinishReason = *w.StopReason
		choice.FinishReason = ParseStopReason(*w.StopReason)
	}
	return &inferencev1.ChatResponse{
		Id:      w.ID,
		Model:   w.Model,
		Choices: []*inferencev1.Choice{choice},
		Usage:   usageFromWire(w.Usage),
	}, nil
}

// ParseStopReason maps Anthropic's stop_reason to the canonical finish
// reason. pause_turn (a server tool loop paused; the client may continue
// the turn) is a stop; model_context_window_exceeded a length limit.
func ParseStopReason(s string) inferencev1.FinishReason {
	switch s {
	case "end_turn", "stop_sequence", "pause_turn":
		return inferencev1.FinishReason_FINISH_REASON_STOP
	case "max_tokens", "model_context_window_exceeded":
		return inferencev1.FinishReason_FINISH_REASON_LENGTH
	case "tool_use":
		return inferencev1.FinishReason_FINISH_REASON_TOOL_CALLS
	case "refusal":
		return inferencev1.FinishReason_FINISH_REASON_CONTENT_FILTER
	}
	return inferencev1.FinishReason_FINISH_REASON_UNSPECIFIED
}

// usageFromWire converts Anthropic usage (nil stays nil). The canonical
// input count includes the cached tokens Anthropic reports apart.
func usageFromWire(u *Usage) *inferencev1.Usage {
	if u == nil {
		return nil
	}
	out := &inferencev1.Usage{
		InputTokens:              val(u.InputTokens) + val(u.CacheReadInputTokens) + val(u.CacheCreationInputTokens),
		OutputTokens:             val(u.OutputTokens),
		CacheReadInputTokens:     val(u.CacheReadInputTokens),
		CacheCreationInputTokens: val(u.CacheCreationInputTokens),
	}
	out.TotalTokens = out.InputTokens + out.OutputTokens
	return out
}

func val(p *int64) int64 {
	if p == nil {
		return 0
	}
	return *p
}
