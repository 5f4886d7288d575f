package bench

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
)

// ValidateUnary checks that body is an OpenAI chat completion with a reply
// and token usage.
func ValidateUnary(body []byte) error {
	var c struct {
		ID      string `json:"id"`
		Object  string `json:"object"`
		Choices []struct {
			Message struct {
				Content *string `json:"content"`
			} `json:"message"`
			FinishReason string `json:"finish_reason"`
		} `json:"choices"`
		Usage *struct {
			TotalTokens int `json:"total_tokens"`
		} `json:"usage"`
	}
	if err := json.Unmarshal(body, &c); err != nil {
		return fmt.Errorf("unary body is not JSON: %w", err)
	}
	switch {
	case c.Object != "chat.completion":
		return fmt.Errorf("unary body: object %q, want chat.completion", c.Object)
	case c.ID == "":
		return errors.New("unary body: no id")
	case len(c.Choices) == 0:
		return errors.New("unary body: no choices")
	case c.Choices[0].Message.Content == nil || *c.Choices[0].Message.Content == "":
		return errors.New("unary body: empty message content")
	case c.Usage == nil || c.Usage.TotalTokens <= 0:
		return errors.New("unary body: no token usage")
	}
	return nil
}

// ValidateStream checks that body is an OpenAI chat completion SSE stream:
// data lines of chat.completion.chunk objects carrying some content and,
// because the request asked for it, one usage chunk, ended by data: [DONE].
func ValidateStream(body []byte) error {
	var chunks, contentChunks, usageChunks int
	done := false
	for _, line := range bytes.Split(body, []byte("\n")) {
		line = bytes.TrimRight(line, "\r")
		data, ok := bytes.CutPrefix(line, []byte("data:"))
		if !ok {
			continue // blank separators, comments, event: lines
		}
		data = bytes.TrimSpace(data)
		if done {
			return errors.New("stream: data after [DONE]")
		}
		if string(data) == "[DONE]" {
			done = true
			continue
		}
		var ch struct {
			Object  string `json:"object"`
			Choices []struct {
				Delta struct {
					Content string `json:"content"`
				} `json:"delta"`
			} `json:"choices"`
			Usage *struct {
				TotalTokens int `json:"total_tokens"`
			} `json:"usage"`
		}
		if err := json.Unmarshal(data, &ch); err != nil {
			return fmt.Errorf("stream chunk %d is not JSON: %w", chunks+1, err)
		}
		if ch.Object != "chat.completion.chunk" {
			return fmt.Errorf("stream chunk %d: object %q, want chat.completion.chunk", chunks+1, ch.Object)
		}
		chunks++
		for _, c := range ch.Choices {
			if c.Delta.Content != "" {
				contentChunks++
				break
			}
		}
		if ch.Usage != nil && ch.Usage.TotalTokens > 0 {
			usageChunks++
		}
	}
	switch {
	case !done:
		return errors.New("stream: no data: [DONE]")
	case contentChunks == 0:
		return fmt.Errorf("stream: %d chunks, none with content", chunks)
	case usageChunks != 1:
		return fmt.Errorf("stream: %d usage chunks, want 1 (include_usage was asked)", usageChunks)
	}
	return nil
}
