package serve

import (
	"bytes"
	"math"
	"strings"
	"testing"

	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/mem"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/structpb"

	authzv1 "github.com/tollgate/tollgate/gen/go/tollgate/authz/v1"
	inferencev1 "github.com/tollgate/tollgate/gen/go/tollgate/inference/v1"
	provideradapterv1 "github.com/tollgate/tollgate/gen/go/tollgate/provideradapter/v1"
	telemetryv1 "github.com/tollgate/tollgate/gen/go/tollgate/telemetry/v1"
)

func meshMessages() map[string]proto.Message {
	return map[string]proto.Message{
		"ChatRequest":        testChatRequest([]byte(`{"model":"chat","messages":[{"role":"user","content":"hi"}]}`)),
		"ChatResponse":       testChatResponse(),
		"ChatStreamResponse": &provideradapterv1.ChatStreamResponse{Chunk: &inferencev1.ChatChunk{Id: "c", Deltas: []*inferencev1.ChoiceDelta{{Text: "21"}}}, MoreChunks: []*inferencev1.ChatChunk{{Id: "c", RawEvent: "data: [DONE]"}}},
		"UsageEvent":         testUsageEvent(),
		"IngestRequest":      testIngestRequest(),
		"Empty":              &provideradapterv1.ChatRequest{},
	}
}

// Each side of a hop may run either codec (a rolling upgrade, another
// client): what one encodes the other decodes to an equal message, and the
// bytes are protobuf-go's own.
func TestCodecRoundTripsLikeReflection(t *testing.T) {
	mesh, reflection := codecs(t)
	for name, m := range meshMessages() {
		t.Run(name, func(t *testing.T) {
			if _, ok := m.(vtMessage); !ok {
				t.Fatalf("%T has no vtprotobuf methods: is gen/ generated with protoc-gen-go-vtproto?", m)
			}
			fast := marshalWith(t, mesh, m)
			slow := marshalWith(t, reflection, m)
			if !bytes.Equal(fast, slow) {
				t.Errorf("encodings differ:\nvtproto    %x\nreflection %x", fast, slow)
			}
			if got := unmarshalWith(t, reflection, fast, m.ProtoReflect().New().Interface()); !proto.Equal(got, m) {
				t.Errorf("reflection decode of the mesh encoding = %v, want %v", got, m)
			}
			if got := unmarshalWith(t, mesh, slow, m.ProtoReflect().New().Interface()); !proto.Equal(got, m) {
				t.Errorf("mesh decode of the reflection encoding = %v, want %v", got, m)
			}
		})
	}
}

// Corners where an encoder could choose differently: the mesh codec sends
// protobuf-go's bytes for each, and both decoders read them alike. A float
// without presence holding -0 is one the generated encoder alone would drop.
func TestCodecEncodesCornersLikeProtobuf(t *testing.T) {
	mesh, reflection := codecs(t)
	negativeZero := math.Copysign(0, -1)
	ingest := testIngestRequest()
	ingest.Events[1].Payload.SamplingFraction = negativeZero
	for name, m := range map[string]proto.Message{
		"nil list element":        &inferencev1.ChatRequest{Messages: []*inferencev1.Message{nil, {}}},
		"nil map message value":   &authzv1.PolicySnapshot{Tokens: map[string]*authzv1.TokenGrant{"k": nil}},
		"nil oneof message":       &inferencev1.ContentPart{Part: &inferencev1.ContentPart_Image{}},
		"empty oneof string":      &inferencev1.ContentPart{Part: &inferencev1.ContentPart_Text{}},
		"empty map entry":         &inferencev1.ChatRequest{Metadata: map[string]string{"": ""}},
		"empty optional bytes":    &inferencev1.Image{Data: []byte{}},
		"negative int32":          &telemetryv1.UsageEvent{StatusCode: -1},
		"NaN double":              &telemetryv1.InferencePayload{SamplingFraction: math.NaN()},
		"-0 optional double":      &inferencev1.Sampling{Temperature: proto.Float64(negativeZero)},
		"-0 repeated float":       &inferencev1.Embedding{Values: []float32{float32(negativeZero), 0}},
		"-0 double":               &telemetryv1.UsageAggregate{LatencyP50Ms: negativeZero},
		"-0 double in a list":     ingest,
		"-0 double, none present": &telemetryv1.UsageAggregate{LatencyP99Ms: 1.5},
	} {
		fast := marshalWith(t, mesh, m)
		if slow := marshalWith(t, reflection, m); !bytes.Equal(fast, slow) {
			t.Errorf("%s: encoded %x, protobuf-go %x", name, fast, slow)
		}
		viaMesh := unmarshalWith(t, mesh, fast, m.ProtoReflect().New().Interface())
		viaReflection := unmarshalWith(t, reflection, fast, m.ProtoReflect().New().Interface())
		if !proto.Equal(viaMesh, viaReflection) {
			t.Errorf("%s: decoded %v, protobuf-go %v", name, viaMesh, viaReflection)
		}
	}
	got := unmarshalWith(t, mesh, marshalWith(t, mesh, ingest), &telemetryv1.IngestRequest{}).(*telemetryv1.IngestRequest)
	if f := got.Events[1].Payload.SamplingFraction; f != 0 || !math.Signbit(f) {
		t.Fatalf("sampling fraction arrived as %v, want -0", f)
	}
}

