package openai

import (
	"github.com/tollgate/tollgate/services/kit/wire/internal/jsonx"

	"strconv"
	"strings"
	"time"

	inferencev1 "github.com/tollgate/tollgate/gen/go/tollgate/inference/v1"
)

// EncodeChatResponse writes a canonical response as an OpenAI
// "chat.completion" object, with model as the model name the client sees.
// Content is null when the assistant only called tools.
func EncodeChatResponse(r *inferencev1.ChatResponse, model string) []byte {
	b := make([]byte, 0, 512+responseTextSize(r))
	b = append(b, `{"id":`...)
	b = jsonx.AppendString(b, r.GetId())
	b = append(b, `,"object":"chat.completion","created":`...)
	b = strconv.AppendInt(b, createdOrNow(r.GetCreated()), 10)
	b = append(b, `,"model":`...)
	b = jsonx.AppendString(b, model)
	b = append(b, `,"choices":[`...)
	for i, c := range r.GetChoices() {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendChoice(b, c)
	}
	b = append(b, ']')
	if u := r.GetUsage(); u != nil {
		b = append(b, `,"usage":`...)
		b = appendUsage(b, u)
	}
	return append(b, '}')
}

func responseTextSize(r *inferencev1.ChatResponse) int {
	n := 0
	for _, c := range r.GetChoices() {
		for _, p := range c.GetMessage().GetContent() {
			n += len(p.GetText())
		}
	}
	return n
}

func createdOrNow(created int64) int64 {
	if created != 0 {
		return created
	}
	return time.Now().Unix()
}

func appendChoice(b []byte, c *inferencev1.Choice) []byte {
	b = append(b, `{"index":`...)
	b = strconv.AppendInt(b, int64(c.GetIndex()), 10)
	b = append(b, `,"message":{"role":"assistant","content":`...)
	msg := c.GetMessage()
	text, reasoning := messageText(msg)
	if text == "" && len(msg.GetToolCalls()) > 0 {
		b = append(b, "null"...)
	} else {
		b = jsonx.AppendString(b, text)
	}
	if reasoning != "" {
		// Not in OpenAI's schema; OpenAI-compatible servers use this name.
		b = append(b, `,"reasoning_content":`...)
		b = jsonx.AppendString(b, reasoning)
	}
	b = append(b, `,"refusal":null`...)
	if tcs := msg.GetToolCalls(); len(tcs) > 0 {
		b = append(b, `,"tool_calls":[`...)
		for i, tc := range tcs {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, `{"id":`...)
			b = jsonx.AppendString(b, tc.GetId())
			b = append(b, `,"type":"function","function":{"name":`...)
			b = jsonx.AppendString(b, tc.GetName())
			b = append(b, `,"arguments":`...)
			b = jsonx.AppendString(b, tc.GetArgumentsJson())
			b = append(b, `}}`...)
		}
		b = append(b, ']')
	}
	b = append(b, `,"annotations":[]},"logprobs":null,"finish_reason":`...)
	fr := finishReasonName(c.GetFinishReason())
	if fr == "" {
		fr = "stop" // a complete response has finished, whatever the provider said
	}
	b = jsonx.AppendString(b, fr)
	return append(b, '}')
}

// messageText joins a message's text parts, and separately its reasoning.
func messageText(m *inferencev1.Message) (text, reasoning string) {
	parts := m.GetContent()
	if len(parts) == 1 {
		return parts[0].GetText(), parts[0].GetReasoning().GetText()
	}
	var t, r strings.Builder
	for _, p := range parts {
		t.WriteString(p.GetText())
		r.WriteString(p.GetReasoning().GetText())
	}
	return t.String(), r.String()
}

// finishReasonName is OpenAI's word for a canonical finish reason, or ""
// when there is none yet.
func finishReasonName(fr inferencev1.FinishReason) string {
	switch fr {
	case inferencev1.FinishReason_FINISH_REASON_STOP, inferencev1.FinishReason_FINISH_REASON_ERROR:
		return "stop"
	case inferencev1.FinishReason_FINISH_REASON_LENGTH:
		return "length"
	case inferencev1.FinishReason_FINISH_REASON_TOOL_CALLS:
		return "tool_calls"
	case inferencev1.FinishReason_FINISH_REASON_CONTENT_FILTER:
		return "content_filter"
	}
	return ""
}

func appendUsage(b []byte, u *inferencev1.Usage) []byte {
	total := u.GetTotalTokens()
	if total == 0 {
		total = u.GetInputTokens() + u.GetOutputTokens()
	}
	b = append(b, `{"prompt_tokens":`...)
	b = strconv.AppendInt(b, u.GetInputTokens(), 10)
	b = append(b, `,"completion_tokens":`...)
	b = strconv.AppendInt(b, u.GetOutputTokens(), 10)
	b = append(b, `,"total_tokens":`...)
	b = strconv.AppendInt(b, total, 10)
	b = append(b, `,"prompt_tokens_details":{"cached_tokens":`...)
	b = strconv.AppendInt(b, u.GetCacheReadInputTokens(), 10)
	b = append(b, `,"audio_tokens":0},"completion_tokens_details":{"reasoning_tokens":`...)
	b = strconv.AppendInt(b, u.GetReasoningTokens(), 10)
	return append(b, `,"audio_tokens":0,"accepted_prediction_tokens":0,"rejected_prediction_tokens":0}}`...)
}

