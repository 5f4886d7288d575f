package bedrock

import (
	"errors"
	"testing"

	inferencev1 "github.com/tollgate/tollgate/gen/go/tollgate/inference/v1"
)

type event struct{ typ, payload string }

// toolStream is a ConverseStream answer with reasoning, text and two tool
// calls, as Bedrock sends it (payloads padded with "p"; text blocks have
// no start event).
var toolStream = []event{
	{EventMessageStart, `{"p":"abcdefghijkl","role":"assistant"}`},
	{EventContentBlockDelta, `{"contentBlockIndex":0,"delta":{"reasoningContent":{"text":"Need weather."}},"p":"abc"}`},
	{EventContentBlockDelta, `{"contentBlockIndex":0,"delta":{"reasoningContent":{"signature":"sig=="}},"p":"abc"}`},
	{EventContentBlockStop, `{"contentBlockIndex":0,"p":"abcd"}`},
	{EventContentBlockDelta, `{"contentBlockIndex":1,"delta":{"text":"Checking"},"p":"abcdefg"}`},
	{EventContentBlockDelta, `{"contentBlockIndex":1,"delta":{"text":" \"both\"."},"p":"ab"}`},
	{EventContentBlockStop, `{"contentBlockIndex":1,"p":"abcd"}`},
	{EventContentBlockStart, `{"contentBlockIndex":2,"start":{"toolUse":{"toolUseId":"tooluse_A","name":"get_weather"}},"p":"abc"}`},
	{EventContentBlockDelta, `{"contentBlockIndex":2,"delta":{"toolUse":{"input":"{\"city\":"}},"p":"abc"}`},
	{EventContentBlockDelta, `{"contentBlockIndex":2,"delta":{"toolUse":{"input":"\"Paris\"}"}},"p":"abc"}`},
	{EventContentBlockStop, `{"contentBlockIndex":2,"p":"abcd"}`},
	{EventContentBlockStart, `{"contentBlockIndex":3,"start":{"toolUse":{"toolUseId":"tooluse_B","name":"get_weather"}},"p":"abc"}`},
	{EventContentBlockDelta, `{"contentBlockIndex":3,"delta":{"toolUse":{"input":"{\"city\":\"Rome\"}"}},"p":"abc"}`},
	{EventContentBlockStop, `{"contentBlockIndex":3,"p":"abcd"}`},
	{EventMessageStop, `{"stopReason":"tool_use","p":"abcdef"}`},
	{EventMetadata, `{"usage":{"inputTokens":30,"outputTokens":40,"totalTokens":75,"cacheWriteInputTokens":5},"metrics":{"latencyMs":900},"p":"ab"}`},
}

func TestStreamParser(t *testing.T) {
	p := NewStreamParser()
	var text, reasoning, signature string
	args := map[int32]string{}
	ids := map[int32]string{}
	var finish inferencev1.FinishReason
	var usage *inferencev1.Usage
	role := false
	for _, ev := range toolStream {
		chunks, err := p.Parse(ev.typ, []byte(ev.payload))
		if err != nil {
			t.Fatalf("%s: %v", ev.typ, err)
		}
		if len(chunks) != 1 || string(chunks[0].GetRaw()) != ev.payload || chunks[0].GetRawEvent() != ev.typ ||
			chunks[0].GetRawDialect() != inferencev1.Dialect_DIALECT_BEDROCK_CONVERSE {
			t.Fatalf("%s: the raw frame is not kept: %v", ev.typ, chunks)
		}
		c := chunks[0]
		if c.GetUsage() != nil {
			usage = c.GetUsage()
		}
		for _, d := range c.GetDeltas() {
			role = role || d.GetRole() == inferencev1.Role_ROLE_ASSISTANT
			text += d.GetText()
			reasoning += d.GetReasoning()
			signature += d.GetReasoningSignature()
			if d.GetFinishReason() != inferencev1.FinishReason_FINISH_REASON_UNSPECIFIED {
				finish = d.GetFinishReason()
			}
			for _, tc := range d.GetToolCalls() {
				ids[tc.GetIndex()] += tc.GetId()
				args[tc.GetIndex()] += tc.GetArgumentsJson()
			}
		}
	}
	if !role || text != `Checking "both".` || reasoning != "Need weather." || signature != "sig==" {
		t.Errorf("role %v text %q reasoning %q signature %q", role, text, reasoning, signature)
	}
	if ids[0] != "tooluse_A" || args[0] != `{"city":"Paris"}` || ids[1] != "tooluse_B" || args[1] != `{"city":"Rome"}` {
		t.Errorf("tool calls: ids %v args %v", ids, args)
	}
	if finish != inferencev1.FinishReason_FINISH_REASON_TOOL_CALLS || !p.Stopped() {
		t.Errorf("finish = %v, stopped %v", finish, p.Stopped())
	}
	if usage.GetInputTokens() != 35 || usage.GetOutputTokens() != 40 || usage.GetTotalTokens() != 75 ||
		usage.GetCacheCreationInputTokens() != 5 || p.Usage() != usage {
		t.Errorf("usage = %v", usage)
	}
}

func TestStreamParserRefusesMalformedEvents(t *testing.T) {
	p := NewStreamParser()
	if _, err := p.Parse(EventContentBlockDelta, []byte(`{"contentBlockIndex":`)); !errors.Is(err, ErrNotEvent) {
		t.Errorf("malformed JSON: %v", err)
	}
	if _, err := p.Parse(EventContentBlockStart, []byte(`{"contentBlockIndex":99999999,"start":{"toolUse":{"toolUseId":"a","name":"b"}}}`)); !errors.Is(err, ErrNotEvent) {
		t.Errorf("a huge block index must be refused: %v", err)
	}
	// Tool input for a block that never started is dropped, not misattributed.
	chunks, err := p.Parse(EventContentBlockDelta, []byte(`{"contentBlockIndex":3,"delta":{"toolUse":{"input":"{}"}}}`))
	if err != nil || len(chunks[0].GetDeltas()) != 0 {
		t.Errorf("orphan tool input: %v %v", chunks, err)
	}
	if p.Stopped() {
		t.Error("no messageStop was seen")
	}
}

func TestStreamParserException(t *testing.T) {
	p := NewStreamParser()
	for _, tt := range []struct {
		typ, payload string
		retryable    bool
	}{
		{"throttlingException", `{"message":"Too many tokens, please wait before trying again."}`, true},
		{"serviceUnavailableException", `{"message":"busy"}`, true},
		{"internalServerException", `{"message":"oops"}`, true},
		{"modelStreamErrorException", `{"originalMessage":"model crashed","originalStatusCode":500}`, true},
		{"validationException", `{"message":"Input is too long"}`, false},
	} {
		c := p.Exception(tt.typ, []byte(tt.payload))
		e := c.GetError()
		if e.GetCode() != tt.typ || e.GetRetryable() != tt.retryable || e.GetMessage() == "" || c.GetRawEvent() != tt.typ {
			t.Errorf("%s: %v", tt.typ, e)
		}
	}
	if e := p.Exception("modelStreamErrorException", []byte(`{"originalMessage":"model crashed"}`)).GetError(); e.GetMessage() != "provider model error: model crashed" {
		t.Errorf("originalMessage is the message when there is no other: %q", e.GetMessage())
	}
}
