package responses

import (
	"github.com/tollgate/tollgate/services/kit/wire/internal/jsonx"

	"encoding/json"
	"errors"
	"fmt"

	inferencev1 "github.com/tollgate/tollgate/gen/go/tollgate/inference/v1"
)

// ErrNotEvent is returned by StreamParser.Parse for data that is not a
// Responses stream event.
var ErrNotEvent = errors.New("stream event is not a Responses API event")

// StreamParser turns a Responses API event stream from a provider into
// canonical chunks. Each event yields exactly one chunk, which carries the
// event itself in Raw (RawDialect OPENAI_RESPONSES, RawEvent its name) so a
// same-dialect client gets every frame byte for byte, and whatever the
// event means canonically:
//
//   - response.created: id, model, time and the assistant role;
//   - output_text and refusal deltas: text;
//   - function_call items: the call id and name when the item is added,
//     then argument deltas (custom tool calls: {"input": …} when done);
//   - reasoning summary and reasoning text deltas: reasoning, and a
//     reasoning item's encrypted_content as its ReasoningSignature when the
//     item is done;
//   - response.completed / response.incomplete: the finish reason and the
//     usage; response.failed and "error": a StreamError.
//
// Items that arrive only whole (output_item.done without deltas, as some
// compatible servers send them) still yield their text and arguments.
// A StreamParser reads one stream and is not safe for concurrent use.
type StreamParser struct {
	id, model string
	created   int64
	calls     []parsedCall
	// streamed holds the ids of items whose content arrived as deltas, so
	// output_item.done does not repeat it.
	streamed []string
}

// parsedCall is a tool call seen in the stream.
type parsedCall struct {
	itemID      string
	outputIndex int64
	index       int32
	hasArgs     bool
}

// NewStreamParser starts reading one provider stream.
func NewStreamParser() *StreamParser { return &StreamParser{} }

// eventFields are the members of an event's data the parser reads.
type eventFields struct {
	typ, delta, itemID, outputIndex, summaryIndex, item, response []byte
	arguments, code, message, errObj                              []byte
}

func (f *eventFields) set(key, v []byte) {
	switch string(key) {
	case "type":
		f.typ = v
	case "delta":
		f.delta = v
	case "item_id":
		f.itemID = v
	case "output_index":
		f.outputIndex = v
	case "summary_index":
		f.summaryIndex = v
	case "item":
		f.item = v
	case "response":
		f.response = v
	case "arguments":
		f.arguments = v
	case "code":
		f.code = v
	case "message":
		f.message = v
	case "error":
		f.errObj = v
	}
}

// Parse reads one event: its SSE name (may be empty when the stream only
// has data lines; the data's "type" is used then) and its data. A "[DONE]"
// sentinel yields no chunk.
func (p *StreamParser) Parse(event string, data []byte) ([]*inferencev1.ChatChunk, error) {
	if string(data) == "[DONE]" {
		return nil, nil // a Chat Completions habit some compatible servers keep
	}
	var f eventFields
	if err := jsonx.ScanTopLevel(data, f.set); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrNotEvent, err)
	}
	typ := event
	if jsonx.Present(f.typ) {
		t, err := jsonx.ReadString(f.typ)
		if err != nil {
			return nil, fmt.Errorf("%w: type %v", ErrNotEvent, err)
		}
		typ = t
	}
	if event == "" {
		event = typ
	}
	c := &inferencev1.ChatChunk{Raw: data, RawDialect: inferencev1.Dialect_DIALECT_OPENAI_RESPONSES, RawEvent: event}
	d := &inferencev1.ChoiceDelta{}
	if err := p.apply(typ, &f, c, d); err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrNotEvent, typ, err)
	}
	c.Id, c.Model, c.Created = p.id, p.model, p.created
	if d.Role != inferencev1.Role_ROLE_UNSPECIFIED || d.Text != "" || d.Reasoning != "" || d.ReasoningSignature != "" ||
		len(d.ToolCalls) > 0 || d.FinishReason != inferencev1.FinishReason_FINISH_REASON_UNSPECIFIED {
		c.Deltas = []*inferencev1.ChoiceDelta{d}
	}
	return []*inferencev1.ChatChunk{c}, nil
}

func (p *StreamParser) apply(typ string, f *eventFields, c *inferencev1.ChatChunk, d *inferencev1.ChoiceDelta) error {
	var err error
	switch typ {
	case "response.output_text.delta", "response.refusal.delta":
		if d.Text, err = p.deltaOf(f); err != nil {
			return err
		}
	case "response.reasoning_summary_text.delta", "response.reasoning_text.delta":
		if d.Reasoning, err = p.deltaOf(f); err != nil {
			return err
		}
	case "response.reasoning_summary_part.added":
		// Separate a reasoning item's summary parts as paragraphs.
		if n, err := jsonx.ReadInt64(f.summaryIndex); err == nil && n > 0 {
			d.Reasoning = "\n\n"
		}
	case "response.function_call_arguments.delta":
		return p.argumentsDelta(f, d)
	case "response.function_call_arguments.done":
		return p.argumentsDone(f, d)
	case "response.output_item.added":
		return p.itemAdded(f, d)
	case "response.output_item.done":
		return p.itemDone(f.item, d)
	case "response.created", "response.in_progress", "response.queued":
		if err := p.readHead(f.response); err != nil {
			return err
		}
		if typ == "response.created" {
			d.Role = inferencev1.Role_ROLE_ASSISTANT
		}
	case "response.completed", "response.incomplete", "response.failed":
		return p.finish(f.response, c, d)
	case "error":
		c.Error = eventError(f)
	}
	return nil
}

