package gemini

import (
	"encoding/json"
	"strings"
	"testing"

	inferencev1 "github.com/tollgate/tollgate/gen/go/tollgate/inference/v1"
	"github.com/tollgate/tollgate/services/kit/errs"
)

func frameStrings(frames []Frame) []string {
	out := make([]string, len(frames))
	for i, f := range frames {
		out[i] = string(f.Data)
	}
	return out
}

// TestStreamEncoderToolCalls: an Anthropic-style stream (thinking with a
// signature, text, a tool call in argument fragments, usage after the stop)
// becomes text frames as it arrives and one last frame with the whole call.
func TestStreamEncoderToolCalls(t *testing.T) {
	enc := NewStreamEncoder("alias")
	chunks := []*inferencev1.ChatChunk{
		{Id: "msg_1", Deltas: []*inferencev1.ChoiceDelta{{Role: inferencev1.Role_ROLE_ASSISTANT}}},
		{Id: "msg_1", Deltas: []*inferencev1.ChoiceDelta{{Reasoning: "Let me check."}}},
		{Id: "msg_1", Deltas: []*inferencev1.ChoiceDelta{{ReasoningSignature: "sig-1"}}},
		{Id: "msg_1", Deltas: []*inferencev1.ChoiceDelta{{Text: "Checking."}}},
		{Id: "msg_1", Deltas: []*inferencev1.ChoiceDelta{{ToolCalls: []*inferencev1.ToolCallDelta{{Index: 0, Id: "toolu_1", Name: "get_weather"}}}}},
		{Id: "msg_1", Deltas: []*inferencev1.ChoiceDelta{{ToolCalls: []*inferencev1.ToolCallDelta{{Index: 0, ArgumentsJson: `{"city":`}}}}},
		{Id: "msg_1", Deltas: []*inferencev1.ChoiceDelta{{ToolCalls: []*inferencev1.ToolCallDelta{{Index: 0, ArgumentsJson: `"Paris"}`}}}}},
		{Id: "msg_1", Deltas: []*inferencev1.ChoiceDelta{{FinishReason: inferencev1.FinishReason_FINISH_REASON_TOOL_CALLS, ProviderFinishReason: "tool_use"}}},
		{Id: "msg_1", Usage: &inferencev1.Usage{InputTokens: 20, OutputTokens: 9, TotalTokens: 29}},
	}
	var frames []Frame
	for _, c := range chunks {
		frames = append(frames, enc.Encode(c)...)
	}
	frames = append(frames, enc.Finish()...)
	want := []string{
		`{"candidates":[{"content":{"parts":[{"text":"Let me check.","thought":true}],"role":"model"},"index":0}],"modelVersion":"alias","responseId":"msg_1"}`,
		`{"candidates":[{"content":{"parts":[{"text":"Checking.","thoughtSignature":"sig-1"}],"role":"model"},"index":0}],"modelVersion":"alias","responseId":"msg_1"}`,
		`{"candidates":[{"content":{"parts":[{"functionCall":{"id":"toolu_1","name":"get_weather","args":{"city":"Paris"}}}],"role":"model"},"finishReason":"STOP","index":0}],` +
			`"usageMetadata":{"promptTokenCount":20,"candidatesTokenCount":9,"totalTokenCount":29},"modelVersion":"alias","responseId":"msg_1"}`,
	}
	if got := frameStrings(frames); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("frames\n got %s\nwant %s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if !enc.Done() || enc.Finish() != nil || enc.Encode(chunks[3]) != nil {
		t.Error("the stream did not end")
	}
	// The frames parse back into the same answer.
	p := NewStreamParser()
	var calls []*inferencev1.ToolCallDelta
	var finish inferencev1.FinishReason
	var reasoningSig string
	for _, f := range frames {
		cs, err := p.Parse("", f.Data)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range cs[0].GetDeltas() {
			calls = append(calls, d.GetToolCalls()...)
			if d.GetReasoningSignature() != "" {
				reasoningSig = d.GetReasoningSignature()
			}
			if d.GetFinishReason() != 0 {
				finish = d.GetFinishReason()
			}
		}
	}
	if len(calls) != 1 || calls[0].GetId() != "toolu_1" || calls[0].GetArgumentsJson() != `{"city":"Paris"}` ||
		finish != inferencev1.FinishReason_FINISH_REASON_TOOL_CALLS || reasoningSig != "sig-1" {
		t.Errorf("parsed back: calls %v, finish %v, signature %q", calls, finish, reasoningSig)
	}
}

