package anthropic

import (
	"github.com/tollgate/tollgate/services/kit/wire/internal/jsonx"

	"encoding/json"
	"math/rand/v2"
	"strconv"

	inferencev1 "github.com/tollgate/tollgate/gen/go/tollgate/inference/v1"
)

// EncodeResponse writes a canonical response as an Anthropic "message"
// object, with model as the model name the client sees. Anthropic has one
// answer per request, so only the first choice is written. Reasoning parts
// become thinking blocks (redacted_thinking when only opaque content is
// known), text parts text blocks, and tool calls tool_use blocks after them.
// A response whose Raw is already an Anthropic body (a same-dialect
// provider) is returned as is.
func EncodeResponse(r *inferencev1.ChatResponse, model string) []byte {
	if r.GetRawDialect() == inferencev1.Dialect_DIALECT_ANTHROPIC_MESSAGES && len(r.GetRaw()) > 0 {
		return r.GetRaw()
	}
	var choice *inferencev1.Choice
	if cs := r.GetChoices(); len(cs) > 0 {
		choice = cs[0]
	}
	msg := choice.GetMessage()
	b := make([]byte, 0, 384+messageSize(msg))
	b = append(b, `{"id":`...)
	b = jsonx.AppendString(b, idOrNew(r.GetId(), "msg_"))
	b = append(b, `,"type":"message","role":"assistant","model":`...)
	b = jsonx.AppendString(b, model)
	b = append(b, `,"content":[`...)
	n := 0
	for _, p := range msg.GetContent() {
		switch x := p.GetPart().(type) {
		case *inferencev1.ContentPart_Text:
			if x.Text == "" {
				continue // Anthropic never sends empty text blocks in a message
			}
			b = appendComma(b, n)
			b = append(b, `{"type":"text","text":`...)
			b = jsonx.AppendString(b, x.Text)
			b = append(b, '}')
		case *inferencev1.ContentPart_Reasoning:
			b = appendComma(b, n)
			b = appendReasoningBlock(b, x.Reasoning)
		default:
			continue
		}
		n++
	}
	for _, tc := range msg.GetToolCalls() {
		b = appendComma(b, n)
		b = append(b, `{"type":"tool_use","id":`...)
		b = jsonx.AppendString(b, idOrNew(tc.GetId(), "toolu_"))
		b = append(b, `,"name":`...)
		b = jsonx.AppendString(b, tc.GetName())
		b = append(b, `,"input":`...)
		b = appendToolInput(b, tc.GetArgumentsJson())
		b = append(b, '}')
		n++
	}
	b = append(b, `],"stop_reason":`...)
	b = jsonx.AppendString(b, stopReasonName(choice.GetFinishReason(), choice.GetProviderFinishReason(), len(msg.GetToolCalls()) > 0))
	b = append(b, `,"stop_sequence":null,"usage":`...)
	b = appendUsage(b, r.GetUsage())
	return append(b, '}')
}

func messageSize(m *inferencev1.Message) int {
	n := 0
	for _, p := range m.GetContent() {
		n += len(p.GetText()) + len(p.GetReasoning().GetText()) + len(p.GetReasoning().GetSignature()) + 32
	}
	for _, tc := range m.GetToolCalls() {
		n += 64 + len(tc.GetArgumentsJson())
	}
	return n
}

func appendComma(b []byte, n int) []byte {
	if n > 0 {
		return append(b, ',')
	}
	return b
}

func appendReasoningBlock(b []byte, r *inferencev1.ReasoningPart) []byte {
	if r.GetText() == "" && r.GetSignature() == "" && r.GetEncryptedContent() != "" {
		b = append(b, `{"type":"redacted_thinking","data":`...)
		b = jsonx.AppendString(b, r.GetEncryptedContent())
		return append(b, '}')
	}
	b = append(b, `{"type":"thinking","thinking":`...)
	b = jsonx.AppendString(b, r.GetText())
	b = append(b, `,"signature":`...)
	b = jsonx.AppendString(b, r.GetSignature())
	return append(b, '}')
}

// appendToolInput writes tool-call arguments as the input object Anthropic
// requires. Empty arguments are {}; so are arguments that are not a JSON
// object (a provider's malformed call), which the client's tool then
// rejects as missing parameters rather than the whole answer failing.
func appendToolInput(b []byte, args string) []byte {
	if args == "" || !isJSONObject(args) {
		return append(b, "{}"...)
	}
	return append(b, args...)
}

func isJSONObject(s string) bool {
	i := jsonx.SkipSpace([]byte(s), 0)
	return i < len(s) && s[i] == '{' && json.Valid([]byte(s))
}

// stopReasonName is Anthropic's stop_reason for a canonical finish reason.
// The provider's own word is kept when it is one of Anthropic's (Bedrock
// and Anthropic-compatible providers use the same words).
func stopReasonName(fr inferencev1.FinishReason, provider string, toolCalls bool) string {
	switch provider {
	case "end_turn", "max_tokens", "stop_sequence", "tool_use", "pause_turn", "refusal", "model_context_window_exceeded":
		return provider
	}
	switch fr {
	case inferencev1.FinishReason_FINISH_REASON_LENGTH:
		return "max_tokens"
	case inferencev1.FinishReason_FINISH_REASON_TOOL_CALLS:
		return "tool_use"
	case inferencev1.FinishReason_FINISH_REASON_CONTENT_FILTER:
		return "refusal"
	case inferencev1.FinishReason_FINISH_REASON_STOP, inferencev1.FinishReason_FINISH_REASON_ERROR:
		return "end_turn"
	}
	if toolCalls {
		return "tool_use"
	}
	return "end_turn"
}

// appendUsage writes Anthropic usage; input_tokens excludes cached tokens,
// which the canonical count includes.
func appendUsage(b []byte, u *inferencev1.Usage) []byte {
	b = append(b, `{"input_tokens":`...)
	b = strconv.AppendInt(b, uncachedInput(u), 10)
	b = append(b, `,"cache_creation_input_tokens":`...)
	b = strconv.AppendInt(b, u.GetCacheCreationInputTokens(), 10)
	b = append(b, `,"cache_read_input_tokens":`...)
	b = strconv.AppendInt(b, u.GetCacheReadInputTokens(), 10)
	b = append(b, `,"output_tokens":`...)
	b = strconv.AppendInt(b, u.GetOutputTokens(), 10)
	return append(b, '}')
}

func uncachedInput(u *inferencev1.Usage) int64 {
	return max(0, u.GetInputTokens()-u.GetCacheReadInputTokens()-u.GetCacheCreationInputTokens())
}

// idOrNew returns id, or a fresh random id with prefix when the provider
// gave none: Anthropic clients expect every message and tool_use to have one.
func idOrNew(id, prefix string) string {
	if id != "" {
		return id
	}
	const digits = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	b := make([]byte, len(prefix), len(prefix)+24)
	copy(b, prefix)
	for range 24 {
		b = append(b, digits[rand.IntN(len(digits))])
	}
	return string(b)
}
