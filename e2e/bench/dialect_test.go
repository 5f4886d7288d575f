package bench

import (
	"encoding/json"
	"testing"
)

func TestMessagesRequestShape(t *testing.T) {
	for _, stream := range []bool{false, true} {
		var body struct {
			Model     string `json:"model"`
			MaxTokens int    `json:"max_tokens"`
			Stream    *bool  `json:"stream"`
			Messages  []struct {
				Role, Content string
			} `json:"messages"`
		}
		if err := json.Unmarshal(Request(DialectAnthropic, "claude", stream), &body); err != nil {
			t.Fatal(err)
		}
		if body.Model != "claude" || body.MaxTokens != 256 || body.Stream == nil || *body.Stream != stream ||
			len(body.Messages) != 1 || body.Messages[0].Role != "user" || body.Messages[0].Content != "Say hello" {
			t.Errorf("stream=%v: Anthropic request = %+v", stream, body)
		}
	}
	if string(Request(DialectOpenAI, "m", true)) != string(ChatRequest("m", true)) || string(Request("", "m", false)) != string(ChatRequest("m", false)) {
		t.Error("an OpenAI (or unnamed) dialect's request is not ChatRequest's")
	}
}

func TestRequestHeaderCarriesTheTokenAsTheDialectExpects(t *testing.T) {
	a := requestHeader(DialectAnthropic, "tok", true)
	if a.Get("X-Api-Key") != "tok" || a.Get("Anthropic-Version") != AnthropicVersion || a.Get("Authorization") != "" || a.Get("Accept") != "text/event-stream" {
		t.Errorf("Anthropic header = %v", a)
	}
	o := requestHeader(DialectOpenAI, "tok", false)
	if o.Get("Authorization") != "Bearer tok" || o.Get("X-Api-Key") != "" || o.Get("Accept") != "application/json" || o.Get("Content-Type") != "application/json" {
		t.Errorf("OpenAI header = %v", o)
	}
}

func TestValidatePicksTheDialectsChecks(t *testing.T) {
	anthropicUnary := `{"id":"m","type":"message","role":"assistant","content":[{"type":"text","text":"Hi"}],"stop_reason":"end_turn","usage":{"input_tokens":3,"output_tokens":8}}`
	openAIStream := sse(`{"object":"chat.completion.chunk","choices":[{"delta":{"content":"x"}}],"usage":{"total_tokens":3}}`, "[DONE]")
	anthropicStream := messagesStream(evStart, evBlockStart, evDelta, evBlockStop, evMsgDelta, evStop)
	cases := []struct {
		dialect Dialect
		stream  bool
		body    string
		ok      bool
	}{
		{DialectOpenAI, false, unaryReply, true},
		{"", false, unaryReply, true},
		{DialectAnthropic, false, unaryReply, false},
		{DialectAnthropic, false, anthropicUnary, true},
		{DialectOpenAI, false, anthropicUnary, false},
		{DialectOpenAI, true, openAIStream, true},
		{DialectAnthropic, true, openAIStream, false},
		{DialectAnthropic, true, string(anthropicStream), true},
		{DialectOpenAI, true, string(anthropicStream), false},
	}
	for _, c := range cases {
		if err := Validate(c.dialect, c.stream, []byte(c.body)); (err == nil) != c.ok {
			t.Errorf("Validate(%q, stream=%v, %.40q…) = %v, want ok=%v", c.dialect, c.stream, c.body, err, c.ok)
		}
	}
}
