package openai

import (
	inferencev1 "github.com/tollgate/tollgate/gen/go/tollgate/inference/v1"
)

// ParseChatSummary reads what the gateway needs from a passthrough answer
// (id, model, created, finish reasons, assistant text, usage) with the
// scanner instead of encoding/json: the router forwards the raw body, so
// building the full canonical response would be wasted work on every call.
// Answers it does not summarise exactly (tool calls, multi-part content,
// reasoning) go through ParseChatResponse.
func ParseChatSummary(body []byte) (*inferencev1.ChatResponse, error) {
	var id, model, created, usage, choices []byte
	if err := scanTopLevel(body, func(key, val []byte) {
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
			choices = val
		}
	}); err != nil {
		return ParseChatResponse(body)
	}
	r := &inferencev1.ChatResponse{}
	var err error
	if present(id) {
		if r.Id, err = readString(id); err != nil {
			return ParseChatResponse(body)
		}
	}
	if present(model) {
		if r.Model, err = readString(model); err != nil {
			return ParseChatResponse(body)
		}
	}
	if present(created) {
		if r.Created, err = readInt64(created); err != nil {
			return ParseChatResponse(body)
		}
	}
	if present(usage) {
		if r.Usage, err = readUsage(usage); err != nil {
			return ParseChatResponse(body)
		}
	}
	if present(choices) {
		simple := true
		_, err = scanArray(choices, 0, func(idx, start, end int) error {
			ch, ok := readSimpleChoice(choices[start:end])
			if !ok {
				simple = false
				return errNotSimple
			}
			r.Choices = append(r.Choices, ch)
			return nil
		})
		if err != nil || !simple {
			return ParseChatResponse(body)
		}
	}
	return r, nil
}

type notSimple struct{}

func (notSimple) Error() string { return "not a simple choice" }

var errNotSimple error = notSimple{}

// readSimpleChoice reads a choice whose message has plain string (or null)
// content and no tool calls or reasoning.
func readSimpleChoice(v []byte) (*inferencev1.Choice, bool) {
	var f [3][]byte
	if readObjectMembers(v, []string{"index", "message", "finish_reason"}, f[:]) != nil {
		return nil, false
	}
	ch := &inferencev1.Choice{}
	if present(f[0]) {
		i, err := readInt32(f[0])
		if err != nil {
			return nil, false
		}
		ch.Index = i
	}
	if present(f[2]) {
		reason, err := readString(f[2])
		if err != nil {
			return nil, false
		}
		ch.ProviderFinishReason, ch.FinishReason = reason, ParseFinishReason(reason)
	}
	var m [4][]byte
	if !present(f[1]) || readObjectMembers(f[1], []string{"content", "tool_calls", "reasoning_content", "reasoning"}, m[:]) != nil {
		return nil, false
	}
	if present(m[1]) || present(m[2]) || present(m[3]) {
		return nil, false
	}
	text := ""
	if present(m[0]) {
		if m[0][0] != '"' {
			return nil, false
		}
		var err error
		if text, err = readString(m[0]); err != nil {
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
	if err := readObjectMembers(v, []string{"prompt_tokens", "completion_tokens", "total_tokens",
		"prompt_tokens_details", "completion_tokens_details"}, f[:]); err != nil {
		return nil, err
	}
	u := &inferencev1.Usage{}
	for i, dst := range []*int64{&u.InputTokens, &u.OutputTokens, &u.TotalTokens} {
		if present(f[i]) {
			n, err := readInt64(f[i])
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
	if !present(obj) {
		return 0, nil
	}
	var f [1][]byte
	if err := readObjectMembers(obj, []string{key}, f[:]); err != nil {
		return 0, err
	}
	if !present(f[0]) {
		return 0, nil
	}
	return readInt64(f[0])
}

// ParseChunkSummary is ParseChatSummary for one stream chunk: the common
// chunk (text delta, finish reason, usage) is read with the scanner; chunks
// with tool calls, reasoning, multi-part content or an error go through
// ParseChunk.
func ParseChunkSummary(data []byte) (*inferencev1.ChatChunk, error) {
	var id, model, created, usage, choices []byte
	complex := false
	if err := scanTopLevel(data, func(key, val []byte) {
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
			choices = val
		case "error":
			complex = true
		}
	}); err != nil || complex {
		return ParseChunk(data)
	}
	c := &inferencev1.ChatChunk{}
	var err error
	if present(id) {
		if c.Id, err = readString(id); err != nil {
			return ParseChunk(data)
		}
	}
	if present(model) {
		if c.Model, err = readString(model); err != nil {
			return ParseChunk(data)
		}
	}
	if present(created) {
		if c.Created, err = readInt64(created); err != nil {
			return ParseChunk(data)
		}
	}
	if present(usage) {
		if c.Usage, err = readUsage(usage); err != nil {
			return ParseChunk(data)
		}
	}
	if present(choices) {
		_, err = scanArray(choices, 0, func(idx, start, end int) error {
			d, ok := readSimpleDelta(choices[start:end])
			if !ok {
				return errNotSimple
			}
			c.Deltas = append(c.Deltas, d)
			return nil
		})
		if err != nil {
			return ParseChunk(data)
		}
	}
	return c, nil
}

func readSimpleDelta(v []byte) (*inferencev1.ChoiceDelta, bool) {
	var f [3][]byte
	if readObjectMembers(v, []string{"index", "delta", "finish_reason"}, f[:]) != nil {
		return nil, false
	}
	d := &inferencev1.ChoiceDelta{}
	if present(f[0]) {
		i, err := readInt32(f[0])
		if err != nil {
			return nil, false
		}
		d.Index = i
	}
	if present(f[2]) {
		reason, err := readString(f[2])
		if err != nil {
			return nil, false
		}
		d.ProviderFinishReason, d.FinishReason = reason, ParseFinishReason(reason)
	}
	if !present(f[1]) {
		return d, true
	}
	var m [5][]byte
	if readObjectMembers(f[1], []string{"role", "content", "tool_calls", "reasoning_content", "reasoning"}, m[:]) != nil {
		return nil, false
	}
	if present(m[2]) || present(m[3]) || present(m[4]) {
		return nil, false
	}
	if present(m[0]) {
		d.Role = inferencev1.Role_ROLE_ASSISTANT
	}
	if present(m[1]) {
		if m[1][0] != '"' {
			return nil, false
		}
		text, err := readString(m[1])
		if err != nil {
			return nil, false
		}
		d.Text = text
	}
	return d, true
}
