package anthropic

import "github.com/tollgate/tollgate/services/kit/wire/internal/jsonx"

// The scanners below read the events of every stream (message_start,
// content_block_start, content_block_delta, message_delta) without
// reflection: encoding/json spent more CPU on an Anthropic passthrough
// stream than relaying its bytes did. Each reads exactly the fields
// StreamParser uses and reports false for anything unexpected, and the
// caller falls back to encoding/json, so an odd event is never misread.

// scanEvent fills ev from data for the event kinds that have a scanner.
func scanEvent(event string, data []byte, ev *StreamEvent) bool {
	switch event {
	case "content_block_delta":
		return scanBlockDelta(data, ev)
	case "message_start":
		return scanMessageStart(data, ev)
	case "content_block_start":
		return scanBlockStart(data, ev)
	case "message_delta":
		return scanMessageDelta(data, ev)
	}
	return false
}

// scanBlockDelta reads a content_block_delta event, most of a stream.
func scanBlockDelta(data []byte, ev *StreamEvent) bool {
	var top [3][]byte
	if !readTyped(data, "content_block_delta", blockDeltaKeys, top[:]) || !jsonx.Present(top[1]) || !jsonx.Present(top[2]) {
		return false
	}
	index, err := jsonx.ReadInt32(top[1])
	if err != nil {
		return false
	}
	var d [5][]byte
	if jsonx.ReadObjectMembers(top[2], deltaKeys, d[:]) != nil || !jsonx.Present(d[0]) {
		return false
	}
	delta := &StreamDelta{}
	if !readStrings(d[:], &delta.Type, &delta.Text, &delta.PartialJSON, &delta.Thinking, &delta.Signature) {
		return false
	}
	ev.Type, ev.Index, ev.Delta = "content_block_delta", int(index), delta
	return true
}

// scanMessageStart reads the message's id, model and usage.
func scanMessageStart(data []byte, ev *StreamEvent) bool {
	var top [2][]byte
	if !readTyped(data, "message_start", messageStartKeys, top[:]) || !jsonx.Present(top[1]) {
		return false
	}
	var m [3][]byte
	if jsonx.ReadObjectMembers(top[1], messageKeys, m[:]) != nil {
		return false
	}
	msg := &MessageResponse{}
	if !readStrings(m[:2], &msg.ID, &msg.Model) {
		return false
	}
	if jsonx.Present(m[2]) {
		msg.Usage = &Usage{}
		if !scanUsage(m[2], msg.Usage) {
			return false
		}
	}
	ev.Type, ev.Message = "message_start", msg
	return true
}

// scanBlockStart reads a content block's start: its kind and whatever the
// kind carries at once (text, thinking and signature, a tool's id, name and
// input).
func scanBlockStart(data []byte, ev *StreamEvent) bool {
	var top [3][]byte
	if !readTyped(data, "content_block_start", blockStartKeys, top[:]) || !jsonx.Present(top[1]) || !jsonx.Present(top[2]) {
		return false
	}
	index, err := jsonx.ReadInt32(top[1])
	if err != nil {
		return false
	}
	var f [7][]byte
	if jsonx.ReadObjectMembers(top[2], contentBlockKeys, f[:]) != nil || !jsonx.Present(f[0]) {
		return false
	}
	b := &ContentBlock{}
	if !readStrings(f[:3], &b.Type, &b.ID, &b.Name) {
		return false
	}
	for i, dst := range [...]**string{&b.Text, &b.Thinking, &b.Signature} {
		if v := f[3+i]; jsonx.Present(v) {
			s, err := jsonx.ReadString(v)
			if err != nil {
				return false
			}
			*dst = &s
		}
	}
	if jsonx.Present(f[6]) {
		b.Input = f[6]
	}
	ev.Type, ev.Index, ev.ContentBlock = "content_block_start", int(index), b
	return true
}

// scanMessageDelta reads the stop reason and the usage.
func scanMessageDelta(data []byte, ev *StreamEvent) bool {
	var top [3][]byte
	if !readTyped(data, "message_delta", messageDeltaKeys, top[:]) {
		return false
	}
	if jsonx.Present(top[1]) {
		var d [2][]byte
		if jsonx.ReadObjectMembers(top[1], stopKeys, d[:]) != nil {
			return false
		}
		ev.Delta = &StreamDelta{}
		for i, dst := range [...]**string{&ev.Delta.StopReason, &ev.Delta.StopSequence} {
			if jsonx.Present(d[i]) {
				s, err := jsonx.ReadString(d[i])
				if err != nil {
					return false
				}
				*dst = &s
			}
		}
	}
	if jsonx.Present(top[2]) {
		ev.Usage = &Usage{}
		if !scanUsage(top[2], ev.Usage) {
			return false
		}
	}
	ev.Type = "message_delta"
	return true
}

// scanUsage reads the four token counts; absent and null counts stay nil.
func scanUsage(v []byte, u *Usage) bool {
	var f [4][]byte
	if jsonx.ReadObjectMembers(v, usageKeys, f[:]) != nil {
		return false
	}
	for i, dst := range [...]**int64{&u.InputTokens, &u.OutputTokens, &u.CacheCreationInputTokens, &u.CacheReadInputTokens} {
		if !jsonx.Present(f[i]) {
			continue
		}
		n, err := jsonx.ReadInt64(f[i])
		if err != nil {
			return false
		}
		*dst = &n
	}
	return true
}

// readTyped reads an object's members named in keys, whose first must be
// "type" holding want.
func readTyped(data []byte, want string, keys []string, into [][]byte) bool {
	if jsonx.ReadObjectMembers(data, keys, into) != nil || !jsonx.Present(into[0]) {
		return false
	}
	t, err := jsonx.ReadString(into[0])
	return err == nil && t == want
}

// readStrings reads each present value into its destination.
func readStrings(vals [][]byte, dsts ...*string) bool {
	for i, dst := range dsts {
		if !jsonx.Present(vals[i]) {
			continue
		}
		s, err := jsonx.ReadString(vals[i])
		if err != nil {
			return false
		}
		*dst = s
	}
	return true
}

var (
	blockDeltaKeys   = []string{"type", "index", "delta"}
	deltaKeys        = []string{"type", "text", "partial_json", "thinking", "signature"}
	messageStartKeys = []string{"type", "message"}
	messageKeys      = []string{"id", "model", "usage"}
	blockStartKeys   = []string{"type", "index", "content_block"}
	contentBlockKeys = []string{"type", "id", "name", "text", "thinking", "signature", "input"}
	messageDeltaKeys = []string{"type", "delta", "usage"}
	stopKeys         = []string{"stop_reason", "stop_sequence"}
	usageKeys        = []string{"input_tokens", "output_tokens", "cache_creation_input_tokens", "cache_read_input_tokens"}
)
