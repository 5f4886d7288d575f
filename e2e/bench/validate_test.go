package bench

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestChatRequestShape(t *testing.T) {
	var unary map[string]any
	if err := json.Unmarshal(ChatRequest("chat", false), &unary); err != nil {
		t.Fatal(err)
	}
	if unary["model"] != "chat" || unary["stream"] != nil || unary["stream_options"] != nil {
		t.Errorf("unary request = %v, want model chat and no stream fields", unary)
	}
	var stream map[string]any
	if err := json.Unmarshal(ChatRequest("gpt-fake", true), &stream); err != nil {
		t.Fatal(err)
	}
	opts, _ := stream["stream_options"].(map[string]any)
	if stream["stream"] != true || opts["include_usage"] != true {
		t.Errorf("stream request = %v, want stream true with include_usage", stream)
	}
}

func TestValidateUnary(t *testing.T) {
	good := `{"id":"c1","object":"chat.completion","choices":[{"index":0,"message":{"role":"assistant","content":"Hello!"},"finish_reason":"stop"}],"usage":{"prompt_tokens":2,"completion_tokens":1,"total_tokens":3}}`
	if err := ValidateUnary([]byte(good)); err != nil {
		t.Errorf("good body rejected: %v", err)
	}
	bad := map[string]string{
		"not json":      `Hello`,
		"error object":  `{"error":{"message":"nope","type":"invalid_request_error"}}`,
		"no choices":    `{"id":"c1","object":"chat.completion","choices":[],"usage":{"total_tokens":3}}`,
		"empty content": `{"id":"c1","object":"chat.completion","choices":[{"message":{"content":""}}],"usage":{"total_tokens":3}}`,
		"no usage":      `{"id":"c1","object":"chat.completion","choices":[{"message":{"content":"hi"}}]}`,
	}
	for name, body := range bad {
		if err := ValidateUnary([]byte(body)); err == nil {
			t.Errorf("%s: accepted %s", name, body)
		}
	}
}

func sse(chunks ...string) string {
	var b strings.Builder
	for _, c := range chunks {
		b.WriteString("data: " + c + "\n\n")
	}
	return b.String()
}

func TestValidateStream(t *testing.T) {
	content := `{"id":"c1","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":"Hel"}}]}`
	finish := `{"id":"c1","object":"chat.completion.chunk","choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}`
	usage := `{"id":"c1","object":"chat.completion.chunk","choices":[],"usage":{"prompt_tokens":2,"completion_tokens":1,"total_tokens":3}}`
	if err := ValidateStream([]byte(sse(content, content, finish, usage, "[DONE]"))); err != nil {
		t.Errorf("good stream rejected: %v", err)
	}
	bad := map[string]string{
		"no done":        sse(content, usage),
		"no content":     sse(finish, usage, "[DONE]"),
		"no usage":       sse(content, finish, "[DONE]"),
		"data after end": sse(content, usage, "[DONE]", content),
		"not json":       sse("oops", "[DONE]"),
		"wrong object":   sse(`{"object":"chat.completion","choices":[{"delta":{"content":"x"}}]}`, usage, "[DONE]"),
		"empty":          "",
	}
	for name, body := range bad {
		if err := ValidateStream([]byte(body)); err == nil {
			t.Errorf("%s: accepted %q", name, body)
		}
	}
}