// Messages above grpc-go's buffer pooling threshold are encoded into a
// pooled buffer; a big request body must arrive byte for byte.
func TestCodecRoundTripsPooledBuffers(t *testing.T) {
	mesh, reflection := codecs(t)
	body := bytes.Repeat([]byte(`{"role":"user","content":"Grüezi"},`), 8<<10)
	m := testChatRequest(body)
	if mem.IsBelowBufferPoolingThreshold(proto.Size(m)) {
		t.Fatalf("a %d-byte message is not pooled; make it bigger", proto.Size(m))
	}
	fast := marshalWith(t, mesh, m)
	if !bytes.Equal(fast, marshalWith(t, reflection, m)) {
		t.Fatal("pooled encoding differs from protobuf-go's")
	}
	got := unmarshalWith(t, mesh, fast, &provideradapterv1.ChatRequest{}).(*provideradapterv1.ChatRequest)
	if !proto.Equal(got, m) || !bytes.Equal(got.GetRequest().GetSource().GetOriginalBody(), body) {
		t.Fatal("pooled round trip lost the body")
	}
}

// A newer peer's fields this build does not know pass through a hop
// untouched, at the top level and nested, as with protobuf-go.
func TestCodecKeepsUnknownFields(t *testing.T) {
	mesh, reflection := codecs(t)
	var unknown []byte
	unknown = protowire.AppendTag(unknown, 999, protowire.VarintType)
	unknown = protowire.AppendVarint(unknown, 42)
	unknown = protowire.AppendTag(unknown, 1000, protowire.BytesType)
	unknown = protowire.AppendString(unknown, "from a newer router")

	sent := testChatRequest([]byte("{}"))
	sent.ProtoReflect().SetUnknown(unknown)
	sent.Request.Messages[1].ProtoReflect().SetUnknown(unknown)
	wire := marshalWith(t, reflection, sent)

	got := unmarshalWith(t, mesh, wire, &provideradapterv1.ChatRequest{}).(*provideradapterv1.ChatRequest)
	if !bytes.Equal(got.ProtoReflect().GetUnknown(), unknown) || !bytes.Equal(got.Request.Messages[1].ProtoReflect().GetUnknown(), unknown) {
		t.Fatalf("unknown fields after decode: top %x, nested %x; want %x", got.ProtoReflect().GetUnknown(), got.Request.Messages[1].ProtoReflect().GetUnknown(), unknown)
	}
	if !proto.Equal(got, sent) {
		t.Fatal("decoded message differs from the sent one")
	}
	if forwarded := marshalWith(t, mesh, got); !bytes.Equal(forwarded, wire) {
		t.Fatalf("re-encoding changed the bytes:\ngot  %x\nwant %x", forwarded, wire)
	}
}

// Messages without vtprotobuf methods (health checks, well-known types,
// OTLP export) are grpc-go's codec's business, bytes and errors alike.
func TestCodecFallsBackForOtherMessages(t *testing.T) {
	mesh, reflection := codecs(t)
	st, err := structpb.NewStruct(map[string]any{"k": "v", "n": 1.5})
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range []proto.Message{
		durationpb.New(1500_000_000),
		st,
		&healthpb.HealthCheckResponse{Status: healthpb.HealthCheckResponse_SERVING},
	} {
		if _, ok := m.(vtMessage); ok {
			t.Fatalf("%T unexpectedly has vtprotobuf methods", m)
		}
		fast := marshalWith(t, mesh, m)
		got := unmarshalWith(t, mesh, fast, m.ProtoReflect().New().Interface())
		if !proto.Equal(got, m) {
			t.Errorf("%T: round trip = %v, want %v", m, got, m)
		}
	}
	if _, err := mesh.Marshal("not a message"); err == nil {
		t.Error("marshalling a string succeeded")
	} else if _, want := reflection.Marshal("not a message"); err.Error() != want.Error() {
		t.Errorf("error %q, want grpc-go's %q", err, want)
	}
}

