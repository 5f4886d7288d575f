package cohere

import (
	"errors"
	"testing"

	inferencev1 "github.com/tollgate/tollgate/gen/go/tollgate/inference/v1"
)

type event struct{ name, data string }

// toolStream is a chat v2 stream with a tool plan, two tool calls and the
// final usage, as Cohere sends it.
var toolStream = []event{
	{"message-start", `{"id":"29f14a5a","type":"message-start","delta":{"message":{"role":"assistant","content":[],"tool_plan":"","tool_calls":[],"citations":[]}}}`},
	{"tool-plan-delta", `{"type":"tool-plan-delta","delta":{"message":{"tool_plan":"I will check"}}}`},
	{"tool-plan-delta", `{"type":"tool-plan-delta","delta":{"message":{"tool_plan":" both cities."}}}`},
	{"tool-call-start", `{"type":"tool-call-start","index":0,"delta":{"message":{"tool_calls":{"id":"get_weather_a","type":"function","function":{"name":"get_weather","arguments":""}}}}}`},
	{"tool-call-delta", `{"type":"tool-call-delta","index":0,"delta":{"message":{"tool_calls":{"function":{"arguments":"{\"city\":"}}}}}`},
	{"tool-call-delta", `{"type":"tool-call-delta","index":0,"delta":{"message":{"tool_calls":{"function":{"arguments":"\"Paris\"}"}}}}}`},
	{"tool-call-end", `{"type":"tool-call-end","index":0}`},
	{"tool-call-start", `{"type":"tool-call-start","index":1,"delta":{"message":{"tool_calls":{"id":"get_weather_b","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Rome\"}"}}}}}`},
	{"tool-call-end", `{"type":"tool-call-end","index":1}`},
	{"message-end", `{"type":"message-end","delta":{"finish_reason":"TOOL_CALL","usage":{"billed_units":{"input_tokens":10,"output_tokens":20},"tokens":{"input_tokens":500,"output_tokens":40}}}}`},
}

var textStream = []event{
	{"message-start", `{"id":"abc","type":"message-start","delta":{"message":{"role":"assistant"}}}`},
	{"content-start", `{"type":"content-start","index":0,"delta":{"message":{"content":{"type":"thinking","thinking":""}}}}`},
	{"content-delta", `{"type":"content-delta","index":0,"delta":{"message":{"content":{"thinking":"Hmm."}}}}`},
	{"content-end", `{"type":"content-end","index":0}`},
	{"content-start", `{"type":"content-start","index":1,"delta":{"message":{"content":{"type":"text","text":""}}}}`},
	{"content-delta", `{"type":"content-delta","index":1,"delta":{"message":{"content":{"text":"Hello"}}},"logprobs":null}`},
	{"content-delta", `{"type":"content-delta","index":1,"delta":{"message":{"content":{"text":" \"world\""}}}}`},
	{"citation-start", `{"type":"citation-start","index":0,"delta":{"message":{"citations":{"start":0,"end":5,"text":"Hello"}}}}`},
	{"content-end", `{"type":"content-end","index":1}`},
	{"message-end", `{"type":"message-end","delta":{"finish_reason":"COMPLETE","usage":{"tokens":{"input_tokens":3,"output_tokens":4}}}}`},
}

type assembled struct {
	id, text, reasoning string
	ids, args           map[int32]string
	finish              inferencev1.FinishReason
	usage               *inferencev1.Usage
	err                 *inferencev1.StreamError
}

