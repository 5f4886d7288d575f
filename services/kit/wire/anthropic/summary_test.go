package anthropic

import (
	"testing"

	"google.golang.org/protobuf/proto"
)

// The summary must agree with the full parse wherever it answers itself.
func TestParseSummaryAgreesWithParseResponse(t *testing.T) {
	bodies := []string{
		`{"id":"msg_1","type":"message","role":"assistant","model":"claude-x","content":[{"type":"text","text":"Hel\u00e9 \"lo\""}],"stop_reason":"end_turn","stop_sequence":null,"usage":{"input_tokens":5,"output_tokens":3,"cache_read_input_tokens":2,"cache_creation_input_tokens":1}}`,
		`{"id":"msg_2","type":"message","role":"assistant","model":"claude-x","content":[{"type":"text","text":"a"},{"type":"text","text":"b"}],"stop_reason":"max_tokens","usage":{"input_tokens":1,"output_tokens":1}}`,
		`{"id":"msg_3","type":"message","role":"assistant","model":"claude-x","content":[{"type":"tool_use","id":"t1","name":"f","input":{"x":1}}],"stop_reason":"tool_use","usage":{"input_tokens":1,"output_tokens":1}}`,
		`{"id":"msg_4","type":"message","role":"assistant","model":"claude-x","content":[{"type":"thinking","thinking":"hm","signature":"s"},{"type":"text","text":"ok"}],"stop_reason":"end_turn","usage":{"input_tokens":1,"output_tokens":1}}`,
	}
	for _, b := range bodies {
		full, err := ParseResponse([]byte(b))
		if err != nil {
			t.Fatalf("full: %v", err)
		}
		sum, err := ParseSummary([]byte(b))
		if err != nil {
			t.Fatalf("summary: %v", err)
		}
		if !proto.Equal(full, sum) {
			t.Errorf("summary differs for %s:\n full %v\n summ %v", b, full, sum)
		}
	}
	if _, err := ParseSummary([]byte(`{"type":"error"}`)); err == nil {
		t.Error("a non-message body must fail like ParseResponse")
	}
}
