package fakeupstream

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strconv"
	"time"
)

// Anthropic Messages API (POST /v1/messages and /v1/messages/count_tokens),
// answered in Anthropic's documented shapes: a "message" object, or the
// event stream message_start, content_block_start, ping, deltas,
// content_block_stop, message_delta, message_stop. Failure models answer
// with Anthropic's error envelope; ModelOverloaded answers 529.

// ModelOverloaded answers 529 overloaded_error (Anthropic only).
const ModelOverloaded = "overloaded"

// messagesRequest is the part of a Messages body the fake reads.
type messagesRequest struct {
	Model     string          `json:"model"`
	MaxTokens *int            `json:"max_tokens"`
	Stream    bool            `json:"stream"`
	System    json.RawMessage `json:"system"`
	Messages  []struct {
		Role    string          `json:"role"`
		Content json.RawMessage `json:"content"`
	} `json:"messages"`
	Tools []struct {
		Name string `json:"name"`
	} `json:"tools"`
}

// contentBlock is one block of a message's content array.
type contentBlock struct {
	Type      string          `json:"type"`
	Text      string          `json:"text"`
	ToolUseID string          `json:"tool_use_id"`
	Content   json.RawMessage `json:"content"`
}

func (r *messagesRequest) conversation() *conversation {
	c := &conversation{}
	for _, t := range r.Tools {
		c.tools = append(c.tools, t.Name)
	}
	// Claude Code may end with a role "system" message (context for the
	// model); the turn is the last user or assistant message before it.
	n := len(r.Messages)
	for n > 0 && r.Messages[n-1].Role == "system" {
		n--
	}
	if n == 0 || r.Messages[n-1].Role != "user" {
		return c
	}
	last := r.Messages[n-1]
	var blocks []contentBlock
	if json.Unmarshal(last.Content, &blocks) == nil {
		for _, b := range blocks {
			if b.Type == "tool_result" {
				c.hasToolResult, c.toolResultID, c.toolResult = true, b.ToolUseID, textOf(b.Content)
				return c
			}
		}
	}
	c.lastUserText = textOf(last.Content)
	return c
}

func (r *messagesRequest) promptChars() int {
	n := len(textOf(r.System))
	for _, m := range r.Messages {
		n += len(textOf(m.Content))
	}
	return n
}

