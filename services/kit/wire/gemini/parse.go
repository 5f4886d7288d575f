package gemini

import (
	"github.com/tollgate/tollgate/services/kit/wire/internal/jsonx"

	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"

	inferencev1 "github.com/tollgate/tollgate/gen/go/tollgate/inference/v1"
)

// ErrNotResponse is returned for provider data that is not a
// GenerateContentResponse.
var ErrNotResponse = errors.New("provider data is not a Gemini GenerateContentResponse")

// ParseResponse reads a Gemini generateContent answer into canonical form
// (Raw is left for the caller to set). It also reads the JSON array that
// :streamGenerateContent returns without alt=sse, merging its chunks.
// Function calls without an id get "call_<responseId>_<n>", so a client of
// another dialect can answer them; Gemini's STOP after function calls is
// FINISH_REASON_TOOL_CALLS; a blocked prompt is one choice finished by the
// content filter with the block reason as the provider's word.
func ParseResponse(body []byte) (*inferencev1.ChatResponse, error) {
	trimmed := bytes.TrimSpace(body)
	var chunks []GenerateContentResponse
	if len(trimmed) > 0 && trimmed[0] == '[' {
		if err := json.Unmarshal(trimmed, &chunks); err != nil {
			return nil, fmt.Errorf("%w: %v", ErrNotResponse, err)
		}
	} else {
		chunks = make([]GenerateContentResponse, 1)
		if err := json.Unmarshal(trimmed, &chunks[0]); err != nil {
			return nil, fmt.Errorf("%w: %v", ErrNotResponse, err)
		}
	}
	r := &inferencev1.ChatResponse{}
	var acc responseAccumulator
	for i := range chunks {
		w := &chunks[i]
		if w.Error != nil {
			return nil, fmt.Errorf("%w: the body is an error: %s", ErrNotResponse, w.Error.Message)
		}
		if w.ResponseID != "" {
			r.Id = w.ResponseID
		}
		if w.ModelVersion != "" {
			r.Model = w.ModelVersion
		}
		if u := usageFromWire(w.UsageMetadata); u != nil {
			r.Usage = u
		}
		acc.add(r, w)
	}
	if len(r.Choices) == 0 {
		// A candidate-less answer: the prompt was blocked, or nothing came.
		ch := &inferencev1.Choice{Message: &inferencev1.Message{Role: inferencev1.Role_ROLE_ASSISTANT}}
		ch.FinishReason = inferencev1.FinishReason_FINISH_REASON_STOP
		if fb := acc.blockReason; fb != "" {
			ch.FinishReason, ch.ProviderFinishReason = inferencev1.FinishReason_FINISH_REASON_CONTENT_FILTER, fb
		}
		r.Choices = append(r.Choices, ch)
	}
	for _, ch := range r.Choices {
		if ch.FinishReason == inferencev1.FinishReason_FINISH_REASON_STOP && len(ch.GetMessage().GetToolCalls()) > 0 {
			ch.FinishReason = inferencev1.FinishReason_FINISH_REASON_TOOL_CALLS
		}
	}
	return r, nil
}

// responseAccumulator merges candidates, by index, across the chunks of
// an array answer.
type responseAccumulator struct {
	blockReason string
	calls       int
}

func (a *responseAccumulator) add(r *inferencev1.ChatResponse, w *GenerateContentResponse) {
	if w.PromptFeedback != nil && w.PromptFeedback.BlockReason != "" {
		a.blockReason = w.PromptFeedback.BlockReason
	}
	for ci := range w.Candidates {
		c := &w.Candidates[ci]
		var ch *inferencev1.Choice
		for _, existing := range r.Choices {
			if existing.Index == c.Index {
				ch = existing
			}
		}
		if ch == nil {
			ch = &inferencev1.Choice{Index: c.Index, Message: &inferencev1.Message{Role: inferencev1.Role_ROLE_ASSISTANT}}
			r.Choices = append(r.Choices, ch)
		}
		if c.Content != nil {
			for pi := range c.Content.Parts {
				a.addPart(ch.Message, &c.Content.Parts[pi], r.Id)
			}
		}
		if c.FinishReason != "" {
			ch.ProviderFinishReason = c.FinishReason
			ch.FinishReason = ParseFinishReason(c.FinishReason)
		}
	}
}

