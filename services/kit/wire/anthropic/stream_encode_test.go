package anthropic

import (
	"strings"
	"testing"

	inferencev1 "github.com/tollgate/tollgate/gen/go/tollgate/inference/v1"
	"github.com/tollgate/tollgate/services/kit/errs"
)

func delta(d *inferencev1.ChoiceDelta) *inferencev1.ChatChunk {
	return &inferencev1.ChatChunk{Id: "resp_1", Deltas: []*inferencev1.ChoiceDelta{d}}
}

func renderFrames(frames []Frame) string {
	var b strings.Builder
	for _, f := range frames {
		b.WriteString(f.Event + " " + string(f.Data) + "\n")
	}
	return b.String()
}

// TestStreamEncoderBlocks: thinking, text and two tool calls from another
// dialect become the block sequence an Anthropic client expects.
func TestStreamEncoderBlocks(t *testing.T) {
	e := NewStreamEncoder("claude-client")
	var frames []Frame
	for _, c := range []*inferencev1.ChatChunk{
		delta(&inferencev1.ChoiceDelta{Role: inferencev1.Role_ROLE_ASSISTANT}),
		delta(&inferencev1.ChoiceDelta{Reasoning: "hmm"}),
		delta(&inferencev1.ChoiceDelta{ReasoningSignature: "sig"}),
		delta(&inferencev1.ChoiceDelta{Text: "Hel"}),
		delta(&inferencev1.ChoiceDelta{Text: "lo"}),
		{Deltas: []*inferencev1.ChoiceDelta{{Index: 1, Text: "another choice is dropped"}}},
		delta(&inferencev1.ChoiceDelta{ToolCalls: []*inferencev1.ToolCallDelta{{Index: 0, Id: "call_a", Name: "f", ArgumentsJson: `{"a"`}}}),
		delta(&inferencev1.ChoiceDelta{ToolCalls: []*inferencev1.ToolCallDelta{{Index: 0, ArgumentsJson: `:1}`}}}),
		delta(&inferencev1.ChoiceDelta{ToolCalls: []*inferencev1.ToolCallDelta{{Index: 1, Id: "call_b", Name: "g"}}}),
		delta(&inferencev1.ChoiceDelta{ToolCalls: []*inferencev1.ToolCallDelta{{Index: 0, ArgumentsJson: ` `}}}),
		delta(&inferencev1.ChoiceDelta{FinishReason: inferencev1.FinishReason_FINISH_REASON_TOOL_CALLS, ProviderFinishReason: "tool_calls"}),
		{Id: "resp_1", Usage: &inferencev1.Usage{InputTokens: 100, OutputTokens: 20, CacheReadInputTokens: 40}},
	} {
		frames = append(frames, e.Encode(c)...)
	}
	frames = append(frames, e.Finish()...)
	want := `message_start {"type":"message_start","message":{"id":"resp_1","type":"message","role":"assistant","model":"claude-client","content":[],"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":0,"cache_creation_input_tokens":0,"cache_read_input_tokens":0,"output_tokens":0}}}
content_block_start {"type":"content_block_start","index":0,"content_block":{"type":"thinking","thinking":"","signature":""}}
content_block_delta {"type":"content_block_delta","index":0,"delta":{"type":"thinking_delta","thinking":"hmm"}}
content_block_delta {"type":"content_block_delta","index":0,"delta":{"type":"signature_delta","signature":"sig"}}
content_block_stop {"type":"content_block_stop","index":0}
content_block_start {"type":"content_block_start","index":1,"content_block":{"type":"text","text":""}}
content_block_delta {"type":"content_block_delta","index":1,"delta":{"type":"text_delta","text":"Hel"}}
content_block_delta {"type":"content_block_delta","index":1,"delta":{"type":"text_delta","text":"lo"}}
content_block_stop {"type":"content_block_stop","index":1}
content_block_start {"type":"content_block_start","index":2,"content_block":{"type":"tool_use","id":"call_a","name":"f","input":{}}}
content_block_delta {"type":"content_block_delta","index":2,"delta":{"type":"input_json_delta","partial_json":"{\"a\""}}
content_block_delta {"type":"content_block_delta","index":2,"delta":{"type":"input_json_delta","partial_json":":1}"}}
content_block_stop {"type":"content_block_stop","index":2}
content_block_start {"type":"content_block_start","index":3,"content_block":{"type":"tool_use","id":"call_b","name":"g","input":{}}}
content_block_delta {"type":"content_block_delta","index":2,"delta":{"type":"input_json_delta","partial_json":" "}}
content_block_stop {"type":"content_block_stop","index":3}
message_delta {"type":"message_delta","delta":{"stop_reason":"tool_use","stop_sequence":null},"usage":{"input_tokens":60,"cache_creation_input_tokens":0,"cache_read_input_tokens":40,"output_tokens":20}}
message_stop {"type":"message_stop"}
`
	if got := renderFrames(frames); got != want {
		t.Fatalf("\n got:\n%s\nwant:\n%s", got, want)
	}
	if !e.Done() || e.Finish() != nil || e.Encode(delta(&inferencev1.ChoiceDelta{Text: "late"})) != nil {
		t.Error("a finished stream must stay finished")
	}
}

