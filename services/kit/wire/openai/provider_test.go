package openai

import (
	"encoding/json"
	"testing"

	"google.golang.org/protobuf/encoding/prototext"
	"google.golang.org/protobuf/proto"

	inferencev1 "github.com/tollgate/tollgate/gen/go/tollgate/inference/v1"
)

// A client request decoded, rebuilt for a provider and decoded again must be
// the same canonical request: nothing the canonical model holds is lost.
func TestBuildChatRequestRoundTrip(t *testing.T) {
	body := []byte(`{"model":"client","messages":[
	    {"role":"system","content":"sys"},
	    {"role":"user","content":[{"type":"text","text":"look"},{"type":"image_url","image_url":{"url":"https://x/y.png","detail":"high"}}]},
	    {"role":"assistant","content":null,"tool_calls":[{"id":"c1","type":"function","function":{"name":"f","arguments":"{}"}}]},
	    {"role":"tool","tool_call_id":"c1","content":"42"},
	    {"role":"assistant","content":"done","name":"bot"}],
	  "tools":[{"type":"function","function":{"name":"f","description":"d","parameters":{"type":"object","properties":{}},"strict":true}}],
	  "tool_choice":"auto","temperature":0.7,"top_p":0.9,"max_tokens":50,"stop":["x"],"seed":1,
	  "presence_penalty":0.1,"frequency_penalty":0.2,"n":1,"stream":true,
	  "response_format":{"type":"json_schema","json_schema":{"name":"s","schema":{"type":"object"},"strict":true}},
	  "reasoning_effort":"high","user":"u","parallel_tool_calls":true,"metadata":{"k":"v"}}`)
	orig, err := DecodeChatRequest(body)
	if err != nil {
		t.Fatal(err)
	}
	for _, opts := range []BuildOptions{{}, {MaxCompletionTokens: true}} {
		built, err := BuildChatRequest(orig, "provider-model", opts)
		if err != nil {
			t.Fatal(err)
		}
		back, err := DecodeChatRequest(built)
		if err != nil {
			t.Fatalf("built body does not decode: %v\n%s", err, built)
		}
		if back.GetModel() != "provider-model" || !back.GetIncludeUsage() {
			t.Errorf("model %q include_usage %v", back.GetModel(), back.GetIncludeUsage())
		}
		back.Model, back.Source, back.IncludeUsage = orig.Model, orig.Source, orig.IncludeUsage
		if !proto.Equal(orig, back) {
			t.Errorf("round trip changed the request\n got: %s\nwant: %s", prototext.Format(back), prototext.Format(orig))
		}
		var raw map[string]json.RawMessage
		_ = json.Unmarshal(built, &raw)
		_, hasMax := raw["max_tokens"]
		_, hasMaxCompletion := raw["max_completion_tokens"]
		if hasMax == opts.MaxCompletionTokens || hasMaxCompletion != opts.MaxCompletionTokens {
			t.Errorf("token cap field wrong for %+v: %s", opts, built)
		}
	}
}

