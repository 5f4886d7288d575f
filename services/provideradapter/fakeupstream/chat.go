package fakeupstream

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
)

// chatRequest is the part of a Chat Completions body the fake looks at.
type chatRequest struct {
	Model         string `json:"model"`
	Stream        bool   `json:"stream"`
	StreamOptions *struct {
		IncludeUsage bool `json:"include_usage"`
	} `json:"stream_options"`
	Messages []struct {
		Role       string          `json:"role"`
		Content    json.RawMessage `json:"content"`
		ToolCallID string          `json:"tool_call_id"`
	} `json:"messages"`
	Tools []struct {
		Type     string `json:"type"`
		Function struct {
			Name string `json:"name"`
		} `json:"function"`
	} `json:"tools"`
}

// contentText is a message's text: a string, or the text parts of an array.
func contentText(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var parts []struct {
		Text string `json:"text"`
	}
	_ = json.Unmarshal(raw, &parts)
	var b strings.Builder
	for _, p := range parts {
		b.WriteString(p.Text)
	}
	return b.String()
}

// promptChars counts the characters of all message texts.
func (r *chatRequest) promptChars() int {
	n := 0
	for _, m := range r.Messages {
		n += len([]rune(contentText(m.Content)))
	}
	return n
}

// conversation is the request as the fake's script reads it.
func (r *chatRequest) conversation() *conversation {
	c := &conversation{}
	for _, t := range r.Tools {
		c.tools = append(c.tools, t.Function.Name)
	}
	n := len(r.Messages)
	for n > 0 && (r.Messages[n-1].Role == "system" || r.Messages[n-1].Role == "developer") {
		n-- // instructions after the turn (a translated Claude Code request has them)
	}
	if n == 0 {
		return c
	}
	switch last := r.Messages[n-1]; last.Role {
	case "user":
		c.lastUserText = contentText(last.Content)
	case "tool":
		c.hasToolResult, c.toolResultID, c.toolResult = true, last.ToolCallID, contentText(last.Content)
	}
	return c
}