func (s *Server) messages(w http.ResponseWriter, r *http.Request) {
	body, ok := s.readBody(w, r)
	if !ok {
		return
	}
	var req messagesRequest
	if err := json.Unmarshal(body, &req); err != nil {
		writeAnthropicError(w, http.StatusBadRequest, "invalid_request_error", "There was an error parsing the body of your request.")
		return
	}
	switch {
	case r.Header.Get("X-Api-Key") == "":
		writeAnthropicError(w, http.StatusUnauthorized, "authentication_error", "x-api-key header is required")
		return
	case r.Header.Get("Anthropic-Version") == "":
		writeAnthropicError(w, http.StatusBadRequest, "invalid_request_error", "anthropic-version: header is required")
		return
	case req.Model == "":
		writeAnthropicError(w, http.StatusBadRequest, "invalid_request_error", "model: Field required")
		return
	case req.MaxTokens == nil:
		writeAnthropicError(w, http.StatusBadRequest, "invalid_request_error", "max_tokens: Field required")
		return
	case len(req.Messages) == 0:
		writeAnthropicError(w, http.StatusBadRequest, "invalid_request_error", "messages: at least one message is required")
		return
	}
	if s.anthropicFailure(w, r, req.Model) {
		return
	}
	a := req.conversation().decide()
	promptTokens := estimateTokens(req.promptChars())
	if req.Stream {
		streamMessage(w, req.Model, a, promptTokens)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(unaryMessage(req.Model, a, promptTokens))
}

// countTokens answers POST /v1/messages/count_tokens with the fake's estimate.
func (s *Server) countTokens(w http.ResponseWriter, r *http.Request) {
	body, ok := s.readBody(w, r)
	if !ok {
		return
	}
	var req messagesRequest
	if err := json.Unmarshal(body, &req); err != nil || req.Model == "" {
		writeAnthropicError(w, http.StatusBadRequest, "invalid_request_error", "model: Field required")
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write([]byte(`{"input_tokens":` + strconv.Itoa(estimateTokens(req.promptChars())) + "}\n"))
}

// anthropicFailure answers the failure models in Anthropic's shapes; it
// reports whether it did.
func (s *Server) anthropicFailure(w http.ResponseWriter, r *http.Request, model string) bool {
	switch model {
	case ModelFail500:
		writeAnthropicError(w, http.StatusInternalServerError, "api_error", "Internal server error")
	case ModelOverloaded:
		writeAnthropicError(w, 529, "overloaded_error", "Overloaded")
	case ModelFail429:
		w.Header().Set("Retry-After", "2")
		writeAnthropicError(w, http.StatusTooManyRequests, "rate_limit_error", "Number of request tokens has exceeded your per-minute rate limit")
	case ModelFail401:
		writeAnthropicError(w, http.StatusUnauthorized, "authentication_error", "invalid x-api-key")
	case ModelFail400:
		writeAnthropicError(w, http.StatusBadRequest, "invalid_request_error", "messages: the fake was told to reject them")
	case ModelSlow:
		return s.waitSlow(r)
	default:
		return false
	}
	return true
}

// waitSlow waits the slow delay; it reports true when the client left first.
func (s *Server) waitSlow(r *http.Request) bool {
	t := time.NewTimer(s.slowDelay)
	defer t.Stop()
	select {
	case <-t.C:
		return false
	case <-r.Context().Done():
		return true
	}
}

func writeAnthropicError(w http.ResponseWriter, status int, typ, message string) {
	var b bytes.Buffer
	b.WriteString(`{"type":"error","error":{"type":`)
	writeJSONString(&b, typ)
	b.WriteString(`,"message":`)
	writeJSONString(&b, message)
	b.WriteString(`},"request_id":"req_fake"}` + "\n")
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(b.Bytes())
}

// anthropicCallID is the id of the fake's tool_use block.
func anthropicCallID(a answer) string {
	if a.readCall {
		return "toolu_" + ReadCallMarker
	}
	return "toolu_fake_weather"
}

func messageUsage(prompt, completion int) string {
	return `{"input_tokens":` + strconv.Itoa(prompt) + `,"cache_creation_input_tokens":0,"cache_read_input_tokens":0,"output_tokens":` + strconv.Itoa(completion) + `}`
}

func (a answer) completionTokens() int {
	if a.isTool() {
		return estimateTokens(len(a.toolName) + len(a.args))
	}
	return estimateTokens(len(a.text))
}

func unaryMessage(model string, a answer, promptTokens int) []byte {
	var b bytes.Buffer
	b.WriteString(`{"id":"msg_fake","type":"message","role":"assistant","model":`)
	writeJSONString(&b, model)
	b.WriteString(`,"content":[`)
	stop := "end_turn"
	if a.isTool() {
		stop = "tool_use"
		b.WriteString(`{"type":"tool_use","id":` + quote(anthropicCallID(a)) + `,"name":` + quote(a.toolName) + `,"input":` + a.args + `}`)
	} else {
		b.WriteString(`{"type":"text","text":` + quote(a.text) + `}`)
	}
	b.WriteString(`],"stop_reason":"` + stop + `","stop_sequence":null,"usage":` + messageUsage(promptTokens, a.completionTokens()) + "}\n")
	return b.Bytes()
}

// streamMessage writes the answer as Anthropic's event stream, flushing each event.
func streamMessage(w http.ResponseWriter, model string, a answer, promptTokens int) {
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-cache")
	w.WriteHeader(http.StatusOK)
	flusher, _ := w.(http.Flusher)
	event := func(name, data string) {
		_, _ = w.Write([]byte("event: " + name + "\ndata: " + data + "\n\n"))
		if flusher != nil {
			flusher.Flush()
		}
	}
	event("message_start", `{"type":"message_start","message":{"id":"msg_fake","type":"message","role":"assistant","model":`+quote(model)+
		`,"content":[],"stop_reason":null,"stop_sequence":null,"usage":`+messageUsage(promptTokens, 1)+`}}`)
	stop := "end_turn"
	if a.isTool() {
		stop = "tool_use"
		event("content_block_start", `{"type":"content_block_start","index":0,"content_block":{"type":"tool_use","id":`+quote(anthropicCallID(a))+`,"name":`+quote(a.toolName)+`,"input":{}}}`)
		event("ping", `{"type": "ping"}`)
		half := len(a.args) / 2
		for _, part := range []string{a.args[:half], a.args[half:]} {
			event("content_block_delta", `{"type":"content_block_delta","index":0,"delta":{"type":"input_json_delta","partial_json":`+quote(part)+`}}`)
		}
	} else {
		event("content_block_start", `{"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}`)
		event("ping", `{"type": "ping"}`)
		for _, p := range pieces(a.text) {
			event("content_block_delta", `{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":`+quote(p)+`}}`)
		}
	}
	event("content_block_stop", `{"type":"content_block_stop","index":0}`)
	event("message_delta", `{"type":"message_delta","delta":{"stop_reason":"`+stop+`","stop_sequence":null},"usage":{"output_tokens":`+strconv.Itoa(a.completionTokens())+`}}`)
	event("message_stop", `{"type":"message_stop"}`)
}
