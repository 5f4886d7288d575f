package serve

import (
	"testing"

	"google.golang.org/grpc/encoding"
	"google.golang.org/protobuf/proto"
)

// BenchmarkCodec is one mesh hop's encoding work for a message: the sender
// marshals it, the receiver unmarshals it into a fresh message. "reflection"
// is grpc-go's protobuf-go codec (before), "vtproto" the mesh codec (after).
func BenchmarkCodec(b *testing.B) {
	mesh, reflection := codecs(b)
	messages := []struct {
		name string
		msg  proto.Message
	}{
		{"ChatRequest", testChatRequest([]byte(`{"model":"chat","messages":[{"role":"system","content":"You are terse."},{"role":"user","content":"What is the weather in Zürich?"}],"tools":[{"type":"function","function":{"name":"weather"}}]}`))},
		{"ChatResponse", testChatResponse()},
		{"UsageEvent", testUsageEvent()},
		{"IngestRequest", testIngestRequest()},
	}
	for _, m := range messages {
		for _, c := range []struct {
			name  string
			codec encoding.CodecV2
		}{{"reflection", reflection}, {"vtproto", mesh}} {
			b.Run(m.name+"/"+c.name, func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					data, err := c.codec.Marshal(m.msg)
					if err != nil {
						b.Fatal(err)
					}
					into := m.msg.ProtoReflect().New().Interface()
					if err := c.codec.Unmarshal(data, into); err != nil {
						b.Fatal(err)
					}
					data.Free()
				}
			})
		}
	}
}
