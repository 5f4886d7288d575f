package bench

import "net/http"

// Dialect is the wire API a client speaks (and an upstream answers).
type Dialect string

const (
	// DialectOpenAI is OpenAI Chat Completions: bearer token, a
	// chat.completion or chunks ended by data: [DONE]. The zero Dialect
	// means it too.
	DialectOpenAI Dialect = "openai"
	// DialectAnthropic is Anthropic Messages: x-api-key and
	// anthropic-version, a message or the event stream ended by
	// message_stop.
	DialectAnthropic Dialect = "anthropic"
)

// AnthropicVersion is the anthropic-version header the benchmark sends.
const AnthropicVersion = "2023-06-01"

// requestHeader is the header of every request a client of dialect d sends
// with token, asking for a stream or not.
func requestHeader(d Dialect, token string, stream bool) http.Header {
	h := http.Header{"Content-Type": {"application/json"}}
	if d == DialectAnthropic {
		h.Set("X-Api-Key", token)
		h.Set("Anthropic-Version", AnthropicVersion)
	} else {
		h.Set("Authorization", "Bearer "+token)
	}
	if stream {
		h.Set("Accept", "text/event-stream")
	} else {
		h.Set("Accept", "application/json")
	}
	return h
}

// Validate checks a 200 body as a client of dialect d would read it.
func Validate(d Dialect, stream bool, body []byte) error {
	switch {
	case d == DialectAnthropic && stream:
		return ValidateMessagesStream(body)
	case d == DialectAnthropic:
		return ValidateMessagesUnary(body)
	case stream:
		return ValidateStream(body)
	default:
		return ValidateUnary(body)
	}
}
