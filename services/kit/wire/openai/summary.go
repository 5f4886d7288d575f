package openai

import (
	"github.com/tollgate/tollgate/services/kit/wire/internal/jsonx"

	inferencev1 "github.com/tollgate/tollgate/gen/go/tollgate/inference/v1"
)

// ParseChatSummary reads what the gateway needs from a passthrough answer
// (id, model, created, finish reasons, assistant text, usage) with the
// scanner instead of encoding/json: the router forwards the raw body, so
// building the full canonical response would be wasted work on every call.
// Answers it does not summarise exactly (tool calls, multi-part content,
// reasoning) go through ParseChatResponse.
func ParseChatSummary(body []byte) (*inferencev1.ChatResponse, error) {
	h, ok := readSummaryHead(body)
	if !ok {
		return ParseChatResponse(body)
	}
	r := &inferencev1.ChatResponse{Id: h.id, Model: h.model, Created: h.created, Usage: h.usage}
	if !eachSimple(h.choices, func(v []byte) bool {
		ch, ok := readSimpleChoice(v)
		if ok {
			r.Choices = append(r.Choices, ch)
		}
		return ok
	}) {
		return ParseChatResponse(body)
	}
	return r, nil
}

// summaryHead is what answers and chunks share at the top level.
type summaryHead struct {
	id, model string
	created   int64
	usage     *inferencev1.Usage
	choices   []byte
}

// readSummaryHead scans the top level of an answer or chunk; ok is false
// when the body needs the full parse (malformed, an error object, odd types).
func readSummaryHead(body []byte) (h summaryHead, ok bool) {
	var id, model, created, usage []byte
	complex := false
	if err := jsonx.ScanTopLevel(body, func(key, val []byte) {
		switch string(key) {
		case "id":
			id = val
		case "model":
			model = val
		case "created":
			created = val
		case "usage":
			usage = val
		case "choices":
			h.choices = val
		case "error":
			complex = true
		}
	}); err != nil || complex {
		return h, false
	}
	var err error
	if jsonx.Present(id) {
		if h.id, err = jsonx.ReadString(id); err != nil {
			return h, false
		}
	}
	if jsonx.Present(model) {
		if h.model, err = jsonx.ReadString(model); err != nil {
			return h, false
		}
	}
	if jsonx.Present(created) {
		if h.created, err = jsonx.ReadInt64(created); err != nil {
			return h, false
		}
	}
	if jsonx.Present(usage) {
		if h.usage, err = readUsage(usage); err != nil {
			return h, false
		}
	}
	return h, true
}

// eachSimple calls read on every element of a choices array; false when an
// element is not simple enough for the summary.
func eachSimple(choices []byte, read func(v []byte) bool) bool {
	if !jsonx.Present(choices) {
		return true
	}
	_, err := jsonx.ScanArray(choices, 0, func(_, start, end int) error {
		if !read(choices[start:end]) {
			return errNotSimple
		}
		return nil
	})
	return err == nil
}

type notSimple struct{}

func (notSimple) Error() string { return "not a simple choice" }

var errNotSimple error = notSimple{}

// readSimpleChoice reads a choice whose message has plain string (or null)
// content and no tool calls or reasoning.
func readSimpleChoice(v []byte) (*inferencev1.Choice, bool) {
	var f [3][]byte
	if jsonx.ReadObjectMembers(v, []string{"index", "message", "finish_reason"}, f[:]) != nil {
		return nil, false
	}
	ch := &inferencev1.Choice{}
	if jsonx.Present(f[0]) {
		i, err := jsonx.ReadInt32(f[0])
		if err != nil {
			return nil, false
		}
		ch.Index = i
	}
	if jsonx.Present(f[2]) {
		reason, err := jsonx.ReadString(f[2])
		if err != nil {
			return nil, false
		}
		ch.ProviderFinishReason, ch.FinishReason = reason, ParseFinishReason(reason)
	}
	var m [4][]byte
	if !jsonx.Present(f[1]) || jsonx.ReadObjectMembers(f[1], []string{"content", "tool_calls", "reasoning_content", "reasoning"}, m[:]) != nil {
		return nil, false
	}
	if jsonx.Present(m[1]) || jsonx.Present(m[2]) || jsonx.Present(m[3]) {
		return nil, false
	}
	text := ""
	if jsonx.Present(m[0]) {
		if m[0][0] != '"' {
			return nil, false
		}
		var err error
		if text, err = jsonx.ReadString(m[0]); err != nil {
			return nil, false
		}
	}
	ch.Message = &inferencev1.Message{Role: inferencev1.Role_ROLE_ASSISTANT,
		Content: []*inferencev1.ContentPart{{Part: &inferencev1.ContentPart_Text{Text: text}}}}
	return ch, true
}