func TestStreamEncoderEdges(t *testing.T) {
	t.Run("empty stream still ends with a finish reason and a part", func(t *testing.T) {
		enc := NewStreamEncoder("m")
		frames := enc.Finish()
		var w GenerateContentResponse
		if len(frames) != 1 || json.Unmarshal(frames[0].Data, &w) != nil || w.Candidates[0].FinishReason != "STOP" ||
			len(w.Candidates[0].Content.Parts) != 1 || w.ResponseID == "" {
			t.Errorf("frames = %s", frameStrings(frames))
		}
	})
	t.Run("malformed arguments", func(t *testing.T) {
		enc := NewStreamEncoder("m")
		enc.Encode(&inferencev1.ChatChunk{Deltas: []*inferencev1.ChoiceDelta{{
			ToolCalls:    []*inferencev1.ToolCallDelta{{Id: "1", Name: "f", ArgumentsJson: `{"a":`}},
			FinishReason: inferencev1.FinishReason_FINISH_REASON_LENGTH,
		}}})
		got := frameStrings(enc.Finish())[0]
		if !strings.Contains(got, `"parts":[{"text":""}],"role":"model"},"finishReason":"MALFORMED_FUNCTION_CALL"`) {
			t.Errorf("frame = %s", got)
		}
	})
	t.Run("two candidates", func(t *testing.T) {
		enc := NewStreamEncoder("m")
		got := frameStrings(enc.Encode(&inferencev1.ChatChunk{Id: "r", Deltas: []*inferencev1.ChoiceDelta{{Text: "a"}, {Index: 1, Text: "b"}}}))
		if len(got) != 1 || !strings.Contains(got[0], `"index":0},{"content":{"parts":[{"text":"b"}],"role":"model"},"index":1}`) {
			t.Errorf("frames = %v", got)
		}
		last := frameStrings(enc.Finish())[0]
		if strings.Count(last, `"finishReason":"STOP"`) != 2 {
			t.Errorf("last = %s", last)
		}
	})
	t.Run("provider error mid-stream", func(t *testing.T) {
		enc := NewStreamEncoder("m")
		got := frameStrings(enc.Encode(&inferencev1.ChatChunk{Error: &inferencev1.StreamError{Code: "overloaded_error", Message: "busy", Retryable: true}}))
		if len(got) != 1 || !strings.HasPrefix(got[0], `{"error":{"code":503,"message":"busy","status":"UNAVAILABLE"`) {
			t.Errorf("frames = %v", got)
		}
		if enc.Finish() != nil || enc.Fail(errs.New(errs.KindInternal, "x", "y")) != nil {
			t.Error("frames after the error")
		}
		enc = NewStreamEncoder("m")
		got = frameStrings(enc.Encode(&inferencev1.ChatChunk{Error: &inferencev1.StreamError{Code: "RESOURCE_EXHAUSTED", Message: "quota"}}))
		if !strings.HasPrefix(got[0], `{"error":{"code":429,"message":"quota","status":"RESOURCE_EXHAUSTED"`) {
			t.Errorf("frames = %v", got)
		}
	})
	t.Run("Fail", func(t *testing.T) {
		enc := NewStreamEncoder("m")
		enc.Encode(&inferencev1.ChatChunk{Deltas: []*inferencev1.ChoiceDelta{{Text: "a"}}})
		got := frameStrings(enc.Fail(errs.New(errs.KindTimeout, "timeout", "too slow")))
		if len(got) != 1 || !strings.HasPrefix(got[0], `{"error":{"code":504,"message":"too slow","status":"DEADLINE_EXCEEDED"`) {
			t.Errorf("frames = %v", got)
		}
	})
	t.Run("same-dialect frames are forwarded", func(t *testing.T) {
		enc := NewStreamEncoder("m")
		raw := []byte(`{"candidates":[{"content":{"parts":[{"text":"x"}],"role":"model"},"finishReason":"STOP"}]}`)
		got := enc.Encode(&inferencev1.ChatChunk{Raw: raw, RawDialect: inferencev1.Dialect_DIALECT_GEMINI,
			Deltas: []*inferencev1.ChoiceDelta{{Text: "x"}}})
		if len(got) != 1 || string(got[0].Data) != string(raw) || enc.Finish() != nil {
			t.Errorf("frames = %v", frameStrings(got))
		}
	})
	t.Run("AppendSSE", func(t *testing.T) {
		if got := string(AppendSSE(nil, Frame{Data: []byte(`{}`)})); got != "data: {}\r\n\r\n" {
			t.Errorf("AppendSSE = %q", got)
		}
	})
}

