package fakeupstream

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
)

// Cohere chat v2 (POST /v2/chat, base URL ROOT), answered in Cohere's
// documented shapes: a chat answer, or server-sent events (event: and
// data: lines) message-start, content-start, content-delta, content-end,
// tool-plan-delta, tool-call-start, tool-call-delta, tool-call-end and
// message-end with the finish reason and usage (billed_units and tokens,
// which differ: tokens count the prompt template too). Failures are
// {"id","message"} bodies. The fake checks what Cohere checks: a bearer
// key, a model, messages with known roles, tool messages answering calls
// that were made, and arguments that are JSON. ModelGeminiStreamBreak
// streams one text delta, then ends with finish_reason ERROR.

// CohereTemplateTokens is how many more input tokens usage.tokens counts
// than usage.billed_units (the prompt template).
const CohereTemplateTokens = 7

// CohereToolPlan is the tool_plan of the fake's tool calls.
const CohereToolPlan = "I will call the tool to answer."

type cohereRequest struct {
	Model    string `json:"model"`
	Stream   bool   `json:"stream"`
	Messages []struct {
		Role       string          `json:"role"`
		Content    json.RawMessage `json:"content"`
		ToolCallID string          `json:"tool_call_id"`
		ToolCalls  []struct {
			ID       string `json:"id"`
			Type     string `json:"type"`
			Function struct {
				Name      string `json:"name"`
				Arguments string `json:"arguments"`
			} `json:"function"`
		} `json:"tool_calls"`
	} `json:"messages"`
	Tools []struct {
		Type     string `json:"type"`
		Function struct {
			Name string `json:"name"`
		} `json:"function"`
	} `json:"tools"`
}

// validate returns Cohere's message for the first broken rule.
func (r *cohereRequest) validate() string {
	switch {
	case r.Model == "":
		return "invalid request: model must be specified"
	case len(r.Messages) == 0:
		return "invalid request: messages must not be empty"
	}
	for _, t := range r.Tools {
		if t.Type != "function" || t.Function.Name == "" {
			return "invalid request: tools must be functions with a name"
		}
	}
	called := map[string]bool{}
	for i, m := range r.Messages {
		at := "invalid request: messages[" + strconv.Itoa(i) + "]"
		switch m.Role {
		case "system", "user":
		case "assistant":
			for _, tc := range m.ToolCalls {
				if tc.ID == "" || !json.Valid([]byte(tc.Function.Arguments)) {
					return at + ": tool calls need an id and JSON arguments"
				}
				called[tc.ID] = true
			}
			if len(m.ToolCalls) == 0 && len(m.Content) == 0 {
				return at + ": an assistant message needs content or tool calls"
			}
		case "tool":
			if !called[m.ToolCallID] {
				return at + ": tool_call_id " + quote(m.ToolCallID) + " does not answer a tool call"
			}
		default:
			return at + ": role " + quote(m.Role) + " is not system, user, assistant or tool"
		}
	}
	return ""
}

func (r *cohereRequest) conversation() *conversation {
	c := &conversation{}
	for _, t := range r.Tools {
		c.tools = append(c.tools, t.Function.Name)
	}
	n := len(r.Messages)
	for n > 0 && r.Messages[n-1].Role == "system" {
		n--
	}
	if n == 0 {
		return c
	}
	switch last := r.Messages[n-1]; last.Role {
	case "user":
		c.lastUserText = textOf(last.Content)
	case "tool":
		// The first result of the last run of tool messages answers the call.
		i := n - 1
		for i > 0 && r.Messages[i-1].Role == "tool" {
			i--
		}
		c.hasToolResult, c.toolResultID, c.toolResult = true, r.Messages[i].ToolCallID, textOf(r.Messages[i].Content)
	}
	return c
}

func (r *cohereRequest) promptChars() int {
	n := 0
	for _, m := range r.Messages {
		n += len(textOf(m.Content))
	}
	return n
}

func (s *Server) cohereChat(w http.ResponseWriter, r *http.Request) {
	body, ok := s.readBody(w, r)
	if !ok {
		return
	}
	if key, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); !ok || key == "" {
		writeCohereError(w, http.StatusUnauthorized, "no api key supplied")
		return
	}
	var req cohereRequest
	if err := json.Unmarshal(body, &req); err != nil {
		writeCohereError(w, http.StatusBadRequest, "invalid request: could not parse the body: "+err.Error())
		return
	}
	if msg := req.validate(); msg != "" {
		writeCohereError(w, http.StatusBadRequest, msg)
		return
	}
	if s.cohereFailure(w, r, req.Model) {
		return
	}
	a := req.conversation().decide()
	prompt := estimateTokens(req.promptChars())
	if req.Stream {
		streamCohere(w, a, prompt, req.Model == ModelGeminiStreamBreak)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(unaryCohere(a, prompt))
}

