package anthropic

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

// parsedEvent is what StreamParser reads from an event, whichever way it
// was decoded.
type parsedEvent struct {
	Type                          string
	Index                         int
	ID, Model                     string
	MessageUsage, Usage           *Usage
	BlockType, BlockID, BlockName string
	Text, Thinking, Signature     *string
	Input                         string
	Delta                         *StreamDelta
}

func project(ev *StreamEvent) parsedEvent {
	p := parsedEvent{Type: ev.Type, Index: ev.Index, Usage: ev.Usage, Delta: ev.Delta}
	if m := ev.Message; m != nil {
		p.ID, p.Model, p.MessageUsage = m.ID, m.Model, m.Usage
	}
	if b := ev.ContentBlock; b != nil {
		p.BlockType, p.BlockID, p.BlockName = b.Type, b.ID, b.Name
		p.Text, p.Thinking, p.Signature = b.Text, b.Thinking, b.Signature
		var compact bytes.Buffer
		if len(b.Input) > 0 && json.Compact(&compact, b.Input) == nil {
			p.Input = compact.String()
		}
	}
	return p
}

// Every scanned event reads exactly what encoding/json reads, over every
// event of the captured streams and the odd shapes providers send.
func TestScannersAgreeWithEncodingJSON(t *testing.T) {
	type event struct{ name, data string }
	events := []event{
		{"message_start", `{"type":"message_start","message":{"id":"m\u0031","type":"message","role":"assistant","model":"claude","content":[],"stop_reason":null,"usage":{"input_tokens":5,"output_tokens":null,"cache_read_input_tokens":2,"server_tool_use":{"web_search_requests":1},"service_tier":"standard"}}}`},
		{"message_start", `{"type":"message_start","message":{"id":"m2","model":"claude"}}`},
		{"message_start", `{"message":{"id":"m3"},"type":"message_start"}`},
		{"content_block_start", `{"type":"content_block_start","index":1,"content_block":{"type":"thinking","thinking":"","signature":"sig=="}}`},
		{"content_block_start", `{"type":"content_block_start","index":2,"content_block":{"type":"tool_use","id":"t1","name":"Read","input":{ "a" : [1, 2] }}}`},
		{"content_block_start", `{"type":"content_block_start","index":3,"content_block":{"type":"server_tool_use","id":"s1","name":"web_search","input":{}}}`},
		{"content_block_start", `{"type":"content_block_start","index":0,"content_block":{"type":"text","text":"caf\u00e9 \"quoted\""}}`},
		{"content_block_delta", `{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"line\nnext"}}`},
		{"content_block_delta", `{"type":"content_block_delta","index":1,"delta":{"type":"citations_delta","citation":{"type":"x"}}}`},
		{"message_delta", `{"type":"message_delta","delta":{"stop_reason":"end_turn","stop_sequence":null},"usage":{"output_tokens":15,"input_tokens":3,"cache_creation_input_tokens":0}}`},
		{"message_delta", `{"type":"message_delta","delta":{"stop_reason":"stop_sequence","stop_sequence":"\n\nHuman:"}}`},
		{"message_delta", `{"type":"message_delta","usage":{"output_tokens":1}}`},
	}
	for _, f := range loadFixtures(t) {
		for _, frame := range strings.Split(f.ResponseBody, "\n\n") {
			var name, data string
			for _, line := range strings.Split(frame, "\n") {
				if v, ok := strings.CutPrefix(line, "event: "); ok {
					name = v
				} else if v, ok := strings.CutPrefix(line, "data: "); ok {
					data = v
				}
			}
			if name != "" && data != "" {
				events = append(events, event{name, data})
			}
		}
	}
	scanned := map[string]int{}
	for _, e := range events {
		var viaJSON StreamEvent
		if err := json.Unmarshal([]byte(e.data), &viaJSON); err != nil {
			t.Fatalf("%s: %v", e.data, err)
		}
		var viaScan StreamEvent
		if !scanEvent(e.name, []byte(e.data), &viaScan) {
			continue // encoding/json reads it (ping, stops, errors)
		}
		scanned[e.name]++
		if got, want := project(&viaScan), project(&viaJSON); !reflect.DeepEqual(got, want) {
			t.Errorf("%s\nscanned %+v\njson    %+v", e.data, got, want)
		}
	}
	for _, kind := range []string{"message_start", "content_block_start", "content_block_delta", "message_delta"} {
		if scanned[kind] < 3 {
			t.Errorf("only %d %s events scanned: the scanner falls back too often", scanned[kind], kind)
		}
	}
}

// Events the scanners do not recognise fall back to encoding/json.
func TestScannersRefuseTheUnexpected(t *testing.T) {
	for _, e := range []struct{ name, data string }{
		{"message_start", `{"type":"message_delta","usage":{"output_tokens":1}}`},
		{"message_start", `{"type":"message_start","message":{"usage":{"input_tokens":"5"}}}`},
		{"content_block_start", `{"type":"content_block_start","index":1.5,"content_block":{"type":"text"}}`},
		{"content_block_start", `{"type":"content_block_start","index":1,"content_block":{"type":"text","text":7}}`},
		{"message_delta", `{"type":"message_delta","delta":{"stop_reason":1}}`},
		{"message_delta", `[1,2]`},
		{"ping", `{"type":"ping"}`},
	} {
		var ev StreamEvent
		if scanEvent(e.name, []byte(e.data), &ev) {
			t.Errorf("scanned %s %s as %+v", e.name, e.data, ev)
		}
	}
}