// EncodeChunk writes one canonical chunk as an OpenAI "chat.completion.chunk"
// object: the data of one SSE event, without the "data: " prefix or the
// blank line. With includeUsage (the client's stream_options.include_usage)
// every chunk carries "usage", null until the chunk that reports it, which
// has empty choices, as OpenAI streams do. A chunk carrying a StreamError
// becomes OpenAI's in-stream error object. EncodeChunk returns nil when the
// chunk has nothing for this client (a usage report it did not ask for).
func EncodeChunk(c *inferencev1.ChatChunk, model string, includeUsage bool) []byte {
	if e := c.GetError(); e != nil {
		return encodeStreamError(e)
	}
	deltas := c.GetDeltas()
	usage := c.GetUsage()
	if len(deltas) == 0 && (usage == nil || !includeUsage) {
		return nil
	}
	b := make([]byte, 0, 192+chunkTextSize(deltas))
	b = append(b, `{"id":`...)
	b = jsonx.AppendString(b, c.GetId())
	b = append(b, `,"object":"chat.completion.chunk","created":`...)
	b = strconv.AppendInt(b, createdOrNow(c.GetCreated()), 10)
	b = append(b, `,"model":`...)
	b = jsonx.AppendString(b, model)
	b = append(b, `,"choices":[`...)
	for i, d := range deltas {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendDelta(b, d)
	}
	b = append(b, ']')
	if includeUsage {
		b = append(b, `,"usage":`...)
		if usage != nil {
			b = appendUsage(b, usage)
		} else {
			b = append(b, "null"...)
		}
	}
	return append(b, '}')
}

func chunkTextSize(ds []*inferencev1.ChoiceDelta) int {
	n := 0
	for _, d := range ds {
		n += len(d.GetText()) + len(d.GetReasoning())
		for _, tc := range d.GetToolCalls() {
			n += 64 + len(tc.GetArgumentsJson())
		}
	}
	return n
}

func appendDelta(b []byte, d *inferencev1.ChoiceDelta) []byte {
	b = append(b, `{"index":`...)
	b = strconv.AppendInt(b, int64(d.GetIndex()), 10)
	b = append(b, `,"delta":{`...)
	sep := false
	comma := func() {
		if sep {
			b = append(b, ',')
		}
		sep = true
	}
	if d.GetRole() != inferencev1.Role_ROLE_UNSPECIFIED {
		comma()
		b = append(b, `"role":"assistant"`...)
	}
	if d.GetText() != "" || d.GetRole() != inferencev1.Role_ROLE_UNSPECIFIED && len(d.GetToolCalls()) == 0 {
		comma()
		b = jsonx.AppendKey(b, "content")
		b = jsonx.AppendString(b, d.GetText())
	}
	if d.GetReasoning() != "" {
		comma()
		b = jsonx.AppendKey(b, "reasoning_content")
		b = jsonx.AppendString(b, d.GetReasoning())
	}
	if tcs := d.GetToolCalls(); len(tcs) > 0 {
		comma()
		b = append(b, `"tool_calls":[`...)
		for i, tc := range tcs {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, `{"index":`...)
			b = strconv.AppendInt(b, int64(tc.GetIndex()), 10)
			if tc.GetId() != "" {
				b = append(b, `,"id":`...)
				b = jsonx.AppendString(b, tc.GetId())
				b = append(b, `,"type":"function"`...)
			}
			b = append(b, `,"function":{`...)
			if tc.GetName() != "" {
				b = jsonx.AppendKey(b, "name")
				b = jsonx.AppendString(b, tc.GetName())
				b = append(b, ',')
			}
			b = jsonx.AppendKey(b, "arguments")
			b = jsonx.AppendString(b, tc.GetArgumentsJson())
			b = append(b, `}}`...)
		}
		b = append(b, ']')
	}
	b = append(b, `},"logprobs":null,"finish_reason":`...)
	b = jsonx.AppendNullableString(b, finishReasonName(d.GetFinishReason()))
	return append(b, '}')
}

func encodeStreamError(e *inferencev1.StreamError) []byte {
	b := make([]byte, 0, 96+len(e.GetMessage()))
	b = append(b, `{"error":{"message":`...)
	b = jsonx.AppendString(b, e.GetMessage())
	b = append(b, `,"type":"server_error","param":null,"code":`...)
	b = jsonx.AppendNullableString(b, e.GetCode())
	return append(b, `}}`...)
}
