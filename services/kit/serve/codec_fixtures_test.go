package serve

import (
	"bytes"
	"testing"

	"google.golang.org/grpc/encoding"
	grpcproto "google.golang.org/grpc/encoding/proto"
	"google.golang.org/grpc/mem"
	"google.golang.org/protobuf/proto"

	inferencev1 "github.com/tollgate/tollgate/gen/go/tollgate/inference/v1"
	provideradapterv1 "github.com/tollgate/tollgate/gen/go/tollgate/provideradapter/v1"
	telemetryv1 "github.com/tollgate/tollgate/gen/go/tollgate/telemetry/v1"
)

// Messages as they cross the mesh. Maps hold one entry, so that two
// encoders' bytes can be compared (map order is not deterministic).

func text(s string) *inferencev1.ContentPart {
	return &inferencev1.ContentPart{Part: &inferencev1.ContentPart_Text{Text: s}}
}

func testChatRequest(body []byte) *provideradapterv1.ChatRequest {
	return &provideradapterv1.ChatRequest{
		Target: &provideradapterv1.Target{EndpointName: "chat", ServedEntityName: "gpt-4o-mini", RequestId: "req-7f3a", Attempt: 1},
		Request: &inferencev1.ChatRequest{
			Model: "gpt-4o-mini-2024-07-18",
			Messages: []*inferencev1.Message{
				{Role: inferencev1.Role_ROLE_SYSTEM, Content: []*inferencev1.ContentPart{text("You are terse.")}},
				{Role: inferencev1.Role_ROLE_USER, Content: []*inferencev1.ContentPart{
					text("What is the weather in Zürich? ☀"),
					{Part: &inferencev1.ContentPart_Image{Image: &inferencev1.Image{MediaType: "image/png", Data: []byte{0x89, 'P', 'N', 'G', 0, 0xff}}}},
				}},
				{Role: inferencev1.Role_ROLE_ASSISTANT, ToolCalls: []*inferencev1.ToolCall{{Id: "call_1", Name: "weather", ArgumentsJson: `{"city":"Zürich"}`}}},
				{Role: inferencev1.Role_ROLE_TOOL, ToolCallId: "call_1", Content: []*inferencev1.ContentPart{
					{Part: &inferencev1.ContentPart_ToolResult{ToolResult: &inferencev1.ToolResult{
						ToolCallId: "call_1", Name: "weather", Content: []*inferencev1.ContentPart{text(`{"temp_c":21}`)},
					}}},
				}},
			},
			Tools: []*inferencev1.Tool{{
				Name: "weather", Description: "Current weather for a city.", Type: "function", Strict: true,
				ParametersJson: `{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}`,
			}},
			ToolChoice: &inferencev1.ToolChoice{Mode: inferencev1.ToolChoiceMode_TOOL_CHOICE_MODE_AUTO},
			Sampling:   &inferencev1.Sampling{Temperature: proto.Float64(0.2), MaxTokens: proto.Int32(256), Stop: []string{"\n\n", "END"}, Seed: proto.Int64(-3)},
			Source: &inferencev1.Source{
				Dialect: inferencev1.Dialect_DIALECT_OPENAI_CHAT, OriginalBody: body, ClientModel: "chat",
				Headers: map[string]string{"openai-beta": "assistants=v2"},
			},
			ParallelToolCalls: proto.Bool(false),
			Metadata:          map[string]string{"user_id": "u-1"},
		},
	}
}

func testChatResponse() *provideradapterv1.ChatResponse {
	return &provideradapterv1.ChatResponse{
		Provider: "openai",
		Response: &inferencev1.ChatResponse{
			Id: "chatcmpl-9", Model: "gpt-4o-mini-2024-07-18", Created: 1_767_225_600,
			Choices: []*inferencev1.Choice{{
				Message: &inferencev1.Message{Role: inferencev1.Role_ROLE_ASSISTANT, Content: []*inferencev1.ContentPart{
					text("21 °C and sunny."),
					{Part: &inferencev1.ContentPart_Reasoning{Reasoning: &inferencev1.ReasoningPart{Text: "look up", Signature: "sig"}}},
				}},
				FinishReason: inferencev1.FinishReason_FINISH_REASON_STOP, ProviderFinishReason: "stop",
			}},
			Usage:      &inferencev1.Usage{InputTokens: 57, OutputTokens: 9, TotalTokens: 66, CacheReadInputTokens: 32},
			Raw:        []byte(`{"id":"chatcmpl-9","object":"chat.completion","choices":[{"index":0}]}`),
			RawDialect: inferencev1.Dialect_DIALECT_OPENAI_CHAT,
		},
	}
}

func testUsageEvent() *telemetryv1.UsageEvent {
	return &telemetryv1.UsageEvent{
		DatabricksRequestId: "req-7f3a", ClientRequestId: "client-1", AccountId: "acct", WorkspaceId: "ws",
		ServedEntityId: "se-1", Requester: "alice@example.com", RequesterType: "USER", Groups: []string{"eng", ""},
		StatusCode: 200, RequestTimeUnixMs: 1_767_225_600_123, InputTokenCount: 57, OutputTokenCount: 9,
		InputCharacterCount: 230, OutputCharacterCount: 16, UsageContext: map[string]string{"project": "zürich"},
		RequestStreaming: true, EndpointName: "chat", Provider: "openai", Model: "gpt-4o-mini", UserAgent: "openai-python/1.40",
		ClientKind: "sdk", ApiType: "chat/completions", LatencyMs: 412, TimeToFirstByteMs: -1, FallbackAttempts: 1,
		ServedEntityName: "gpt-4o-mini",
		Payload:          &telemetryv1.InferencePayload{Request: []byte(`{"model":"chat"}`), Response: []byte(`{}`), SamplingFraction: 0.01, LoggingErrorCodes: []string{"TRUNCATED"}},
	}
}

func testIngestRequest() *telemetryv1.IngestRequest {
	return &telemetryv1.IngestRequest{Sender: "router-a", Events: []*telemetryv1.UsageEvent{testUsageEvent(), testUsageEvent()}}
}

// codecs are the codec under test, as registered, and grpc-go's own
// reflection-driven proto codec it replaced (and keeps for fallback).
func codecs(t testing.TB) (mesh, reflection encoding.CodecV2) {
	t.Helper()
	c, ok := encoding.GetCodecV2(grpcproto.Name).(meshCodec)
	if !ok {
		t.Fatalf("registered proto codec is %T, want meshCodec", encoding.GetCodecV2(grpcproto.Name))
	}
	return c, c.reflection
}

func marshalWith(t testing.TB, c encoding.CodecV2, m proto.Message) []byte {
	t.Helper()
	data, err := c.Marshal(m)
	if err != nil {
		t.Fatalf("%T marshal %T: %v", c, m, err)
	}
	defer data.Free()
	return bytes.Clone(data.Materialize())
}

func unmarshalWith(t testing.TB, c encoding.CodecV2, b []byte, into proto.Message) proto.Message {
	t.Helper()
	if err := c.Unmarshal(mem.BufferSlice{mem.SliceBuffer(b)}, into); err != nil {
		t.Fatalf("%T unmarshal %T: %v", c, into, err)
	}
	return into
}
