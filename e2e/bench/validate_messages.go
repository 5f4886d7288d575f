package bench

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
)

// ValidateMessagesUnary checks that body is an Anthropic message with a text
// reply, a stop reason and token usage.
func ValidateMessagesUnary(body []byte) error {
	var m struct {
		ID      string `json:"id"`
		Type    string `json:"type"`
		Role    string `json:"role"`
		Content []struct {
			Type string `json:"type"`
			Text string `json:"text"`
		} `json:"content"`
		StopReason string `json:"stop_reason"`
		Usage      *struct {
			InputTokens  *int `json:"input_tokens"`
			OutputTokens int  `json:"output_tokens"`
		} `json:"usage"`
	}
	if err := json.Unmarshal(body, &m); err != nil {
		return fmt.Errorf("message body is not JSON: %w", err)
	}
	text := false
	for _, c := range m.Content {
		text = text || (c.Type == "text" && c.Text != "")
	}
	switch {
	case m.Type != "message":
		return fmt.Errorf("message body: type %q, want message", m.Type)
	case m.ID == "":
		return errors.New("message body: no id")
	case m.Role != "assistant":
		return fmt.Errorf("message body: role %q, want assistant", m.Role)
	case !text:
		return errors.New("message body: no non-empty text block")
	case m.StopReason == "":
		return errors.New("message body: no stop_reason")
	case m.Usage == nil || m.Usage.InputTokens == nil || m.Usage.OutputTokens <= 0:
		return errors.New("message body: no token usage")
	}
	return nil
}

// messagesStreamState is where an Anthropic event stream is: which events
// may come next.
type messagesStreamState int

const (
	beforeMessage messagesStreamState = iota // only message_start
	betweenBlocks                            // content_block_start or message_delta
	inBlock                                  // content_block_delta or content_block_stop
	afterDelta                               // only message_stop
	afterMessage                             // nothing
)

// ValidateMessagesStream checks that body is an Anthropic Messages event
// stream in the documented order: message_start, then content blocks
// (content_block_start, content_block_delta…, content_block_stop, with
// matching indexes), one message_delta carrying the stop reason and output
// tokens, and message_stop last; ping may come anywhere before the end.
// Every event's data must be JSON whose type is the event's name, at least
// one text delta must carry text, and an error event fails the stream.
func ValidateMessagesStream(body []byte) error {
	state := beforeMessage
	events, textDeltas, block := 0, 0, -1
	for _, frame := range bytes.Split(bytes.ReplaceAll(body, []byte("\r\n"), []byte("\n")), []byte("\n\n")) {
		name, data, ok := parseEvent(frame)
		if !ok {
			continue // blank or comment-only frame
		}
		events++
		if state == afterMessage {
			return fmt.Errorf("stream: event %d (%s) after message_stop", events, name)
		}
		var ev struct {
			Type  string `json:"type"`
			Index *int   `json:"index"`
			Delta struct {
				Type       string `json:"type"`
				Text       string `json:"text"`
				StopReason string `json:"stop_reason"`
			} `json:"delta"`
			Usage *struct {
				OutputTokens int `json:"output_tokens"`
			} `json:"usage"`
			Error *struct {
				Type    string `json:"type"`
				Message string `json:"message"`
			} `json:"error"`
		}
		if err := json.Unmarshal(data, &ev); err != nil {
			return fmt.Errorf("stream event %d (%s) is not JSON: %w", events, name, err)
		}
		if name == "" {
			name = ev.Type // the event: line is optional in SSE
		}
		if ev.Type != name {
			return fmt.Errorf("stream event %d: event %q carries type %q", events, name, ev.Type)
		}
		want := func(allowed string) error {
			return fmt.Errorf("stream event %d: %s where %s was due", events, name, allowed)
		}
		switch name {
		case "ping":
			if state == beforeMessage {
				return want("message_start")
			}
		case "error":
			if ev.Error != nil {
				return fmt.Errorf("stream event %d: error %s: %s", events, ev.Error.Type, ev.Error.Message)
			}
			return fmt.Errorf("stream event %d: error", events)
		case "message_start":
			if state != beforeMessage {
				return want("no second message_start")
			}
			state = betweenBlocks
		case "content_block_start":
			if state != betweenBlocks {
				return want(expected(state))
			}
			if ev.Index == nil || *ev.Index != block+1 {
				return fmt.Errorf("stream event %d: content_block_start index %v, want %d", events, deref(ev.Index), block+1)
			}
			block, state = *ev.Index, inBlock
		case "content_block_delta", "content_block_stop":
			if state != inBlock {
				return want(expected(state))
			}
			if ev.Index == nil || *ev.Index != block {
				return fmt.Errorf("stream event %d: %s index %v, want %d", events, name, deref(ev.Index), block)
			}
			if name == "content_block_stop" {
				state = betweenBlocks
			} else if ev.Delta.Type == "text_delta" && ev.Delta.Text != "" {
				textDeltas++
			}
		case "message_delta":
			if state != betweenBlocks {
				return want(expected(state))
			}
			if ev.Delta.StopReason == "" {
				return fmt.Errorf("stream event %d: message_delta without stop_reason", events)
			}
			if ev.Usage == nil || ev.Usage.OutputTokens <= 0 {
				return fmt.Errorf("stream event %d: message_delta without output_tokens", events)
			}
			state = afterDelta
		case "message_stop":
			if state != afterDelta {
				return want(expected(state))
			}
			state = afterMessage
		default:
			return fmt.Errorf("stream event %d: unknown event %q", events, name)
		}
	}
	switch {
	case state != afterMessage:
		return fmt.Errorf("stream: %d events, no message_stop (%s was due)", events, expected(state))
	case textDeltas == 0:
		return errors.New("stream: no text_delta with text")
	}
	return nil
}

// parseEvent reads one SSE frame's event name and data (data lines joined by
// newlines); ok is false when the frame has no data.
func parseEvent(frame []byte) (name string, data []byte, ok bool) {
	for _, line := range bytes.Split(frame, []byte("\n")) {
		if v, found := bytes.CutPrefix(line, []byte("event:")); found {
			name = string(bytes.TrimSpace(v))
		} else if v, found := bytes.CutPrefix(line, []byte("data:")); found {
			v = bytes.TrimPrefix(v, []byte(" "))
			if ok {
				data = slices.Concat(data, []byte{'\n'}, v) // a copy: data aliases the body
			} else {
				data, ok = v, true
			}
		}
	}
	return name, data, ok
}

func expected(s messagesStreamState) string {
	switch s {
	case beforeMessage:
		return "message_start"
	case betweenBlocks:
		return "content_block_start or message_delta"
	case inBlock:
		return "content_block_delta or content_block_stop"
	case afterDelta:
		return "message_stop"
	default:
		return "the end"
	}
}

func deref(p *int) any {
	if p == nil {
		return "none"
	}
	return *p
}
