package bench

import (
	"strings"
	"testing"
)

func TestValidateMessagesUnary(t *testing.T) {
	good := `{"id":"msg_1","type":"message","role":"assistant","model":"claude-fake","content":[{"type":"text","text":"Hello!"}],"stop_reason":"end_turn","stop_sequence":null,"usage":{"input_tokens":3,"output_tokens":8}}`
	if err := ValidateMessagesUnary([]byte(good)); err != nil {
		t.Errorf("good body rejected: %v", err)
	}
	bad := map[string]string{
		"not json":       `Hello`,
		"error envelope": `{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}`,
		"openai shape":   unaryReply,
		"no id":          `{"type":"message","role":"assistant","content":[{"type":"text","text":"Hi"}],"stop_reason":"end_turn","usage":{"input_tokens":3,"output_tokens":8}}`,
		"user role":      `{"id":"m","type":"message","role":"user","content":[{"type":"text","text":"Hi"}],"stop_reason":"end_turn","usage":{"input_tokens":3,"output_tokens":8}}`,
		"empty text":     `{"id":"m","type":"message","role":"assistant","content":[{"type":"text","text":""}],"stop_reason":"end_turn","usage":{"input_tokens":3,"output_tokens":8}}`,
		"no content":     `{"id":"m","type":"message","role":"assistant","content":[],"stop_reason":"end_turn","usage":{"input_tokens":3,"output_tokens":8}}`,
		"no stop reason": `{"id":"m","type":"message","role":"assistant","content":[{"type":"text","text":"Hi"}],"usage":{"input_tokens":3,"output_tokens":8}}`,
		"no usage":       `{"id":"m","type":"message","role":"assistant","content":[{"type":"text","text":"Hi"}],"stop_reason":"end_turn"}`,
		"no input count": `{"id":"m","type":"message","role":"assistant","content":[{"type":"text","text":"Hi"}],"stop_reason":"end_turn","usage":{"output_tokens":8}}`,
	}
	for name, body := range bad {
		if err := ValidateMessagesUnary([]byte(body)); err == nil {
			t.Errorf("%s: accepted %s", name, body)
		}
	}
}

// event renders one named SSE event.
func event(name, data string) string { return "event: " + name + "\ndata: " + data + "\n\n" }

// Events of a well-formed Anthropic stream, in order.
var (
	evStart      = event("message_start", `{"type":"message_start","message":{"id":"msg_1","type":"message","role":"assistant","content":[],"usage":{"input_tokens":3,"output_tokens":1}}}`)
	evBlockStart = event("content_block_start", `{"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}`)
	evPing       = event("ping", `{"type": "ping"}`)
	evDelta      = event("content_block_delta", `{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hello"}}`)
	evBlockStop  = event("content_block_stop", `{"type":"content_block_stop","index":0}`)
	evMsgDelta   = event("message_delta", `{"type":"message_delta","delta":{"stop_reason":"end_turn","stop_sequence":null},"usage":{"output_tokens":8}}`)
	evStop       = event("message_stop", `{"type":"message_stop"}`)
)

func messagesStream(events ...string) []byte { return []byte(strings.Join(events, "")) }

func TestValidateMessagesStreamAcceptsDocumentedShapes(t *testing.T) {
	good := map[string][]byte{
		"fake upstream's, with ping": messagesStream(evStart, evBlockStart, evPing, evDelta, evDelta, evBlockStop, evMsgDelta, evStop),
		"translated, no ping":        messagesStream(evStart, evBlockStart, evDelta, evBlockStop, evMsgDelta, evStop),
		"CRLF line ends":             []byte(strings.ReplaceAll(string(messagesStream(evStart, evBlockStart, evDelta, evBlockStop, evMsgDelta, evStop)), "\n", "\r\n")),
		"two blocks": messagesStream(evStart, evBlockStart, evDelta, evBlockStop,
			event("content_block_start", `{"type":"content_block_start","index":1,"content_block":{"type":"text","text":""}}`),
			event("content_block_stop", `{"type":"content_block_stop","index":1}`), evMsgDelta, evStop),
		"no event lines": []byte(strings.Join([]string{
			`data: {"type":"message_start","message":{}}`, `data: {"type":"content_block_start","index":0}`,
			`data: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"x"}}`, `data: {"type":"content_block_stop","index":0}`,
			`data: {"type":"message_delta","delta":{"stop_reason":"end_turn"},"usage":{"output_tokens":1}}`, `data: {"type":"message_stop"}`,
		}, "\n\n") + "\n\n"),
	}
	for name, body := range good {
		if err := ValidateMessagesStream(body); err != nil {
			t.Errorf("%s: rejected: %v", name, err)
		}
	}
}

