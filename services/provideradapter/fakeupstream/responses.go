package fakeupstream

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strconv"
)

// OpenAI Responses API (POST /v1/responses): a "response" object, or the
// event stream response.created, response.in_progress, output item events
// and response.completed, each event with its sequence_number. Failure
// models answer as Chat Completions does (the APIs share the error shape).

// responsesRequest is the part of a Responses body the fake reads.
type responsesRequest struct {
	Model        string          `json:"model"`
	Stream       bool            `json:"stream"`
	Instructions string          `json:"instructions"`
	Input        json.RawMessage `json:"input"`
	Tools        []responsesTool `json:"tools"`
}

type responsesTool struct {
	Type  string          `json:"type"`
	Name  string          `json:"name"`
	Tools []responsesTool `json:"tools"` // a namespace's functions
}

// inputItem is one item of the input array.
type inputItem struct {
	Type    string          `json:"type"`
	Role    string          `json:"role"`
	Content json.RawMessage `json:"content"`
	CallID  string          `json:"call_id"`
	Output  json.RawMessage `json:"output"`
}

func (r *responsesRequest) items() []inputItem {
	var s string
	if json.Unmarshal(r.Input, &s) == nil {
		return []inputItem{{Type: "message", Role: "user", Content: r.Input}}
	}
	var items []inputItem
	_ = json.Unmarshal(r.Input, &items)
	return items
}

func (r *responsesRequest) conversation() *conversation {
	c := &conversation{}
	var add func(ts []responsesTool)
	add = func(ts []responsesTool) {
		for _, t := range ts {
			switch t.Type {
			case "function", "custom":
				c.tools = append(c.tools, t.Name)
			case "namespace":
				add(t.Tools)
			}
		}
	}
	add(r.Tools)
	items := r.items()
	n := len(items)
	for n > 0 && (items[n-1].Role == "system" || items[n-1].Role == "developer") {
		n--
	}
	if n == 0 {
		return c
	}
	switch last := items[n-1]; {
	case last.Type == "function_call_output" || last.Type == "custom_tool_call_output":
		c.hasToolResult, c.toolResultID, c.toolResult = true, last.CallID, textOf(last.Output)
	case (last.Type == "message" || last.Type == "") && last.Role == "user":
		c.lastUserText = textOf(last.Content)
	}
	return c
}

func (r *responsesRequest) promptChars() int {
	n := len(r.Instructions)
	for _, it := range r.items() {
		n += len(textOf(it.Content)) + len(textOf(it.Output))
	}
	return n
}

func (s *Server) responses(w http.ResponseWriter, r *http.Request) {
	body, ok := s.readBody(w, r)
	if !ok {
		return
	}
	var req responsesRequest
	if err := json.Unmarshal(body, &req); err != nil {
		writeError(w, http.StatusBadRequest, "We could not parse the JSON body of your request.", "invalid_request_error", "", "")
		return
	}
	if req.Model == "" {
		writeError(w, http.StatusBadRequest, "Missing required parameter: 'model'.", "invalid_request_error", "model", "missing_required_parameter")
		return
	}
	if s.failByModel(w, r, req.Model) {
		return
	}
	a := req.conversation().decide()
	out := responseOutput{model: req.Model, answer: a, prompt: estimateTokens(req.promptChars())}
	if req.Stream {
		out.stream(w)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(append(out.response("completed", true), '\n'))
}

// responseOutput renders one scripted answer in the Responses shapes.
type responseOutput struct {
	model  string
	answer answer
	prompt int
}

func (o *responseOutput) callID() string {
	if o.answer.readCall {
		return "call_" + ReadCallMarker
	}
	return "call_fake_weather"
}

// item is the output item, with status and (when done) its content.
func (o *responseOutput) item(status string, done bool) string {
	a := o.answer
	if a.isTool() {
		args := ""
		if done {
			args = a.args
		}
		return `{"id":"fc_fake","type":"function_call","status":"` + status + `","call_id":` + quote(o.callID()) +
			`,"name":` + quote(a.toolName) + `,"arguments":` + quote(args) + `}`
	}
	content := ""
	if done {
		content = outputText(a.text)
	}
	return `{"id":"msg_fake","type":"message","status":"` + status + `","role":"assistant","content":[` + content + `]}`
}

func outputText(text string) string {
	return `{"type":"output_text","text":` + quote(text) + `,"annotations":[],"logprobs":[]}`
}

// response is the response object; done adds the output and usage.
func (o *responseOutput) response(status string, done bool) []byte {
	var b bytes.Buffer
	b.WriteString(`{"id":"resp_fake","object":"response","created_at":` + strconv.Itoa(Created) + `,"status":"` + status +
		`","error":null,"incomplete_details":null,"model":`)
	writeJSONString(&b, o.model)
	b.WriteString(`,"output":[`)
	if done {
		b.WriteString(o.item("completed", true))
	}
	b.WriteString(`],"parallel_tool_calls":true,"store":false,"usage":`)
	if done {
		c := o.answer.completionTokens()
		b.WriteString(`{"input_tokens":` + strconv.Itoa(o.prompt) + `,"input_tokens_details":{"cached_tokens":0},"output_tokens":` +
			strconv.Itoa(c) + `,"output_tokens_details":{"reasoning_tokens":0},"total_tokens":` + strconv.Itoa(o.prompt+c) + `}`)
	} else {
		b.WriteString("null")
	}
	b.WriteString("}")
	return b.Bytes()
}

// stream writes the answer as Responses events, flushing each.
func (o *responseOutput) stream(w http.ResponseWriter) {
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-cache")
	w.WriteHeader(http.StatusOK)
	flusher, _ := w.(http.Flusher)
	seq := 0
	event := func(name, fields string) {
		data := `{"type":"` + name + `","sequence_number":` + strconv.Itoa(seq) + fields + `}`
		seq++
		_, _ = w.Write([]byte("event: " + name + "\ndata: " + data + "\n\n"))
		if flusher != nil {
			flusher.Flush()
		}
	}
	event("response.created", `,"response":`+string(o.response("in_progress", false)))
	event("response.in_progress", `,"response":`+string(o.response("in_progress", false)))
	a := o.answer
	itemID := `"msg_fake"`
	if a.isTool() {
		itemID = `"fc_fake"`
	}
	event("response.output_item.added", `,"output_index":0,"item":`+o.item("in_progress", false))
	if a.isTool() {
		half := len(a.args) / 2
		for _, part := range []string{a.args[:half], a.args[half:]} {
			event("response.function_call_arguments.delta", `,"item_id":`+itemID+`,"output_index":0,"delta":`+quote(part))
		}
		event("response.function_call_arguments.done", `,"item_id":`+itemID+`,"output_index":0,"name":`+quote(a.toolName)+`,"arguments":`+quote(a.args))
	} else {
		event("response.content_part.added", `,"item_id":`+itemID+`,"output_index":0,"content_index":0,"part":`+outputText(""))
		for _, p := range pieces(a.text) {
			event("response.output_text.delta", `,"item_id":`+itemID+`,"output_index":0,"content_index":0,"delta":`+quote(p)+`,"logprobs":[]`)
		}
		event("response.output_text.done", `,"item_id":`+itemID+`,"output_index":0,"content_index":0,"text":`+quote(a.text)+`,"logprobs":[]`)
		event("response.content_part.done", `,"item_id":`+itemID+`,"output_index":0,"content_index":0,"part":`+outputText(a.text))
	}
	event("response.output_item.done", `,"output_index":0,"item":`+o.item("completed", true))
	event("response.completed", `,"response":`+string(o.response("completed", true)))
}
