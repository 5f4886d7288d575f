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
	b, err := json.Marshal(body)
	if err != nil {
		panic(err) // unreachable: the struct always marshals
	}
	return b
}
