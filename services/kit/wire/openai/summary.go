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
	h, ok := scanSummaryHead(body)
	if !ok {
		return ParseChatResponse(body)
	}
	s := new(chatSummary)
	if !s.read(h) {
		return ParseChatResponse(body)
	}
	return &s.resp, nil
}

// chatSummary is a summarised answer with its usage and first choice, in
// one allocation: a plain answer would otherwise cost one per message.
type chatSummary struct {
	resp    inferencev1.ChatResponse
	usage   inferencev1.Usage
	choices [1]*inferencev1.Choice
	first   simpleChoice
}

// simpleChoice is a choice whose message is one text part, in one allocation.
type simpleChoice struct {
	choice  inferencev1.Choice
	message inferencev1.Message
	part    inferencev1.ContentPart
	text    inferencev1.ContentPart_Text
	parts   [1]*inferencev1.ContentPart
}

// read fills s from the answer's top level; false when the answer needs
// the full parse.
func (s *chatSummary) read(h rawSummaryHead) bool {
	var strs jsonx.StringBatch
	r := &s.resp
	if !h.readIdentity(&strs, &r.Id, &r.Model, &r.Created) {
		return false
	}
	if jsonx.Present(h.usage) {
		if readUsageInto(h.usage, &s.usage) != nil {
			return false
		}
		r.Usage = &s.usage
	}
	if !eachSimple(h.choices, func(v []byte) bool {
		c := &s.first
		if r.Choices == nil {
			r.Choices = s.choices[:0]
		} else {
			c = new(simpleChoice)
		}
		if !c.read(v, &strs) {
			return false
		}
		r.Choices = append(r.Choices, &c.choice)
		return true
	}) {
		return false
	}
	strs.Read()
	for _, ch := range r.Choices {
		// An absent finish_reason maps to FINISH_REASON_UNSPECIFIED, the zero value.
		ch.FinishReason = ParseFinishReason(ch.ProviderFinishReason)
	}
	return true
}

// rawSummaryHead is the top level of an answer or chunk, its values as
// they are in the JSON.
type rawSummaryHead struct {
	id, model, created, usage, choices []byte
}

