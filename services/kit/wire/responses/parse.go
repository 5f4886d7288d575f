package responses

import (
	"encoding/json"
	"fmt"

	inferencev1 "github.com/tollgate/tollgate/gen/go/tollgate/inference/v1"
	"github.com/tollgate/tollgate/services/kit/errs"
)

// ParseResponse reads a Responses API "response" object into canonical
// form (Raw is left for the caller to set). Messages become text, reasoning
// items reasoning with their encrypted_content, function calls tool calls
// (custom tool calls with arguments {"input": …}); records of hosted tools
// the provider ran itself are left out. A response whose status is
// "failed" is returned as an upstream error.
func ParseResponse(body []byte) (*inferencev1.ChatResponse, error) {
	var w wireResponse
	if err := json.Unmarshal(body, &w); err != nil {
		return nil, fmt.Errorf("provider response is not a Responses API response: %w", err)
	}
	if w.Status == "failed" {
		return nil, failedResponseError(w.Error)
	}
	msg := &inferencev1.Message{Role: inferencev1.Role_ROLE_ASSISTANT}
	for _, it := range w.Output {
		switch it.Type {
		case "message":
			for _, p := range it.Content {
				switch p.Type {
				case "output_text":
					msg.Content = append(msg.Content, textPart(p.Text))
				case "refusal":
					msg.Content = append(msg.Content, textPart(p.Refusal))
				}
			}
		case "reasoning":
			rp := &inferencev1.ReasoningPart{Text: summaryText(it.Summary), EncryptedContent: it.EncryptedContent}
			if rp.Text == "" {
				rp.Text = reasoningContentText(it.Content)
			}
			if rp.Text != "" || rp.EncryptedContent != "" {
				msg.Content = append(msg.Content, &inferencev1.ContentPart{Part: &inferencev1.ContentPart_Reasoning{Reasoning: rp}})
			}
		case "function_call":
			msg.ToolCalls = append(msg.ToolCalls, &inferencev1.ToolCall{Id: it.CallID, Name: it.Name, ArgumentsJson: it.Arguments})
		case "custom_tool_call":
			msg.ToolCalls = append(msg.ToolCalls, &inferencev1.ToolCall{Id: it.CallID, Name: it.Name, ArgumentsJson: customArguments(it.Input)})
		}
	}
	fr, provider := finishReason(w.Status, w.IncompleteDetails, len(msg.ToolCalls) > 0)
	return &inferencev1.ChatResponse{
		Id:      w.ID,
		Model:   w.Model,
		Created: unixTime(w.CreatedAt),
		Usage:   usageFromWire(w.Usage),
		Choices: []*inferencev1.Choice{{Message: msg, FinishReason: fr, ProviderFinishReason: provider}},
	}, nil
}

func summaryText(s []wireSummary) string {
	if len(s) == 1 {
		return s[0].Text
	}
	var b []byte
	for _, p := range s {
		if len(b) > 0 {
			b = append(b, "\n\n"...)
		}
		b = append(b, p.Text...)
	}
	return string(b)
}

func reasoningContentText(ps []wireOutPart) string {
	var b []byte
	for _, p := range ps {
		if p.Type == "reasoning_text" || p.Type == "text" {
			b = append(b, p.Text...)
		}
	}
	return string(b)
}

// finishReason maps a response status to the canonical finish reason, and
// returns the provider's own word for it (the status, or the reason it is
// incomplete).
func finishReason(status string, inc *wireIncomplete, calledTools bool) (inferencev1.FinishReason, string) {
	switch status {
	case "completed":
		if calledTools {
			return inferencev1.FinishReason_FINISH_REASON_TOOL_CALLS, status
		}
		return inferencev1.FinishReason_FINISH_REASON_STOP, status
	case "incomplete":
		reason := ""
		if inc != nil {
			reason = inc.Reason
		}
		switch reason {
		case "content_filter":
			return inferencev1.FinishReason_FINISH_REASON_CONTENT_FILTER, reason
		case "", "max_output_tokens":
			return inferencev1.FinishReason_FINISH_REASON_LENGTH, firstNonEmpty(reason, status)
		}
		return inferencev1.FinishReason_FINISH_REASON_UNSPECIFIED, reason
	case "failed", "cancelled":
		return inferencev1.FinishReason_FINISH_REASON_ERROR, status
	}
	return inferencev1.FinishReason_FINISH_REASON_UNSPECIFIED, status
}

// usageFromWire converts Responses usage (nil stays nil). input_tokens
// include cached ones and output_tokens reasoning ones, as the canonical
// model counts.
func usageFromWire(u *wireUsage) *inferencev1.Usage {
	if u == nil {
		return nil
	}
	out := &inferencev1.Usage{InputTokens: u.InputTokens, OutputTokens: u.OutputTokens, TotalTokens: u.TotalTokens}
	if out.TotalTokens == 0 {
		out.TotalTokens = out.InputTokens + out.OutputTokens
	}
	if d := u.InputTokensDetails; d != nil {
		out.CacheReadInputTokens = d.CachedTokens
	}
	if d := u.OutputTokensDetails; d != nil {
		out.ReasoningTokens = d.ReasoningTokens
	}
	return out
}

// retryableCodes are failure codes after which another provider may well
// succeed.
var retryableCodes = map[string]bool{
	"": true, "server_error": true, "rate_limit_exceeded": true, "insufficient_quota": true,
}

// failedResponseError is the error of a unary response with status failed.
func failedResponseError(we *wireError) *errs.Error {
	code, msg := "upstream_error", "the provider failed to generate a response"
	if we != nil {
		if c := codeString(we.Code); c != "" {
			code = c
		}
		if we.Message != "" {
			msg = "the provider failed to generate a response: " + we.Message
		}
	}
	return &errs.Error{Kind: errs.KindUpstream, Code: code, Message: msg, Retryable: retryableCodes[code] || code == "upstream_error"}
}