func (s *Server) cohereFailure(w http.ResponseWriter, r *http.Request, model string) bool {
	switch model {
	case ModelFail500:
		writeCohereError(w, http.StatusInternalServerError, "internal server error, this has been reported to our developers")
	case ModelFail429:
		w.Header().Set("Retry-After", "2")
		writeCohereError(w, http.StatusTooManyRequests, "You are using a Trial key, which is limited to 10 API calls / minute.")
	case ModelFail401:
		writeCohereError(w, http.StatusUnauthorized, "invalid api token")
	case ModelFail400:
		writeCohereError(w, http.StatusBadRequest, "invalid request: the fake was told to reject it")
	case ModelOverloaded:
		writeCohereError(w, http.StatusServiceUnavailable, "service unavailable")
	case ModelSlow:
		return s.waitSlow(r)
	default:
		return false
	}
	return true
}

func writeCohereError(w http.ResponseWriter, status int, message string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write([]byte(`{"id":"fake-cohere-error","message":` + quote(message) + "}\n"))
}

// cohereCallID is the id of the fake's tool call.
func cohereCallID(a answer) string {
	if a.readCall {
		return a.toolName + "_" + ReadCallMarker
	}
	return a.toolName + "_fake"
}

func cohereUsage(prompt, completion int) string {
	return `{"billed_units":{"input_tokens":` + strconv.Itoa(prompt) + `,"output_tokens":` + strconv.Itoa(completion) +
		`},"tokens":{"input_tokens":` + strconv.Itoa(prompt+CohereTemplateTokens) + `.0,"output_tokens":` + strconv.Itoa(completion) + `}}`
}

func unaryCohere(a answer, prompt int) []byte {
	var b bytes.Buffer
	b.WriteString(`{"id":"fake-cohere","finish_reason":`)
	if a.isTool() {
		b.WriteString(`"TOOL_CALL","message":{"role":"assistant","tool_plan":` + quote(CohereToolPlan) +
			`,"tool_calls":[{"id":` + quote(cohereCallID(a)) + `,"type":"function","function":{"name":` + quote(a.toolName) + `,"arguments":` + quote(a.args) + `}}]}`)
	} else {
		b.WriteString(`"COMPLETE","message":{"role":"assistant","content":[{"type":"text","text":` + quote(a.text) + `}]}`)
	}
	b.WriteString(`,"usage":` + cohereUsage(prompt, a.completionTokens()) + "}\n")
	return b.Bytes()
}

// streamCohere writes the answer as Cohere's event stream, flushing each
// event.
func streamCohere(w http.ResponseWriter, a answer, prompt int, broken bool) {
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-cache")
	w.WriteHeader(http.StatusOK)
	flusher, _ := w.(http.Flusher)
	event := func(typ, rest string) {
		_, _ = w.Write([]byte("event: " + typ + "\ndata: {\"type\":\"" + typ + "\"" + rest + "}\n\n"))
		if flusher != nil {
			flusher.Flush()
		}
	}
	event("message-start", `,"id":"fake-cohere","delta":{"message":{"role":"assistant","content":[],"tool_plan":"","tool_calls":[],"citations":[]}}`)
	finish := "COMPLETE"
	if a.isTool() {
		finish = "TOOL_CALL"
		for _, p := range pieces(CohereToolPlan) {
			event("tool-plan-delta", `,"delta":{"message":{"tool_plan":`+quote(p)+`}}`)
		}
		event("tool-call-start", `,"index":0,"delta":{"message":{"tool_calls":{"id":`+quote(cohereCallID(a))+`,"type":"function","function":{"name":`+quote(a.toolName)+`,"arguments":""}}}}`)
		half := len(a.args) / 2
		for _, part := range []string{a.args[:half], a.args[half:]} {
			event("tool-call-delta", `,"index":0,"delta":{"message":{"tool_calls":{"function":{"arguments":`+quote(part)+`}}}}`)
		}
		event("tool-call-end", `,"index":0`)
	} else {
		event("content-start", `,"index":0,"delta":{"message":{"content":{"type":"text","text":""}}}`)
		for i, p := range pieces(a.text) {
			event("content-delta", `,"index":0,"delta":{"message":{"content":{"text":`+quote(p)+`}}},"logprobs":null`)
			if broken && i == 0 {
				event("message-end", `,"delta":{"finish_reason":"ERROR","error":"the model failed while generating"}`)
				return
			}
		}
		event("content-end", `,"index":0`)
	}
	event("message-end", `,"delta":{"finish_reason":"`+finish+`","usage":`+cohereUsage(prompt, a.completionTokens())+`}`)
}