func TestStreamParser(t *testing.T) {
	p := NewStreamParser()
	frames := []string{
		`{"candidates":[{"content":{"parts":[{"text":"Plan","thought":true}],"role":"model"},"index":0}],"usageMetadata":{"promptTokenCount":9,"totalTokenCount":9},"modelVersion":"gemini-3-pro","responseId":"r1"}`,
		`{"candidates":[{"content":{"parts":[{"functionCall":{"name":"f","args":{"a":1}},"thoughtSignature":"sig"},{"functionCall":{"id":"own","name":"g"}}],"role":"model"},"index":0}],"usageMetadata":{"promptTokenCount":9,"totalTokenCount":9},"modelVersion":"gemini-3-pro","responseId":"r1"}`,
		`{"candidates":[{"content":{"parts":[{"text":""}],"role":"model"},"finishReason":"STOP","index":0}],"usageMetadata":{"promptTokenCount":9,"candidatesTokenCount":4,"thoughtsTokenCount":6,"cachedContentTokenCount":2,"totalTokenCount":19},"modelVersion":"gemini-3-pro","responseId":"r1"}`,
	}
	var got []*inferencev1.ChatChunk
	for _, f := range frames {
		cs, err := p.Parse("", []byte(f))
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, cs...)
	}
	d0, d1, d2 := got[0].GetDeltas()[0], got[1].GetDeltas()[0], got[2].GetDeltas()[0]
	if d0.GetRole() != inferencev1.Role_ROLE_ASSISTANT || d0.GetReasoning() != "Plan" || got[0].GetUsage() != nil ||
		got[0].GetId() != "r1" || got[0].GetModel() != "gemini-3-pro" {
		t.Errorf("first = %v", got[0])
	}
	calls := d1.GetToolCalls()
	if d1.GetRole() != 0 || len(calls) != 2 || calls[0].GetId() != "call_r1_0" || calls[0].GetSignature() != "sig" ||
		calls[0].GetArgumentsJson() != `{"a":1}` || calls[1].GetId() != "own" || calls[1].GetIndex() != 1 ||
		calls[1].GetArgumentsJson() != "{}" || d1.GetReasoningSignature() != "sig" {
		t.Errorf("second = %v", d1)
	}
	u := got[2].GetUsage()
	if d2.GetFinishReason() != inferencev1.FinishReason_FINISH_REASON_TOOL_CALLS || d2.GetProviderFinishReason() != "STOP" ||
		u.GetInputTokens() != 9 || u.GetOutputTokens() != 10 || u.GetReasoningTokens() != 6 || u.GetCacheReadInputTokens() != 2 || u.GetTotalTokens() != 19 {
		t.Errorf("last = %v, usage %v", d2, u)
	}
	if p.Usage() != u {
		t.Error("Usage() is not the last report")
	}

	// Errors, blocked prompts, junk.
	p = NewStreamParser()
	cs, err := p.Parse("", []byte(`{"error":{"code":429,"message":"quota","status":"RESOURCE_EXHAUSTED"}}`))
	if err != nil || cs[0].GetError().GetCode() != "RESOURCE_EXHAUSTED" || !cs[0].GetError().GetRetryable() {
		t.Errorf("error frame = %v, %v", cs, err)
	}
	cs, _ = p.Parse("", []byte(`{"promptFeedback":{"blockReason":"SAFETY"},"usageMetadata":{"promptTokenCount":3}}`))
	if d := cs[0].GetDeltas()[0]; d.GetFinishReason() != inferencev1.FinishReason_FINISH_REASON_CONTENT_FILTER || d.GetProviderFinishReason() != "SAFETY" ||
		cs[0].GetUsage().GetInputTokens() != 3 {
		t.Errorf("blocked = %v", cs[0])
	}
	if _, err := p.Parse("", []byte(`not json`)); err == nil {
		t.Error("junk accepted")
	}
	if cs, err := p.Parse("", nil); cs != nil || err != nil {
		t.Error("empty data made a chunk")
	}
	if _, err := p.Parse("", []byte(`{"candidates":[{"index":-1}]}`)); err == nil {
		t.Error("negative candidate index accepted")
	}
}

