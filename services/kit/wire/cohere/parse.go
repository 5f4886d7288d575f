package cohere

import (
	"encoding/json"
	"errors"
	"fmt"

	inferencev1 "github.com/tollgate/tollgate/gen/go/tollgate/inference/v1"
)

// ErrNotChat is returned by ParseResponse for a body that is not a Cohere
// chat answer.
var ErrNotChat = errors.New("provider response is not a Cohere chat answer")

// ParseResponse reads a chat v2 answer into canonical form: one choice
// whose content is the tool plan and thinking (as reasoning) and the text,
// in order, with the tool calls. Citations have no canonical form and are
// left out; the text they point into is kept.
func ParseResponse(body []byte) (*inferencev1.ChatResponse, error) {
	var w ChatResponse
	if err := json.Unmarshal(body, &w); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrNotChat, err)
	}
	if w.Message == nil {
		return nil, fmt.Errorf("%w: no message", ErrNotChat)
	}
	msg := &inferencev1.Message{Role: inferencev1.Role_ROLE_ASSISTANT}
	if w.Message.ToolPlan != "" {
		msg.Content = append(msg.Content, reasoningPart(w.Message.ToolPlan))
	}
	for _, c := range w.Message.Content {
		switch c.Type {
		case "text":
			msg.Content = append(msg.Content, &inferencev1.ContentPart{Part: &inferencev1.ContentPart_Text{Text: c.Text}})
		case "thinking":
			msg.Content = append(msg.Content, reasoningPart(c.Thinking))
		}
	}
	for _, tc := range w.Message.ToolCalls {
		args := tc.Function.Arguments
		if args == "" {
			args = "{}"
		}
		msg.ToolCalls = append(msg.ToolCalls, &inferencev1.ToolCall{Id: tc.ID, Name: tc.Function.Name, ArgumentsJson: args})
	}
	return &inferencev1.ChatResponse{
		Id: w.ID,
		Choices: []*inferencev1.Choice{{Message: msg,
			FinishReason: ParseFinishReason(w.FinishReason), ProviderFinishReason: w.FinishReason}},
		Usage: usageFromWire(w.Usage),
	}, nil
}

func reasoningPart(text string) *inferencev1.ContentPart {
	return &inferencev1.ContentPart{Part: &inferencev1.ContentPart_Reasoning{Reasoning: &inferencev1.ReasoningPart{Text: text}}}
}

// ParseFinishReason maps Cohere's finish_reason to the canonical one
// (ERROR_TOXIC, of older models, is a content filter).
func ParseFinishReason(s string) inferencev1.FinishReason {
	switch s {
	case "COMPLETE", "STOP_SEQUENCE":
		return inferencev1.FinishReason_FINISH_REASON_STOP
	case "MAX_TOKENS":
		return inferencev1.FinishReason_FINISH_REASON_LENGTH
	case "TOOL_CALL":
		return inferencev1.FinishReason_FINISH_REASON_TOOL_CALLS
	case "ERROR", "TIMEOUT":
		return inferencev1.FinishReason_FINISH_REASON_ERROR
	case "ERROR_TOXIC":
		return inferencev1.FinishReason_FINISH_REASON_CONTENT_FILTER
	}
	return inferencev1.FinishReason_FINISH_REASON_UNSPECIFIED
}

// usageFromWire converts Cohere usage (nil stays nil): token counts, or
// billed units when there are none.
func usageFromWire(u *Usage) *inferencev1.Usage {
	if u == nil {
		return nil
	}
	t := u.Tokens
	if t == nil || (t.InputTokens == nil && t.OutputTokens == nil) {
		t = u.BilledUnits
	}
	if t == nil {
		return nil
	}
	out := &inferencev1.Usage{InputTokens: count(t.InputTokens), OutputTokens: count(t.OutputTokens)}
	if u.CachedTokens != nil {
		out.CacheReadInputTokens = count(u.CachedTokens)
	}
	out.TotalTokens = out.InputTokens + out.OutputTokens
	return out
}

func count(f *float64) int64 {
	if f == nil || *f < 0 || *f > 1<<53 {
		return 0
	}
	return int64(*f + 0.5)
}