// readUsage reads OpenAI's usage object.
func readUsage(v []byte) (*inferencev1.Usage, error) {
	var f [5][]byte
	if err := jsonx.ReadObjectMembers(v, []string{"prompt_tokens", "completion_tokens", "total_tokens",
		"prompt_tokens_details", "completion_tokens_details"}, f[:]); err != nil {
		return nil, err
	}
	u := &inferencev1.Usage{}
	for i, dst := range []*int64{&u.InputTokens, &u.OutputTokens, &u.TotalTokens} {
		if jsonx.Present(f[i]) {
			n, err := jsonx.ReadInt64(f[i])
			if err != nil {
				return nil, err
			}
			*dst = n
		}
	}
	if u.TotalTokens == 0 {
		u.TotalTokens = u.InputTokens + u.OutputTokens
	}
	if n, err := nestedInt(f[3], "cached_tokens"); err != nil {
		return nil, err
	} else {
		u.CacheReadInputTokens = n
	}
	if n, err := nestedInt(f[4], "reasoning_tokens"); err != nil {
		return nil, err
	} else {
		u.ReasoningTokens = n
	}
	return u, nil
}

func nestedInt(obj []byte, key string) (int64, error) {
	if !jsonx.Present(obj) {
		return 0, nil
	}
	var f [1][]byte
	if err := jsonx.ReadObjectMembers(obj, []string{key}, f[:]); err != nil {
		return 0, err
	}
	if !jsonx.Present(f[0]) {
		return 0, nil
	}
	return jsonx.ReadInt64(f[0])
}

// ParseChunkSummary is ParseChatSummary for one stream chunk: the common
// chunk (text delta, finish reason, usage) is read with the scanner; chunks
// with tool calls, reasoning, multi-part content or an error go through
// ParseChunk.
func ParseChunkSummary(data []byte) (*inferencev1.ChatChunk, error) {
	h, ok := readSummaryHead(data)
	if !ok {
		return ParseChunk(data)
	}
	c := &inferencev1.ChatChunk{Id: h.id, Model: h.model, Created: h.created, Usage: h.usage}
	if !eachSimple(h.choices, func(v []byte) bool {
		d, ok := readSimpleDelta(v)
		if ok {
			c.Deltas = append(c.Deltas, d)
		}
		return ok
	}) {
		return ParseChunk(data)
	}
	return c, nil
}

func readSimpleDelta(v []byte) (*inferencev1.ChoiceDelta, bool) {
	var f [3][]byte
	if jsonx.ReadObjectMembers(v, []string{"index", "delta", "finish_reason"}, f[:]) != nil {
		return nil, false
	}
	d := &inferencev1.ChoiceDelta{}
	if jsonx.Present(f[0]) {
		i, err := jsonx.ReadInt32(f[0])
		if err != nil {
			return nil, false
		}
		d.Index = i
	}
	if jsonx.Present(f[2]) {
		reason, err := jsonx.ReadString(f[2])
		if err != nil {
			return nil, false
		}
		d.ProviderFinishReason, d.FinishReason = reason, ParseFinishReason(reason)
	}
	if !jsonx.Present(f[1]) {
		return d, true
	}
	var m [5][]byte
	if jsonx.ReadObjectMembers(f[1], []string{"role", "content", "tool_calls", "reasoning_content", "reasoning"}, m[:]) != nil {
		return nil, false
	}
	if jsonx.Present(m[2]) || jsonx.Present(m[3]) || jsonx.Present(m[4]) {
		return nil, false
	}
	if jsonx.Present(m[0]) {
		d.Role = inferencev1.Role_ROLE_ASSISTANT
	}
	if jsonx.Present(m[1]) {
		if m[1][0] != '"' {
			return nil, false
		}
		text, err := jsonx.ReadString(m[1])
		if err != nil {
			return nil, false
		}
		d.Text = text
	}
	return d, true
}