func (s *Server) chat(w http.ResponseWriter, r *http.Request) {
	body, ok := s.readBody(w, r)
	if !ok {
		return
	}
	var req chatRequest
	if err := json.Unmarshal(body, &req); err != nil {
		writeError(w, http.StatusBadRequest, "We could not parse the JSON body of your request.", "invalid_request_error", "", "")
		return
	}
	if req.Model == "" {
		writeError(w, http.StatusBadRequest, "you must provide a model parameter", "invalid_request_error", "", "")
		return
	}
	if len(req.Messages) == 0 {
		writeError(w, http.StatusBadRequest, "Invalid 'messages': empty array.", "invalid_request_error", "messages", "empty_array")
		return
	}
	if s.failByModel(w, r, req.Model) {
		return
	}
	promptTokens := estimateTokens(req.promptChars())
	a := req.conversation().decide()
	if req.Stream {
		includeUsage := req.StreamOptions != nil && req.StreamOptions.IncludeUsage
		streamChat(w, req.Model, a, includeUsage, promptTokens)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(unaryChat(req.Model, a, promptTokens))
}

// The fixed parts of every answer, encoded once.
var (
	idAndCreated    = `{"id":"chatcmpl-fake","object":"chat.completion","created":` + strconv.Itoa(Created) + `,"model":`
	textChoice      = `,"choices":[{"index":0,"message":{"role":"assistant","content":` + quote(Reply) + `,"refusal":null,"annotations":[]},"logprobs":null,"finish_reason":"stop"}]`
	textTokens      = estimateTokens(len(Reply))
	chunkHead       = `{"id":"chatcmpl-fake","object":"chat.completion.chunk","created":` + strconv.Itoa(Created) + `,"model":`
	fingerprintTail = `,"service_tier":"default","system_fingerprint":"fp_fake"`
)

// pieceChoices are the choices of the streamed content events.
var pieceChoices = func() []string {
	out := make([]string, len(ReplyPieces))
	for i, p := range ReplyPieces {
		out[i] = `{"index":0,"delta":{"content":` + quote(p) + `},"logprobs":null,"finish_reason":null}`
	}
	return out
}()

func quote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// chatCallID is the id of the fake's tool call.
func chatCallID(a answer) string {
	if a.readCall {
		return "call_" + ReadCallMarker
	}
	return "call_fake_weather"
}

func toolChoiceJSON(a answer) string {
	return `,"choices":[{"index":0,"message":{"role":"assistant","content":null,"refusal":null,"annotations":[],"tool_calls":[{"id":` + quote(chatCallID(a)) + `,"type":"function","function":{"name":` +
		quote(a.toolName) + `,"arguments":` + quote(a.args) + `}}]},"logprobs":null,"finish_reason":"tool_calls"}]`
}

func textChoiceJSON(text string) string {
	if text == Reply {
		return textChoice
	}
	return `,"choices":[{"index":0,"message":{"role":"assistant","content":` + quote(text) + `,"refusal":null,"annotations":[]},"logprobs":null,"finish_reason":"stop"}]`
}

func appendUsage(b []byte, prompt, completion int) []byte {
	b = append(b, `{"prompt_tokens":`...)
	b = strconv.AppendInt(b, int64(prompt), 10)
	b = append(b, `,"completion_tokens":`...)
	b = strconv.AppendInt(b, int64(completion), 10)
	b = append(b, `,"total_tokens":`...)
	b = strconv.AppendInt(b, int64(prompt+completion), 10)
	return append(b, `,"prompt_tokens_details":{"cached_tokens":0,"audio_tokens":0},"completion_tokens_details":{"reasoning_tokens":0,"audio_tokens":0,"accepted_prediction_tokens":0,"rejected_prediction_tokens":0}}`...)
}

func unaryChat(model string, a answer, promptTokens int) []byte {
	b := make([]byte, 0, 768)
	b = append(b, idAndCreated...)
	b = append(b, quote(model)...)
	completion := estimateTokens(len(a.text))
	if a.isTool() {
		b = append(b, toolChoiceJSON(a)...)
		completion = estimateTokens(len(a.toolName) + len(a.args))
	} else {
		b = append(b, textChoiceJSON(a.text)...)
	}
	b = append(b, `,"usage":`...)
	b = appendUsage(b, promptTokens, completion)
	b = append(b, fingerprintTail...)
	return append(b, "}\n"...)
}

// streamChat writes the answer as OpenAI's SSE stream, flushing each event.
func streamChat(w http.ResponseWriter, model string, a answer, includeUsage bool, promptTokens int) {
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-cache")
	w.WriteHeader(http.StatusOK)
	flusher, _ := w.(http.Flusher)
	head := chunkHead + quote(model) + fingerprintTail + `,"choices":[`
	usageNull := ""
	if includeUsage {
		usageNull = `,"usage":null`
	}
	buf := make([]byte, 0, 512)
	event := func(choices string) {
		buf = append(buf[:0], "data: "...)
		buf = append(buf, head...)
		buf = append(buf, choices...)
		buf = append(buf, ']')
		buf = append(buf, usageNull...)
		buf = append(buf, "}\n\n"...)
		_, _ = w.Write(buf)
		if flusher != nil {
			flusher.Flush()
		}
	}
	completion := estimateTokens(len(a.text))
	if a.isTool() {
		completion = estimateTokens(len(a.toolName) + len(a.args))
		event(`{"index":0,"delta":{"role":"assistant","content":null,"tool_calls":[{"index":0,"id":` + quote(chatCallID(a)) + `,"type":"function","function":{"name":` +
			quote(a.toolName) + `,"arguments":""}}],"refusal":null},"logprobs":null,"finish_reason":null}`)
		half := len(a.args) / 2
		for _, part := range []string{a.args[:half], a.args[half:]} {
			event(`{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":` + quote(part) + `}}]},"logprobs":null,"finish_reason":null}`)
		}
		event(`{"index":0,"delta":{},"logprobs":null,"finish_reason":"tool_calls"}`)
	} else {
		event(`{"index":0,"delta":{"role":"assistant","content":"","refusal":null},"logprobs":null,"finish_reason":null}`)
		if a.text == Reply {
			for _, choice := range pieceChoices {
				event(choice)
			}
		} else {
			for _, p := range pieces(a.text) {
				event(`{"index":0,"delta":{"content":` + quote(p) + `},"logprobs":null,"finish_reason":null}`)
			}
		}
		event(`{"index":0,"delta":{},"logprobs":null,"finish_reason":"stop"}`)
	}
	if includeUsage {
		buf = append(buf[:0], "data: "...)
		buf = append(buf, head...)
		buf = append(buf, `],"usage":`...)
		buf = appendUsage(buf, promptTokens, completion)
		buf = append(buf, "}\n\n"...)
		_, _ = w.Write(buf)
	}
	_, _ = w.Write([]byte("data: [DONE]\n\n"))
	if flusher != nil {
		flusher.Flush()
	}
}