func TestBuildChatRequestFromOtherDialects(t *testing.T) {
	r := &inferencev1.ChatRequest{Messages: []*inferencev1.Message{
		{Role: inferencev1.Role_ROLE_USER, Content: []*inferencev1.ContentPart{
			{Part: &inferencev1.ContentPart_ToolResult{ToolResult: &inferencev1.ToolResult{ToolCallId: "t1", Content: []*inferencev1.ContentPart{text("res")}}}},
			{Part: &inferencev1.ContentPart_Image{Image: &inferencev1.Image{MediaType: "image/png", Data: []byte{1, 2}}}},
		}},
	}}
	b, err := BuildChatRequest(r, "m", BuildOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var w ChatCompletionRequest
	if err := json.Unmarshal(b, &w); err != nil {
		t.Fatal(err)
	}
	if len(w.Messages) != 2 || w.Messages[0].Role != "tool" || w.Messages[0].ToolCallID != "t1" || *w.Messages[0].Content.Text != "res" {
		t.Fatalf("tool result not split into a tool message: %s", b)
	}
	if p := w.Messages[1].Content.Parts; len(p) != 1 || p[0].ImageURL.URL != "data:image/png;base64,AQI=" {
		t.Fatalf("inline image not sent as a data URL: %s", b)
	}
}

func TestParseChatResponse(t *testing.T) {
	body := []byte(`{"id":"chatcmpl-9","object":"chat.completion","created":9,"model":"gpt-x","system_fingerprint":"fp",
	  "choices":[{"index":0,"message":{"role":"assistant","content":"Hi","refusal":null,"reasoning_content":"thought"},"logprobs":null,"finish_reason":"stop"},
	             {"index":1,"message":{"role":"assistant","content":null,"tool_calls":[{"id":"c","type":"function","function":{"name":"f","arguments":"{}"}}]},"finish_reason":"tool_calls"}],
	  "usage":{"prompt_tokens":11,"completion_tokens":7,"total_tokens":18,"prompt_tokens_details":{"cached_tokens":3},"completion_tokens_details":{"reasoning_tokens":2}}}`)
	got, err := ParseChatResponse(body)
	if err != nil {
		t.Fatal(err)
	}
	want := &inferencev1.ChatResponse{
		Id: "chatcmpl-9", Model: "gpt-x", Created: 9,
		Choices: []*inferencev1.Choice{
			{Index: 0, Message: &inferencev1.Message{Role: inferencev1.Role_ROLE_ASSISTANT, Content: []*inferencev1.ContentPart{
				text("Hi"), {Part: &inferencev1.ContentPart_Reasoning{Reasoning: &inferencev1.ReasoningPart{Text: "thought"}}}}},
				FinishReason: inferencev1.FinishReason_FINISH_REASON_STOP, ProviderFinishReason: "stop"},
			{Index: 1, Message: &inferencev1.Message{Role: inferencev1.Role_ROLE_ASSISTANT, ToolCalls: []*inferencev1.ToolCall{{Id: "c", Name: "f", ArgumentsJson: "{}"}}},
				FinishReason: inferencev1.FinishReason_FINISH_REASON_TOOL_CALLS, ProviderFinishReason: "tool_calls"},
		},
		Usage: &inferencev1.Usage{InputTokens: 11, OutputTokens: 7, TotalTokens: 18, CacheReadInputTokens: 3, ReasoningTokens: 2},
	}
	if !proto.Equal(got, want) {
		t.Fatalf("got %s\nwant %s", prototext.Format(got), prototext.Format(want))
	}
	if _, err := ParseChatResponse([]byte(`not json`)); err == nil {
		t.Error("garbage must not parse")
	}
}

func TestParseChunk(t *testing.T) {
	c, err := ParseChunk([]byte(`{"id":"x","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,
	  "delta":{"role":"assistant","content":"","tool_calls":[{"index":1,"id":"c","type":"function","function":{"name":"f","arguments":""}}]},"finish_reason":null}],"usage":null}`))
	if err != nil {
		t.Fatal(err)
	}
	d := c.GetDeltas()[0]
	if d.GetRole() != inferencev1.Role_ROLE_ASSISTANT || d.GetToolCalls()[0].GetIndex() != 1 || d.GetToolCalls()[0].GetName() != "f" || c.GetUsage() != nil {
		t.Errorf("chunk = %v", c)
	}
	c, err = ParseChunk([]byte(`{"id":"x","choices":[],"usage":{"prompt_tokens":2,"completion_tokens":3,"total_tokens":5}}`))
	if err != nil || len(c.GetDeltas()) != 0 || c.GetUsage().GetTotalTokens() != 5 {
		t.Errorf("usage chunk = %v %v", c, err)
	}
	c, err = ParseChunk([]byte(`{"error":{"message":"overloaded","type":"server_error","code":null}}`))
	if err != nil || c.GetError().GetMessage() != "overloaded" || c.GetError().GetCode() != "upstream_error" {
		t.Errorf("error chunk = %v %v", c, err)
	}
	if _, err := ParseChunk([]byte(`[1,2]`)); err == nil {
		t.Error("an array is not a chunk")
	}
}

func TestBuildEmbeddingsRequest(t *testing.T) {
	d := int32(4)
	b, err := BuildEmbeddingsRequest(&inferencev1.EmbeddingsRequest{Inputs: []string{"a", "b"}, Dimensions: &d, EncodingFormat: "base64"}, "emb")
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != `{"model":"emb","input":["a","b"],"encoding_format":"float","dimensions":4}` {
		t.Fatalf("got %s", b)
	}
	model, u, err := ParseEmbeddingsUsage([]byte(`{"object":"list","data":[{"embedding":"AAAA"}],"model":"e3","usage":{"prompt_tokens":4,"total_tokens":4}}`))
	if err != nil || model != "e3" || u.GetInputTokens() != 4 {
		t.Errorf("usage: %q %v %v", model, u, err)
	}
}
