package anthropic

import (
	"errors"
	"testing"

	"google.golang.org/protobuf/encoding/prototext"
	"google.golang.org/protobuf/proto"

	inferencev1 "github.com/tollgate/tollgate/gen/go/tollgate/inference/v1"
)

func TestStreamParser(t *testing.T) {
	events := []sseEvent{
		{"message_start", []byte(`{"type":"message_start","message":{"id":"msg_1","type":"message","role":"assistant","model":"claude-x","content":[],"stop_reason":null,"usage":{"input_tokens":10,"cache_creation_input_tokens":0,"cache_read_input_tokens":90,"output_tokens":1}}}`)},
		{"content_block_start", []byte(`{"type":"content_block_start","index":0,"content_block":{"type":"thinking","thinking":"","signature":""}}`)},
		{"content_block_delta", []byte(`{"type":"content_block_delta","index":0,"delta":{"type":"thinking_delta","thinking":"hmm"}}`)},
		{"content_block_delta", []byte(`{"type":"content_block_delta","index":0,"delta":{"type":"signature_delta","signature":"sig"}}`)},
		{"content_block_stop", []byte(`{"type":"content_block_stop","index":0}`)},
		{"ping", []byte(`{"type": "ping"}`)},
		{"content_block_start", []byte(`{"type":"content_block_start","index":1,"content_block":{"type":"server_tool_use","id":"srvtoolu_1","name":"web_search","input":{}}}`)},
		{"content_block_delta", []byte(`{"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":"{\"query\":\"q\"}"}}`)},
		{"content_block_start", []byte(`{"type":"content_block_start","index":2,"content_block":{"type":"text","text":""}}`)},
		{"content_block_delta", []byte(`{"type":"content_block_delta","index":2,"delta":{"type":"text_delta","text":"Hi"}}`)},
		{"content_block_delta", []byte(`{"type":"content_block_delta","index":2,"delta":{"type":"citations_delta","citation":{}}}`)},
		{"content_block_start", []byte(`{"type":"content_block_start","index":3,"content_block":{"type":"tool_use","id":"toolu_1","name":"f","input":{}}}`)},
		{"content_block_delta", []byte(`{"type":"content_block_delta","index":3,"delta":{"type":"input_json_delta","partial_json":"{\"a\":"}}`)},
		{"content_block_start", []byte(`{"type":"content_block_start","index":4,"content_block":{"type":"tool_use","id":"toolu_2","name":"g","input":{"b":2}}}`)},
		{"content_block_delta", []byte(`{"type":"content_block_delta","index":3,"delta":{"type":"input_json_delta","partial_json":"1}"}}`)},
		{"message_delta", []byte(`{"type":"message_delta","delta":{"stop_reason":"tool_use","stop_sequence":null},"usage":{"output_tokens":25}}`)},
		{"message_stop", []byte(`{"type":"message_stop"}`)},
	}
	wantDeltas := []*inferencev1.ChoiceDelta{
		{Role: inferencev1.Role_ROLE_ASSISTANT},
		nil,
		{Reasoning: "hmm"},
		{ReasoningSignature: "sig"},
		nil, nil, nil, nil,
		nil,
		{Text: "Hi"},
		nil,
		{ToolCalls: []*inferencev1.ToolCallDelta{{Index: 0, Id: "toolu_1", Name: "f"}}},
		{ToolCalls: []*inferencev1.ToolCallDelta{{Index: 0, ArgumentsJson: `{"a":`}}},
		{ToolCalls: []*inferencev1.ToolCallDelta{{Index: 1, Id: "toolu_2", Name: "g", ArgumentsJson: `{"b":2}`}}},
		{ToolCalls: []*inferencev1.ToolCallDelta{{Index: 0, ArgumentsJson: `1}`}}},
		{FinishReason: inferencev1.FinishReason_FINISH_REASON_TOOL_CALLS, ProviderFinishReason: "tool_use"},
		nil,
	}
	p := NewStreamParser()
	if p.Usage() != nil {
		t.Error("usage before any event")
	}
	for i, ev := range events {
		cs, err := p.Parse(ev.event, ev.data)
		if err != nil {
			t.Fatalf("event %d: %v", i, err)
		}
		if len(cs) != 1 {
			t.Fatalf("event %d: %d chunks", i, len(cs))
		}
		c := cs[0]
		if string(c.GetRaw()) != string(ev.data) || c.GetRawEvent() != ev.event || c.GetRawDialect() != inferencev1.Dialect_DIALECT_ANTHROPIC_MESSAGES {
			t.Errorf("event %d: raw frame not kept: %q %q", i, c.GetRawEvent(), c.GetRaw())
		}
		if c.GetId() != "msg_1" || c.GetModel() != "claude-x" {
			t.Errorf("event %d: id %q model %q", i, c.GetId(), c.GetModel())
		}
		var got *inferencev1.ChoiceDelta
		if len(c.GetDeltas()) > 0 {
			got = c.GetDeltas()[0]
		}
		if !proto.Equal(got, wantDeltas[i]) {
			t.Errorf("event %d (%s): delta\n got %s\nwant %s", i, ev.event, prototext.Format(got), prototext.Format(wantDeltas[i]))
		}
		wantUsage := ev.event == "message_delta"
		if (c.GetUsage() != nil) != wantUsage {
			t.Errorf("event %d: usage %v", i, c.GetUsage())
		}
		if wantUsage {
			want := &inferencev1.Usage{InputTokens: 100, OutputTokens: 25, TotalTokens: 125, CacheReadInputTokens: 90}
			if !proto.Equal(c.GetUsage(), want) {
				t.Errorf("usage = %v, want %v", c.GetUsage(), want)
			}
		}
	}
}