func TestValidateMessagesStreamRejectsBrokenStreams(t *testing.T) {
	bad := map[string][]byte{
		"empty":                   nil,
		"no message_stop":         messagesStream(evStart, evBlockStart, evDelta, evBlockStop, evMsgDelta),
		"no message_delta":        messagesStream(evStart, evBlockStart, evDelta, evBlockStop, evStop),
		"no message_start":        messagesStream(evBlockStart, evDelta, evBlockStop, evMsgDelta, evStop),
		"ping first":              messagesStream(evPing, evStart, evBlockStart, evDelta, evBlockStop, evMsgDelta, evStop),
		"second message_start":    messagesStream(evStart, evStart, evBlockStart, evDelta, evBlockStop, evMsgDelta, evStop),
		"block never stopped":     messagesStream(evStart, evBlockStart, evDelta, evMsgDelta, evStop),
		"delta outside a block":   messagesStream(evStart, evDelta, evBlockStart, evBlockStop, evMsgDelta, evStop),
		"no text":                 messagesStream(evStart, evBlockStart, evBlockStop, evMsgDelta, evStop),
		"event after stop":        messagesStream(evStart, evBlockStart, evDelta, evBlockStop, evMsgDelta, evStop, evPing),
		"OpenAI chunks":           []byte(sse(`{"object":"chat.completion.chunk","choices":[{"delta":{"content":"x"}}]}`, "[DONE]")),
		"error event":             messagesStream(evStart, event("error", `{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}`)),
		"not json":                messagesStream(evStart, event("content_block_start", `{oops`)),
		"name and type disagree":  messagesStream(evStart, event("content_block_start", `{"type":"content_block_stop","index":0}`), evDelta, evBlockStop, evMsgDelta, evStop),
		"unknown event":           messagesStream(evStart, event("surprise", `{"type":"surprise"}`), evBlockStart, evDelta, evBlockStop, evMsgDelta, evStop),
		"block index skips":       messagesStream(evStart, event("content_block_start", `{"type":"content_block_start","index":1}`), evDelta, evBlockStop, evMsgDelta, evStop),
		"delta of another block":  messagesStream(evStart, evBlockStart, event("content_block_delta", `{"type":"content_block_delta","index":2,"delta":{"type":"text_delta","text":"x"}}`), evBlockStop, evMsgDelta, evStop),
		"stop reason missing":     messagesStream(evStart, evBlockStart, evDelta, evBlockStop, event("message_delta", `{"type":"message_delta","delta":{},"usage":{"output_tokens":8}}`), evStop),
		"output tokens missing":   messagesStream(evStart, evBlockStart, evDelta, evBlockStop, event("message_delta", `{"type":"message_delta","delta":{"stop_reason":"end_turn"}}`), evStop),
		"block after message end": messagesStream(evStart, evBlockStart, evDelta, evBlockStop, evMsgDelta, evBlockStart, evStop),
	}
	for name, body := range bad {
		if err := ValidateMessagesStream(body); err == nil {
			t.Errorf("%s: accepted %q", name, body)
		}
	}
}

func TestParseEventJoinsDataLinesWithoutTouchingTheBody(t *testing.T) {
	frame := []byte("event: x\ndata: {\"a\":\ndata: 1}\n: comment")
	orig := string(frame)
	name, data, ok := parseEvent(frame)
	if !ok || name != "x" || string(data) != "{\"a\":\n1}" {
		t.Errorf("parseEvent = %q, %q, %v", name, data, ok)
	}
	if string(frame) != orig {
		t.Errorf("parseEvent changed its input to %q", frame)
	}
	if _, _, ok := parseEvent([]byte(": keep-alive")); ok {
		t.Error("a comment-only frame has data")
	}
}
