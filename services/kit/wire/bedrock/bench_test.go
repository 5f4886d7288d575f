package bedrock

import (
	"testing"

	inferencev1 "github.com/tollgate/tollgate/gen/go/tollgate/inference/v1"
)

func BenchmarkBuildRequest(b *testing.B) {
	req := &inferencev1.ChatRequest{
		Messages: []*inferencev1.Message{
			msg(inferencev1.Role_ROLE_SYSTEM, text("You are a coding agent.")),
			msg(inferencev1.Role_ROLE_USER, text("Weather in Paris?")),
			callMsg(&inferencev1.ToolCall{Id: "call_1", Name: "get_weather", ArgumentsJson: `{"city":"Paris"}`}),
			toolMsg("call_1", "sunny"),
		},
		Tools:    []*inferencev1.Tool{weatherTool},
		Sampling: &inferencev1.Sampling{MaxTokens: ptr[int32](1000)},
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := BuildRequest(req, "anthropic.claude-3-5-sonnet-20240620-v1:0"); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkStreamParseTextDelta(b *testing.B) {
	payload := []byte(`{"contentBlockIndex":0,"delta":{"text":"Hello there, how are you"},"p":"abcdefghijklmnopqrstuvwxyzABCDEFGHIJ"}`)
	p := NewStreamParser()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := p.Parse(EventContentBlockDelta, payload); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkStreamParseToolDelta(b *testing.B) {
	p := NewStreamParser()
	if _, err := p.Parse(EventContentBlockStart, []byte(`{"contentBlockIndex":0,"start":{"toolUse":{"toolUseId":"t","name":"f"}}}`)); err != nil {
		b.Fatal(err)
	}
	payload := []byte(`{"contentBlockIndex":0,"delta":{"toolUse":{"input":"{\"city\":\"Pa"}},"p":"abcdefghijklmnop"}`)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := p.Parse(EventContentBlockDelta, payload); err != nil {
			b.Fatal(err)
		}
	}
}
