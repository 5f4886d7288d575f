package bench

import "encoding/json"

// ChatRequest is the body of a small, realistic chat completion request for
// model (an endpoint name through the gateway, the upstream model directly).
// Streaming asks for the usage chunk too, as SDKs that count tokens do.
func ChatRequest(model string, stream bool) []byte {
	type message struct {
		Role    string `json:"role"`
		Content string `json:"content"`
	}
	type streamOptions struct {
		IncludeUsage bool `json:"include_usage"`
	}
	body := struct {
		Model         string         `json:"model"`
		Messages      []message      `json:"messages"`
		Stream        bool           `json:"stream,omitempty"`
		StreamOptions *streamOptions `json:"stream_options,omitempty"`
	}{
		Model:    model,
		Messages: []message{{Role: "user", Content: "Say hello"}},
	}
	if stream {
		body.Stream = true
		body.StreamOptions = &streamOptions{IncludeUsage: true}
	}
	return mustMarshal(body)
}

// MessagesRequest is the body of a small Anthropic Messages request for model,
// the same conversation as ChatRequest's. Anthropic requires max_tokens.
func MessagesRequest(model string, stream bool) []byte {
	type message struct {
		Role    string `json:"role"`
		Content string `json:"content"`
	}
	return mustMarshal(struct {
		Model     string    `json:"model"`
		MaxTokens int       `json:"max_tokens"`
		Messages  []message `json:"messages"`
		Stream    bool      `json:"stream"`
	}{
		Model:     model,
		MaxTokens: 256,
		Messages:  []message{{Role: "user", Content: "Say hello"}},
		Stream:    stream,
	})
}

// Request is the body of the benchmark's request in dialect d.
func Request(d Dialect, model string, stream bool) []byte {
	if d == DialectAnthropic {
		return MessagesRequest(model, stream)
	}
	return ChatRequest(model, stream)
}

func mustMarshal(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // unreachable: the request structs always marshal
	}
	return b
}