// scanSummaryHead scans the top level of an answer or chunk; ok is false
// when the body needs the full parse (malformed, an error object).
func scanSummaryHead(body []byte) (h rawSummaryHead, ok bool) {
	complex := false
	if err := jsonx.ScanTopLevel(body, func(key, val []byte) {
		switch string(key) {
		case "id":
			h.id = val
		case "model":
			h.model = val
		case "created":
			h.created = val
		case "usage":
			h.usage = val
		case "choices":
			h.choices = val
		case "error":
			complex = true
		}
	}); err != nil || complex {
		return h, false
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

// read reads a choice whose message has plain string (or null) content
// and no tool calls or reasoning; its finish reason goes into strs.
func (c *simpleChoice) read(v []byte, strs *jsonx.StringBatch) bool {
	var f [3][]byte
	if jsonx.ReadObjectMembers(v, []string{"index", "message", "finish_reason"}, f[:]) != nil {
		return false
	}
	ch := &c.choice
	if jsonx.Present(f[0]) {
		i, err := jsonx.ReadInt32(f[0])
		if err != nil {
			return false
		}
		ch.Index = i
	}
	if jsonx.Present(f[2]) && strs.Add(&ch.ProviderFinishReason, f[2]) != nil {
		return false
	}
	var m [4][]byte
	if !jsonx.Present(f[1]) || jsonx.ReadObjectMembers(f[1], []string{"content", "tool_calls", "reasoning_content", "reasoning"}, m[:]) != nil {
		return false
	}
	if jsonx.Present(m[1]) || jsonx.Present(m[2]) || jsonx.Present(m[3]) {
		return false
	}
	if jsonx.Present(m[0]) {
		if m[0][0] != '"' {
			return false
		}
		// Read on its own: the text is long and should not share its
		// bytes with strings that may outlive it.
		var err error
		if c.text.Text, err = jsonx.ReadString(m[0]); err != nil {
			return false
		}
	}
	c.part.Part = &c.text
	c.parts[0] = &c.part
	c.message.Role, c.message.Content = inferencev1.Role_ROLE_ASSISTANT, c.parts[:]
	ch.Message = &c.message
	return true
}

// readUsageInto reads OpenAI's usage object into u.
func readUsageInto(v []byte, u *inferencev1.Usage) error {
	var f [5][]byte
	if err := jsonx.ReadObjectMembers(v, []string{"prompt_tokens", "completion_tokens", "total_tokens",
		"prompt_tokens_details", "completion_tokens_details"}, f[:]); err != nil {
		return err
	}
	for i, dst := range []*int64{&u.InputTokens, &u.OutputTokens, &u.TotalTokens} {
		if jsonx.Present(f[i]) {
			n, err := jsonx.ReadInt64(f[i])
			if err != nil {
				return err
			}
			*dst = n
		}
	}
	if u.TotalTokens == 0 {
		u.TotalTokens = u.InputTokens + u.OutputTokens
	}
	if n, err := nestedInt(f[3], "cached_tokens"); err != nil {
		return err
	} else {
		u.CacheReadInputTokens = n
	}
	if n, err := nestedInt(f[4], "reasoning_tokens"); err != nil {
		return err
	} else {
		u.ReasoningTokens = n
	}
	return nil
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
	h, ok := scanSummaryHead(data)
	if !ok {
		return ParseChunk(data)
	}
	s := new(chunkSummary)
	if !s.read(h) {
		return ParseChunk(data)
	}
	return &s.chunk, nil
}

// chunkSummary is a summarised chunk with its first delta, in one
// allocation. Usage, in the last chunk only, comes on its own.
type chunkSummary struct {
	chunk  inferencev1.ChatChunk
	deltas [1]*inferencev1.ChoiceDelta
	first  inferencev1.ChoiceDelta
}

// read fills s from the chunk's top level; false when the chunk needs the
// full parse. A chunk's strings are short (a delta's text is a few tokens),
// so they are read together.
func (s *chunkSummary) read(h rawSummaryHead) bool {
	var strs jsonx.StringBatch
	c := &s.chunk
	if !h.readIdentity(&strs, &c.Id, &c.Model, &c.Created) {
		return false
	}
	if jsonx.Present(h.usage) {
		u := new(inferencev1.Usage)
		if readUsageInto(h.usage, u) != nil {
			return false
		}
		c.Usage = u
	}
	if !eachSimple(h.choices, func(v []byte) bool {
		d := &s.first
		if c.Deltas == nil {
			c.Deltas = s.deltas[:0]
		} else {
			d = new(inferencev1.ChoiceDelta)
		}
		if !readSimpleDelta(v, d, &strs) {
			return false
		}
		c.Deltas = append(c.Deltas, d)
		return true
	}) {
		return false
	}
	strs.Read()
	for _, d := range c.Deltas {
		// An absent finish_reason maps to FINISH_REASON_UNSPECIFIED, the zero value.
		d.FinishReason = ParseFinishReason(d.ProviderFinishReason)
	}
	return true
}

// readSimpleDelta reads into d a choice delta with plain string (or null)
// content and no tool calls or reasoning; its strings go into strs.
func readSimpleDelta(v []byte, d *inferencev1.ChoiceDelta, strs *jsonx.StringBatch) bool {
	var f [3][]byte
	if jsonx.ReadObjectMembers(v, []string{"index", "delta", "finish_reason"}, f[:]) != nil {
		return false
	}
	if jsonx.Present(f[0]) {
		i, err := jsonx.ReadInt32(f[0])
		if err != nil {
			return false
		}
		d.Index = i
	}
	if jsonx.Present(f[2]) && strs.Add(&d.ProviderFinishReason, f[2]) != nil {
		return false
	}
	if !jsonx.Present(f[1]) {
		return true
	}
	var m [5][]byte
	if jsonx.ReadObjectMembers(f[1], []string{"role", "content", "tool_calls", "reasoning_content", "reasoning"}, m[:]) != nil {
		return false
	}
	if jsonx.Present(m[2]) || jsonx.Present(m[3]) || jsonx.Present(m[4]) {
		return false
	}
	if jsonx.Present(m[0]) {
		d.Role = inferencev1.Role_ROLE_ASSISTANT
	}
	if jsonx.Present(m[1]) {
		if m[1][0] != '"' {
			return false
		}
		if strs.Add(&d.Text, m[1]) != nil {
			return false
		}
	}
	return true
}

// readIdentity reads the id, model and created members an answer and a
// chunk share (each when present); false when one is malformed.
func (h rawSummaryHead) readIdentity(strs *jsonx.StringBatch, id, model *string, created *int64) bool {
	if jsonx.Present(h.id) && strs.Add(id, h.id) != nil {
		return false
	}
	if jsonx.Present(h.model) && strs.Add(model, h.model) != nil {
		return false
	}
	if jsonx.Present(h.created) {
		var err error
		if *created, err = jsonx.ReadInt64(h.created); err != nil {
			return false
		}
	}
	return true
}
