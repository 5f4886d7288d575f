package eventshape

import (
	"testing"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protodesc"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/descriptorpb"

	telemetryv1 "github.com/tollgate/tollgate/gen/go/tollgate/telemetry/v1"
)

func TestUsageEventIsKnown(t *testing.T) {
	if !Known {
		t.Fatal("UsageEvent changed: teach spool.appendEvent and delta.UsageRowDecoder its new fields, then update eventshape")
	}
}

// changedUsageEvent builds UsageEvent's descriptor after change edits it.
func changedUsageEvent(t *testing.T, change func(*descriptorpb.DescriptorProto)) protoreflect.MessageDescriptor {
	t.Helper()
	md := (&telemetryv1.UsageEvent{}).ProtoReflect().Descriptor()
	fdp := protodesc.ToFileDescriptorProto(md.ParentFile())
	fdp = proto.Clone(fdp).(*descriptorpb.FileDescriptorProto)
	for _, m := range fdp.MessageType {
		if m.GetName() == string(md.Name()) {
			change(m)
		}
	}
	fd, err := protodesc.NewFile(fdp, protoregistry.GlobalFiles)
	if err != nil {
		t.Fatal(err)
	}
	return fd.Messages().ByName(md.Name())
}

func field(m *descriptorpb.DescriptorProto, num int32) *descriptorpb.FieldDescriptorProto {
	for _, f := range m.Field {
		if f.GetNumber() == num {
			return f
		}
	}
	panic("no such field")
}

func TestAChangedUsageEventIsNotKnown(t *testing.T) {
	for name, change := range map[string]func(*descriptorpb.DescriptorProto){
		"a field added": func(m *descriptorpb.DescriptorProto) {
			m.Field = append(m.Field, &descriptorpb.FieldDescriptorProto{
				Name: proto.String("region"), JsonName: proto.String("region"), Number: proto.Int32(34),
				Type: descriptorpb.FieldDescriptorProto_TYPE_STRING.Enum(), Label: descriptorpb.FieldDescriptorProto_LABEL_OPTIONAL.Enum()})
		},
		"a type changed": func(m *descriptorpb.DescriptorProto) {
			field(m, 9).Type = descriptorpb.FieldDescriptorProto_TYPE_SINT32.Enum()
		},
		"a string made repeated": func(m *descriptorpb.DescriptorProto) {
			field(m, 17).Label = descriptorpb.FieldDescriptorProto_LABEL_REPEATED.Enum()
		},
		"a field renumbered": func(m *descriptorpb.DescriptorProto) {
			field(m, 32).Number = proto.Int32(40)
		},
	} {
		if known(changedUsageEvent(t, change)) {
			t.Errorf("%s: still taken for the known UsageEvent", name)
		}
	}
	if !known(changedUsageEvent(t, func(*descriptorpb.DescriptorProto) {})) {
		t.Error("an unchanged copy is not known: the test's rebuilding is off")
	}
}
