package sink

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	telemetryv1 "github.com/tollgate/tollgate/gen/go/tollgate/telemetry/v1"
)

// setEveryField sets every field of a UsageEvent (the payload and usage
// context aside, which eventSize leaves to protobuf) through reflection, with
// values of the given string length and the largest varints, so a field
// added later is covered here without editing the test.
func setEveryField(e *telemetryv1.UsageEvent, strLen int) {
	m := e.ProtoReflect()
	fields := m.Descriptor().Fields()
	for i := range fields.Len() {
		fd := fields.Get(i)
		switch {
		case fd.IsMap() || fd.Kind() == protoreflect.MessageKind:
		case fd.IsList():
			l := m.Mutable(fd).List()
			l.Append(protoreflect.ValueOfString(strings.Repeat("g", strLen)))
			l.Append(protoreflect.ValueOfString(""))
		case fd.Kind() == protoreflect.StringKind:
			m.Set(fd, protoreflect.ValueOfString(strings.Repeat("s", strLen)))
		case fd.Kind() == protoreflect.BoolKind:
			m.Set(fd, protoreflect.ValueOfBool(true))
		case fd.Kind() == protoreflect.Int32Kind:
			m.Set(fd, protoreflect.ValueOfInt32(-1)) // ten bytes
		case fd.Kind() == protoreflect.Int64Kind:
			m.Set(fd, protoreflect.ValueOfInt64(-1))
		default:
			panic(fmt.Sprintf("setEveryField: add kind %v (field %s)", fd.Kind(), fd.FullName()))
		}
	}
}

func TestEventSizeIsProtobufs(t *testing.T) {
	for _, strLen := range []int{0, 1, 127, 128, 20000} {
		var e telemetryv1.UsageEvent
		setEveryField(&e, strLen)
		if got, want := eventSize(&e), proto.Size(&e); got != want {
			t.Errorf("every field set, strings of %d bytes: %d, protobuf %d", strLen, got, want)
		}
	}
	rng := rand.New(rand.NewPCG(9, 10))
	for range 2000 {
		var e telemetryv1.UsageEvent
		setEveryField(&e, rng.IntN(300))
		// Then zero a random half of the fields, and vary the numbers.
		m := e.ProtoReflect()
		fields := m.Descriptor().Fields()
		for i := range fields.Len() {
			fd := fields.Get(i)
			switch {
			case rng.IntN(2) == 0:
				m.Clear(fd)
			case fd.Kind() == protoreflect.Int64Kind:
				m.Set(fd, protoreflect.ValueOfInt64(rng.Int64N(1<<uint(rng.IntN(62)+1))))
			case fd.Kind() == protoreflect.Int32Kind:
				m.Set(fd, protoreflect.ValueOfInt32(int32(rng.Int64N(1<<20))-1<<19))
			}
		}
		if got, want := eventSize(&e), proto.Size(&e); got != want {
			t.Fatalf("%v: %d, protobuf %d", &e, got, want)
		}
	}
}

func TestEventSizeOfTheRestIsProtobufs(t *testing.T) {
	unknown := &telemetryv1.UsageEvent{DatabricksRequestId: "r"}
	unknown.ProtoReflect().SetUnknown(protowire.AppendString(protowire.AppendTag(nil, 40, protowire.BytesType), strings.Repeat("x", 5000)))
	for name, e := range map[string]*telemetryv1.UsageEvent{
		"usage context":  {DatabricksRequestId: "r", UsageContext: map[string]string{"k": strings.Repeat("v", 3000)}},
		"payload":        {DatabricksRequestId: "r", Payload: &telemetryv1.InferencePayload{Request: make([]byte, 5000)}},
		"unknown fields": unknown,
	} {
		if got, want := eventSize(e), proto.Size(e); got != want {
			t.Errorf("%s: %d, protobuf %d", name, got, want)
		}
	}
}
