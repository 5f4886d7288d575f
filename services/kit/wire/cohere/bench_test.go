package cohere

import (
	"testing"

	inferencev1 "github.com/tollgate/tollgate/gen/go/tollgate/inference/v1"
)

func BenchmarkBuildRequest(b *testing.B) {
	req := &inferencev1.ChatRequest{
		Messages: []*inferencev1.Message{
			msg(inferencev1.Role_ROLE_SYSTEM, text("You are a coding agent.")),
			msg(inferencev1.Role_ROLE_USER, text("Weather in Paris?")),
			{Role: inferencev1.Role_ROLE_ASSISTANT, ToolCalls: []*inferencev1.ToolCall{{Id: "call_1", Name: "get_weather", ArgumentsJson: `{"city":"Paris"}`}}},
			{Role: inferencev1.Role_ROLE_TOOL, ToolCallId: "call_1", Content: []*inferencev1.ContentPart{text("sunny")}},
		},
		Tools: []*inferencev1.Tool{weatherTool},
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := BuildRequest(req, "command-a-03-2025"); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkStreamParseTextDelta(b *testing.B) {
	data := []byte(`{"type":"content-delta","index":0,"delta":{"message":{"content":{"text":"Hello there, how are you"}}}}`)
	p := NewStreamParser()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := p.Parse("content-delta", data); err != nil {
			b.Fatal(err)
		}
	}
}