func TestStreamParserUsageAndErrors(t *testing.T) {
	p := NewStreamParser()
	mustParse := func(event, data string) *inferencev1.ChatChunk {
		t.Helper()
		cs, err := p.Parse(event, []byte(data))
		if err != nil {
			t.Fatal(err)
		}
		return cs[0]
	}
	mustParse("message_start", `{"type":"message_start","message":{"id":"m","usage":{"input_tokens":5,"output_tokens":1}}}`)
	if u := p.Usage(); u.GetInputTokens() != 5 || u.GetOutputTokens() != 1 {
		t.Errorf("usage after message_start = %v", u)
	}
	// A message_delta that repeats the input counts (newer API versions) wins.
	c := mustParse("message_delta", `{"type":"message_delta","delta":{"stop_reason":"max_tokens"},"usage":{"input_tokens":7,"cache_creation_input_tokens":3,"output_tokens":9}}`)
	if u := c.GetUsage(); u.GetInputTokens() != 10 || u.GetCacheCreationInputTokens() != 3 || u.GetOutputTokens() != 9 {
		t.Errorf("usage = %v", u)
	}
	if c.GetDeltas()[0].GetFinishReason() != inferencev1.FinishReason_FINISH_REASON_LENGTH {
		t.Errorf("finish = %v", c.GetDeltas()[0])
	}
	// The event name may be missing (a plain data stream): the type names it.
	c = mustParse("", `{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}`)
	if c.GetRawEvent() != "error" || !proto.Equal(c.GetError(), &inferencev1.StreamError{Code: "overloaded_error", Message: "Overloaded", Retryable: true}) {
		t.Errorf("error chunk = %v", c)
	}
	c = mustParse("error", `{"type":"error","error":{"type":"invalid_request_error","message":""}}`)
	if c.GetError().GetRetryable() || c.GetError().GetMessage() == "" {
		t.Errorf("error chunk = %v", c.GetError())
	}
	c = mustParse("error", `{"type":"error"}`)
	if c.GetError().GetCode() != "api_error" || !c.GetError().GetRetryable() {
		t.Errorf("bare error chunk = %v", c.GetError())
	}
	// Deltas of blocks that never started are ignored, not fatal.
	if c := mustParse("content_block_delta", `{"type":"content_block_delta","index":9,"delta":{"type":"text_delta","text":"x"}}`); len(c.GetDeltas()) != 0 {
		t.Errorf("orphan delta = %v", c)
	}
	for _, bad := range []string{`not json`, `{"type":"content_block_start","index":99999999,"content_block":{"type":"text"}}`, `{"type":"content_block_start","index":-1}`} {
		if _, err := p.Parse("x", []byte(bad)); !errors.Is(err, ErrNotEvent) {
			t.Errorf("Parse(%s) = %v, want ErrNotEvent", bad, err)
		}
	}
}