// deltaOf reads a delta and marks its item as streamed.
func (p *StreamParser) deltaOf(f *eventFields) (string, error) {
	if !jsonx.Present(f.delta) {
		return "", nil
	}
	s, err := jsonx.ReadString(f.delta)
	if err != nil {
		return "", jsonx.InField("delta", err)
	}
	if jsonx.Present(f.itemID) {
		if id, err := jsonx.ReadString(f.itemID); err == nil {
			p.markStreamed(id)
		}
	}
	return s, nil
}

func (p *StreamParser) markStreamed(id string) {
	if n := len(p.streamed); n > 0 && p.streamed[n-1] == id {
		return
	}
	p.streamed = append(p.streamed, id)
}

func (p *StreamParser) wasStreamed(id string) bool {
	for _, s := range p.streamed {
		if s == id {
			return true
		}
	}
	return false
}

// callFor finds the call an argument event is about, by item id or else by
// output index.
func (p *StreamParser) callFor(f *eventFields) *parsedCall {
	id, _ := jsonx.ReadString(f.itemID)
	idx, idxErr := jsonx.ReadInt64(f.outputIndex)
	for i := range p.calls {
		c := &p.calls[i]
		if id != "" && c.itemID == id || id == "" && idxErr == nil && c.outputIndex == idx {
			return c
		}
	}
	return nil
}

func (p *StreamParser) argumentsDelta(f *eventFields, d *inferencev1.ChoiceDelta) error {
	call := p.callFor(f)
	if call == nil || !jsonx.Present(f.delta) {
		return nil
	}
	args, err := jsonx.ReadString(f.delta)
	if err != nil {
		return jsonx.InField("delta", err)
	}
	call.hasArgs = call.hasArgs || args != ""
	d.ToolCalls = []*inferencev1.ToolCallDelta{{Index: call.index, ArgumentsJson: args}}
	return nil
}

func (p *StreamParser) argumentsDone(f *eventFields, d *inferencev1.ChoiceDelta) error {
	call := p.callFor(f)
	if call == nil || call.hasArgs || !jsonx.Present(f.arguments) {
		return nil
	}
	args, err := jsonx.ReadString(f.arguments)
	if err != nil {
		return jsonx.InField("arguments", err)
	}
	if args != "" {
		call.hasArgs = true
		d.ToolCalls = []*inferencev1.ToolCallDelta{{Index: call.index, ArgumentsJson: args}}
	}
	return nil
}

// eventItem is the part of an output item the stream parser reads.
type eventItem struct {
	Type             string        `json:"type"`
	ID               string        `json:"id"`
	CallID           string        `json:"call_id"`
	Name             string        `json:"name"`
	Arguments        string        `json:"arguments"`
	Input            string        `json:"input"`
	EncryptedContent string        `json:"encrypted_content"`
	Summary          []wireSummary `json:"summary"`
	Content          []wireOutPart `json:"content"`
}

func (p *StreamParser) itemAdded(f *eventFields, d *inferencev1.ChoiceDelta) error {
	if !jsonx.Present(f.item) {
		return nil
	}
	var it eventItem
	if err := json.Unmarshal(f.item, &it); err != nil {
		return jsonx.InField("item", err)
	}
	if it.Type == "function_call" || it.Type == "custom_tool_call" {
		call := p.addCall(&it, d)
		if n, err := jsonx.ReadInt64(f.outputIndex); err == nil {
			call.outputIndex = n
		}
	}
	return nil
}

// addCall registers a call and announces its id and name.
func (p *StreamParser) addCall(it *eventItem, d *inferencev1.ChoiceDelta) *parsedCall {
	p.calls = append(p.calls, parsedCall{itemID: it.ID, outputIndex: -1, index: int32(len(p.calls))})
	call := &p.calls[len(p.calls)-1]
	td := &inferencev1.ToolCallDelta{Index: call.index, Id: it.CallID, Name: it.Name}
	if it.Type == "function_call" && it.Arguments != "" {
		td.ArgumentsJson, call.hasArgs = it.Arguments, true
	}
	d.ToolCalls = append(d.ToolCalls, td)
	return call
}