// protobuf-go's Unmarshal replaces what the message held; so must the
// codec (UnmarshalVT alone merges into it).
func TestCodecUnmarshalReplacesTheMessage(t *testing.T) {
	mesh, _ := codecs(t)
	wire := marshalWith(t, mesh, testUsageEvent())
	dirty := &telemetryv1.UsageEvent{Model: "stale", Groups: []string{"stale"}, UsageContext: map[string]string{"stale": "1"}}
	if got := unmarshalWith(t, mesh, wire, dirty); !proto.Equal(got, testUsageEvent()) {
		t.Fatalf("decode into a used message = %v", got)
	}
}

// Input the generated decoder refuses but protobuf-go accepts — here a
// known string field sent with another wire type, which protobuf-go keeps
// as an unknown field — decodes as protobuf-go decodes it.
func TestCodecLeavesDeclinedInputToProtobuf(t *testing.T) {
	mesh, reflection := codecs(t)
	var wire []byte
	wire = protowire.AppendTag(wire, 19, protowire.BytesType) // model
	wire = protowire.AppendString(wire, "gpt")
	wire = protowire.AppendTag(wire, 1, protowire.VarintType) // databricks_request_id is a string
	wire = protowire.AppendVarint(wire, 7)
	if err := (&telemetryv1.UsageEvent{}).UnmarshalVT(wire); err == nil {
		t.Fatal("UnmarshalVT accepted a mistyped field: this test no longer shows the fallback")
	}
	want := unmarshalWith(t, reflection, wire, &telemetryv1.UsageEvent{})
	got := unmarshalWith(t, mesh, wire, &telemetryv1.UsageEvent{})
	if !proto.Equal(got, want) || got.(*telemetryv1.UsageEvent).Model != "gpt" {
		t.Fatalf("got %v, want protobuf-go's %v", got, want)
	}
}

// Content parts nest through tool results without bound in the schema;
// protobuf-go refuses nesting deeper than its recursion limit, and so does
// the codec, with the same error (the generated decoder has no limit).
func TestCodecRefusesNestingBeyondProtobufsLimit(t *testing.T) {
	mesh, reflection := codecs(t)
	for _, levels := range []int{100, protowire.DefaultRecursionLimit/2 - 1, protowire.DefaultRecursionLimit / 2, protowire.DefaultRecursionLimit} {
		wire := nestedContentParts(levels)
		wantErr := reflection.Unmarshal(mem.BufferSlice{mem.SliceBuffer(wire)}, &inferencev1.ContentPart{})
		err := mesh.Unmarshal(mem.BufferSlice{mem.SliceBuffer(wire)}, &inferencev1.ContentPart{})
		switch {
		case (err == nil) != (wantErr == nil):
			t.Errorf("%d levels: err %v, protobuf-go's %v", levels, err, wantErr)
		case err != nil && err.Error() != wantErr.Error():
			t.Errorf("%d levels: err %q, want %q", levels, err, wantErr)
		}
		if levels == protowire.DefaultRecursionLimit && (wantErr == nil || !strings.Contains(wantErr.Error(), "recursion")) {
			t.Errorf("protobuf-go's verdict on %d levels is %v, want a recursion error", levels, wantErr)
		}
	}
}

// nestedContentParts encodes a ContentPart holding a tool result holding a
// content part… levels times over, innermost a text part.
func nestedContentParts(levels int) []byte {
	var inner []byte
	inner = protowire.AppendTag(inner, 1, protowire.BytesType)
	inner = protowire.AppendString(inner, "deep")
	// Built back to front: each level prepends ContentPart.tool_result (3)
	// and ToolResult.content (2) headers.
	buf := make([]byte, 16*levels+len(inner))
	pos := len(buf) - len(inner)
	copy(buf[pos:], inner)
	prepend := func(num protowire.Number) {
		var head []byte
		head = protowire.AppendTag(head, num, protowire.BytesType)
		head = protowire.AppendVarint(head, uint64(len(buf)-pos))
		pos -= len(head)
		copy(buf[pos:], head)
	}
	for range levels {
		prepend(2)
		prepend(3)
	}
	return buf[pos:]
}