func run(t *testing.T, p *StreamParser, events []event) assembled {
	t.Helper()
	a := assembled{ids: map[int32]string{}, args: map[int32]string{}}
	for _, ev := range events {
		chunks, err := p.Parse(ev.name, []byte(ev.data))
		if err != nil {
			t.Fatalf("%s: %v", ev.name, err)
		}
		c := chunks[0]
		if len(chunks) != 1 || string(c.GetRaw()) != ev.data || c.GetRawEvent() != ev.name || c.GetRawDialect() != inferencev1.Dialect_DIALECT_COHERE_CHAT {
			t.Fatalf("%s: raw frame not kept", ev.name)
		}
		a.id = c.GetId()
		if c.GetUsage() != nil {
			a.usage = c.GetUsage()
		}
		if c.GetError() != nil {
			a.err = c.GetError()
		}
		for _, d := range c.GetDeltas() {
			a.text += d.GetText()
			a.reasoning += d.GetReasoning()
			if d.GetFinishReason() != inferencev1.FinishReason_FINISH_REASON_UNSPECIFIED {
				a.finish = d.GetFinishReason()
			}
			for _, tc := range d.GetToolCalls() {
				a.ids[tc.GetIndex()] += tc.GetId() + tc.GetName()
				a.args[tc.GetIndex()] += tc.GetArgumentsJson()
			}
		}
	}
	return a
}

func TestStreamParserToolCalls(t *testing.T) {
	p := NewStreamParser()
	a := run(t, p, toolStream)
	if a.id != "29f14a5a" || a.reasoning != "I will check both cities." || a.text != "" {
		t.Errorf("id %q reasoning %q text %q", a.id, a.reasoning, a.text)
	}
	if a.ids[0] != "get_weather_aget_weather" || a.args[0] != `{"city":"Paris"}` || a.ids[1] != "get_weather_bget_weather" || a.args[1] != `{"city":"Rome"}` {
		t.Errorf("calls %v %v", a.ids, a.args)
	}
	if a.finish != inferencev1.FinishReason_FINISH_REASON_TOOL_CALLS || a.usage.GetInputTokens() != 500 || a.usage.GetOutputTokens() != 40 || !p.Ended() || p.Usage() != a.usage {
		t.Errorf("finish %v usage %v ended %v", a.finish, a.usage, p.Ended())
	}
}

func TestStreamParserText(t *testing.T) {
	a := run(t, NewStreamParser(), textStream)
	if a.text != `Hello "world"` || a.reasoning != "Hmm." || a.finish != inferencev1.FinishReason_FINISH_REASON_STOP || a.usage.GetTotalTokens() != 7 || a.err != nil {
		t.Errorf("%+v", a)
	}
	// Events named only in their data (no SSE event line) read the same.
	unnamed := make([]event, len(textStream))
	for i, ev := range textStream {
		unnamed[i] = event{"", ev.data}
	}
	p := NewStreamParser()
	for _, ev := range unnamed {
		chunks, err := p.Parse("", []byte(ev.data))
		if err != nil || chunks[0].GetRawEvent() == "" {
			t.Fatalf("unnamed %s: %v %v", ev.data, chunks, err)
		}
	}
}

func TestStreamParserErrorEnd(t *testing.T) {
	a := run(t, NewStreamParser(), []event{
		{"message-start", `{"id":"x","type":"message-start"}`},
		{"content-delta", `{"type":"content-delta","index":0,"delta":{"message":{"content":{"text":"Hel"}}}}`},
		{"message-end", `{"type":"message-end","delta":{"finish_reason":"ERROR","error":"model overloaded"}}`},
	})
	if a.err == nil || !a.err.GetRetryable() || a.err.GetMessage() != "provider error: model overloaded" || a.finish != inferencev1.FinishReason_FINISH_REASON_ERROR {
		t.Errorf("%+v", a)
	}
}

func TestStreamParserRefusesMalformedEvents(t *testing.T) {
	p := NewStreamParser()
	if _, err := p.Parse("content-delta", []byte(`{"type":`)); !errors.Is(err, ErrNotEvent) {
		t.Errorf("malformed: %v", err)
	}
	if _, err := p.Parse("tool-call-start", []byte(`{"type":"tool-call-start","index":100000,"delta":{"message":{"tool_calls":{"id":"a"}}}}`)); !errors.Is(err, ErrNotEvent) {
		t.Errorf("a huge tool index must be refused: %v", err)
	}
	chunks, err := p.Parse("tool-call-delta", []byte(`{"type":"tool-call-delta","index":2,"delta":{"message":{"tool_calls":{"function":{"arguments":"{}"}}}}}`))
	if err != nil || len(chunks[0].GetDeltas()) != 0 {
		t.Errorf("orphan arguments: %v %v", chunks, err)
	}
}