func TestStreamEncoderFinishWithoutChunks(t *testing.T) {
	frames := NewStreamEncoder("m").Finish()
	var events []string
	for _, f := range frames {
		events = append(events, f.Event)
	}
	if strings.Join(events, ",") != "message_start,message_delta,message_stop" {
		t.Fatalf("events = %v", events)
	}
	if !strings.Contains(string(frames[1].Data), `"stop_reason":"end_turn"`) || !strings.Contains(string(frames[1].Data), `"usage":{"output_tokens":0}`) {
		t.Errorf("message_delta = %s", frames[1].Data)
	}
}

func TestStreamEncoderErrors(t *testing.T) {
	e := NewStreamEncoder("m")
	e.Encode(delta(&inferencev1.ChoiceDelta{Text: "partial"}))
	frames := e.Encode(&inferencev1.ChatChunk{Error: &inferencev1.StreamError{Code: "server_error", Message: "boom", Retryable: true}})
	if got := renderFrames(frames); got != "error {\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":\"boom\"}}\n" {
		t.Errorf("error chunk frames = %q", got)
	}
	if e.Finish() != nil || e.Fail(errs.Invalid("", "x")) != nil {
		t.Error("nothing may follow an error event")
	}

	e = NewStreamEncoder("m")
	e.Encode(delta(&inferencev1.ChoiceDelta{Text: "partial"}))
	frames = e.Fail(errs.New(errs.KindTimeout, "timeout", "the provider timed out"))
	if got := renderFrames(frames); got != "error {\"type\":\"error\",\"error\":{\"type\":\"timeout_error\",\"message\":\"the provider timed out\"}}\n" {
		t.Errorf("Fail frames = %q", got)
	}
	if e.Fail(errs.Invalid("", "again")) != nil || e.Finish() != nil {
		t.Error("nothing may follow Fail")
	}

	anthropicError := &inferencev1.StreamError{Code: "rate_limit_error", Message: "slow down"}
	if got := streamErrorType(anthropicError); got != "rate_limit_error" {
		t.Errorf("an Anthropic error type should be kept, got %q", got)
	}
	if got := streamErrorType(&inferencev1.StreamError{Code: "x"}); got != "api_error" {
		t.Errorf("unknown non-retryable error type = %q", got)
	}
}

func TestStreamEncoderForwardsRawFrames(t *testing.T) {
	e := NewStreamEncoder("m")
	raw := &inferencev1.ChatChunk{Raw: []byte(`{"type":"ping"}`), RawDialect: inferencev1.Dialect_DIALECT_ANTHROPIC_MESSAGES, RawEvent: "ping"}
	if got := renderFrames(e.Encode(raw)); got != "ping {\"type\":\"ping\"}\n" {
		t.Errorf("forwarded = %q", got)
	}
	other := &inferencev1.ChatChunk{Raw: []byte(`{"choices":[]}`), RawDialect: inferencev1.Dialect_DIALECT_OPENAI_CHAT,
		Deltas: []*inferencev1.ChoiceDelta{{Text: "x"}}}
	if frames := e.Encode(other); len(frames) == 0 || frames[0].Event == "" {
		t.Errorf("a raw frame of another dialect must be re-encoded, got %v", frames)
	}
}