// itemDone fills in what an item's deltas did not carry: the encrypted
// reasoning always (it only comes whole), and text, reasoning and arguments
// of items that were never streamed.
func (p *StreamParser) itemDone(raw []byte, d *inferencev1.ChoiceDelta) error {
	if !jsonx.Present(raw) {
		return nil
	}
	var it eventItem
	if err := json.Unmarshal(raw, &it); err != nil {
		return jsonx.InField("item", err)
	}
	switch it.Type {
	case "message":
		if !p.wasStreamed(it.ID) {
			for _, part := range it.Content {
				d.Text += part.Text + part.Refusal
			}
		}
	case "reasoning":
		if !p.wasStreamed(it.ID) {
			d.Reasoning = summaryText(it.Summary)
			if d.Reasoning == "" {
				d.Reasoning = reasoningContentText(it.Content)
			}
		}
		d.ReasoningSignature = it.EncryptedContent
	case "function_call", "custom_tool_call":
		var call *parsedCall
		for i := range p.calls {
			if p.calls[i].itemID == it.ID && it.ID != "" {
				call = &p.calls[i]
			}
		}
		if call == nil {
			call = p.addCall(&it, d)
		}
		args := it.Arguments
		if it.Type == "custom_tool_call" {
			args = customArguments(it.Input)
		}
		if !call.hasArgs && args != "" {
			call.hasArgs = true
			if n := len(d.ToolCalls); n > 0 && d.ToolCalls[n-1].Index == call.index {
				d.ToolCalls[n-1].ArgumentsJson = args
			} else {
				d.ToolCalls = append(d.ToolCalls, &inferencev1.ToolCallDelta{Index: call.index, ArgumentsJson: args})
			}
		}
	}
	return nil
}

// readHead takes the response id, model and time from a response object.
func (p *StreamParser) readHead(raw []byte) error {
	if !jsonx.Present(raw) {
		return nil
	}
	var m [3][]byte
	if err := jsonx.ReadObjectMembers(raw, []string{"id", "model", "created_at"}, m[:]); err != nil {
		return jsonx.InField("response", err)
	}
	if jsonx.Present(m[0]) {
		if s, err := jsonx.ReadString(m[0]); err == nil && s != "" {
			p.id = s
		}
	}
	if jsonx.Present(m[1]) {
		if s, err := jsonx.ReadString(m[1]); err == nil && s != "" {
			p.model = s
		}
	}
	if jsonx.Present(m[2]) {
		if t := unixTime(json.Number(m[2])); t != 0 {
			p.created = t
		}
	}
	return nil
}

// finish reads a terminal response: its finish reason, usage and error.
// Only the members it needs are decoded; the echoed output and tools are
// skipped.
func (p *StreamParser) finish(raw []byte, c *inferencev1.ChatChunk, d *inferencev1.ChoiceDelta) error {
	if !jsonx.Present(raw) {
		return jsonx.ErrRequired
	}
	if err := p.readHead(raw); err != nil {
		return err
	}
	var m [4][]byte
	if err := jsonx.ReadObjectMembers(raw, []string{"status", "usage", "incomplete_details", "error"}, m[:]); err != nil {
		return err
	}
	status := ""
	if jsonx.Present(m[0]) {
		status, _ = jsonx.ReadString(m[0])
	}
	if jsonx.Present(m[1]) {
		var u wireUsage
		if err := json.Unmarshal(m[1], &u); err != nil {
			return jsonx.InField("usage", err)
		}
		c.Usage = usageFromWire(&u)
	}
	var inc *wireIncomplete
	if jsonx.Present(m[2]) {
		inc = &wireIncomplete{}
		if err := json.Unmarshal(m[2], inc); err != nil {
			return jsonx.InField("incomplete_details", err)
		}
	}
	if status == "failed" {
		var we wireError
		if jsonx.Present(m[3]) {
			if err := json.Unmarshal(m[3], &we); err != nil {
				return jsonx.InField("error", err)
			}
		}
		c.Error = streamError(codeString(we.Code), we.Message)
		return nil
	}
	d.FinishReason, d.ProviderFinishReason = finishReason(status, inc, len(p.calls) > 0)
	return nil
}

// eventError reads an "error" event: {code, message} at the top level as
// documented, or nested under "error" as some servers send it.
func eventError(f *eventFields) *inferencev1.StreamError {
	code, msg := "", ""
	if jsonx.Present(f.code) {
		if f.code[0] == '"' {
			code, _ = jsonx.ReadString(f.code)
		} else {
			code = codeString(f.code)
		}
	}
	if jsonx.Present(f.message) {
		msg, _ = jsonx.ReadString(f.message)
	}
	if jsonx.Present(f.errObj) && f.errObj[0] == '{' {
		var we wireError
		if json.Unmarshal(f.errObj, &we) == nil {
			code = firstNonEmpty(code, firstNonEmpty(codeString(we.Code), we.Type))
			msg = firstNonEmpty(msg, we.Message)
		}
	}
	return streamError(code, msg)
}

func streamError(code, msg string) *inferencev1.StreamError {
	retryable := retryableCodes[code]
	if code == "" {
		code = "upstream_error"
	}
	if msg == "" {
		msg = "the provider failed while streaming the response"
	}
	return &inferencev1.StreamError{Code: code, Message: msg, Retryable: retryable}
}