// addPart adds one part of a model answer to msg, as the request decoder
// does for model turns: consecutive thoughts and texts merge, a signature
// signs the thinking before it (and a function call carries its own).
func (a *responseAccumulator) addPart(msg *inferencev1.Message, p *Part, responseID string) {
	sig := p.ThoughtSignature
	switch {
	case p.FunctionCall != nil:
		tc := &inferencev1.ToolCall{
			Id: p.FunctionCall.ID, Name: p.FunctionCall.Name,
			ArgumentsJson: argsText(p.FunctionCall.Args), Signature: sig,
		}
		if tc.Id == "" {
			tc.Id = responseCallID(responseID, a.calls)
		}
		a.calls++
		if r := openReasoning(msg); r != nil && r.Signature == "" && sig != "" {
			r.Signature = sig
		}
		msg.ToolCalls = append(msg.ToolCalls, tc)
	case p.Text != nil && p.Thought:
		if r := openReasoning(msg); r != nil && r.Signature == "" {
			r.Text += *p.Text
			r.Signature = sig
			return
		}
		msg.Content = append(msg.Content, reasoningPart(*p.Text, sig))
	case p.Text != nil:
		attachSignature(msg, sig)
		if n := len(msg.Content); n > 0 {
			if x, ok := msg.Content[n-1].GetPart().(*inferencev1.ContentPart_Text); ok {
				x.Text += *p.Text
				return
			}
		}
		if *p.Text != "" || sig == "" {
			msg.Content = append(msg.Content, &inferencev1.ContentPart{Part: &inferencev1.ContentPart_Text{Text: *p.Text}})
		}
	case p.InlineData != nil:
		attachSignature(msg, sig)
		data, _ := base64.StdEncoding.DecodeString(p.InlineData.Data)
		msg.Content = append(msg.Content, mediaPart(p.InlineData.MimeType, data, ""))
	default:
		attachSignature(msg, sig)
	}
}

// argsText is a call's arguments as JSON text: "{}" when absent.
func argsText(args json.RawMessage) string {
	if len(args) == 0 || jsonx.IsNull(args) {
		return "{}"
	}
	return jsonx.ValidUTF8(args)
}

// responseCallID names the n-th call of a response that gave calls no id.
func responseCallID(responseID string, n int) string {
	if responseID == "" {
		responseID = idOrNew("")
	}
	b := make([]byte, 0, len(responseID)+12)
	b = append(b, "call_"...)
	b = append(b, responseID...)
	b = append(b, '_')
	b = strconv.AppendInt(b, int64(n), 10)
	return string(b)
}

// ParseFinishReason maps Gemini's finishReason to the canonical one. STOP
// is also what Gemini says after function calls; callers that know a
// candidate called functions report TOOL_CALLS instead.
func ParseFinishReason(s string) inferencev1.FinishReason {
	switch s {
	case "STOP":
		return inferencev1.FinishReason_FINISH_REASON_STOP
	case "MAX_TOKENS":
		return inferencev1.FinishReason_FINISH_REASON_LENGTH
	case "SAFETY", "RECITATION", "BLOCKLIST", "PROHIBITED_CONTENT", "SPII", "IMAGE_SAFETY",
		"IMAGE_PROHIBITED_CONTENT", "IMAGE_RECITATION", "MODEL_ARMOR", "LANGUAGE":
		return inferencev1.FinishReason_FINISH_REASON_CONTENT_FILTER
	case "MALFORMED_FUNCTION_CALL", "UNEXPECTED_TOOL_CALL", "TOO_MANY_TOOL_CALLS", "OTHER",
		"IMAGE_OTHER", "NO_IMAGE", "MISSING_THOUGHT_SIGNATURE", "MALFORMED_RESPONSE":
		return inferencev1.FinishReason_FINISH_REASON_ERROR
	case "", "FINISH_REASON_UNSPECIFIED":
		return inferencev1.FinishReason_FINISH_REASON_UNSPECIFIED
	}
	// A reason newer than this code: generation did end.
	return inferencev1.FinishReason_FINISH_REASON_ERROR
}

// isGeminiFinishReason reports Gemini's finish reason names (upper-case
// words), as opposed to other dialects' (end_turn, tool_calls).
func isGeminiFinishReason(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !(c >= 'A' && c <= 'Z' || c == '_') {
			return false
		}
	}
	return true
}

// usageFromWire converts usageMetadata (nil stays nil). Gemini's prompt
// count includes cached tokens and its candidates count excludes thinking;
// the canonical output count includes it. Tool-use prompt tokens (search
// results fed back to the model) are input.
func usageFromWire(u *UsageMetadata) *inferencev1.Usage {
	if u == nil {
		return nil
	}
	out := &inferencev1.Usage{
		InputTokens:          u.PromptTokenCount + u.ToolUsePromptTokenCount,
		OutputTokens:         u.CandidatesTokenCount + u.ThoughtsTokenCount,
		TotalTokens:          u.TotalTokenCount,
		CacheReadInputTokens: u.CachedContentTokenCount,
		ReasoningTokens:      u.ThoughtsTokenCount,
	}
	if out.TotalTokens == 0 {
		out.TotalTokens = out.InputTokens + out.OutputTokens
	}
	return out
}