func TestParseResponse(t *testing.T) {
	r, err := ParseResponse([]byte(`{"candidates":[{"content":{"parts":[{"text":"a","thought":true},{"text":"b"},{"text":"c"},{"inlineData":{"mimeType":"image/png","data":"aGk="}}],"role":"model"},"finishReason":"MAX_TOKENS","index":0}],
		"usageMetadata":{"promptTokenCount":5,"candidatesTokenCount":2,"toolUsePromptTokenCount":1},"modelVersion":"v","responseId":"id"}`))
	if err != nil {
		t.Fatal(err)
	}
	c := r.GetChoices()[0]
	parts := c.GetMessage().GetContent()
	if r.GetId() != "id" || r.GetModel() != "v" || c.GetFinishReason() != inferencev1.FinishReason_FINISH_REASON_LENGTH ||
		len(parts) != 3 || parts[0].GetReasoning().GetText() != "a" || parts[1].GetText() != "bc" || string(parts[2].GetImage().GetData()) != "hi" ||
		r.GetUsage().GetInputTokens() != 6 || r.GetUsage().GetTotalTokens() != 8 {
		t.Errorf("response = %v", r)
	}
	// The JSON array of streamGenerateContent without alt=sse.
	r, err = ParseResponse([]byte(`[{"candidates":[{"content":{"parts":[{"text":"he"}],"role":"model"}}],"responseId":"x"},
		{"candidates":[{"content":{"parts":[{"text":"llo"}],"role":"model"},"finishReason":"STOP"}],"usageMetadata":{"promptTokenCount":1,"candidatesTokenCount":2,"totalTokenCount":3}}]`))
	if err != nil || r.GetChoices()[0].GetMessage().GetContent()[0].GetText() != "hello" || r.GetUsage().GetTotalTokens() != 3 {
		t.Errorf("array = %v, %v", r, err)
	}
	r, err = ParseResponse([]byte(`{"promptFeedback":{"blockReason":"PROHIBITED_CONTENT"}}`))
	if err != nil || r.GetChoices()[0].GetFinishReason() != inferencev1.FinishReason_FINISH_REASON_CONTENT_FILTER {
		t.Errorf("blocked = %v, %v", r, err)
	}
	for _, bad := range []string{`nope`, `{"error":{"code":500,"message":"x"}}`} {
		if _, err := ParseResponse([]byte(bad)); err == nil {
			t.Errorf("%s accepted", bad)
		}
	}
}
