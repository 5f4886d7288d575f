// Package eventshape says whether UsageEvent is still the message the
// telemetry service's hand-written encoder (spool) and decoder (delta) were
// written for. They handle its fields directly instead of through protobuf's
// reflection, which is what an ingested event costs most; if the generated
// code changes (a field added, a type changed), Known turns false and both
// step aside for protobuf until they are taught the new shape.
package eventshape

import (
	"google.golang.org/protobuf/reflect/protoreflect"

	telemetryv1 "github.com/tollgate/tollgate/gen/go/tollgate/telemetry/v1"
)

// fields are UsageEvent's fields by number: kind and cardinality.
var fields = map[protoreflect.FieldNumber]struct {
	kind     protoreflect.Kind
	repeated bool
}{
	1: {kind: protoreflect.StringKind}, 2: {kind: protoreflect.StringKind}, 3: {kind: protoreflect.StringKind},
	4: {kind: protoreflect.StringKind}, 5: {kind: protoreflect.StringKind}, 6: {kind: protoreflect.StringKind},
	7: {kind: protoreflect.StringKind}, 8: {kind: protoreflect.StringKind, repeated: true},
	9: {kind: protoreflect.Int32Kind}, 10: {kind: protoreflect.Int64Kind}, 11: {kind: protoreflect.Int64Kind},
	12: {kind: protoreflect.Int64Kind}, 13: {kind: protoreflect.Int64Kind}, 14: {kind: protoreflect.Int64Kind},
	15: {kind: protoreflect.MessageKind, repeated: true}, // map<string, string>, checked below
	16: {kind: protoreflect.BoolKind}, 17: {kind: protoreflect.StringKind}, 18: {kind: protoreflect.StringKind},
	19: {kind: protoreflect.StringKind}, 20: {kind: protoreflect.StringKind}, 21: {kind: protoreflect.StringKind},
	22: {kind: protoreflect.StringKind}, 23: {kind: protoreflect.Int64Kind}, 24: {kind: protoreflect.Int64Kind},
	25: {kind: protoreflect.Int64Kind}, 26: {kind: protoreflect.Int64Kind}, 27: {kind: protoreflect.Int64Kind},
	28: {kind: protoreflect.Int32Kind}, 29: {kind: protoreflect.BoolKind}, 30: {kind: protoreflect.StringKind},
	31: {kind: protoreflect.BoolKind}, 32: {kind: protoreflect.StringKind},
	33: {kind: protoreflect.MessageKind}, // the payload, which both leave to protobuf
}

// Known reports whether UsageEvent has exactly the fields above.
var Known = known((&telemetryv1.UsageEvent{}).ProtoReflect().Descriptor())

func known(md protoreflect.MessageDescriptor) bool {
	fds := md.Fields()
	if fds.Len() != len(fields) {
		return false
	}
	for i := range fds.Len() {
		fd := fds.Get(i)
		want, ok := fields[fd.Number()]
		repeated := fd.IsList() || fd.IsMap()
		// Explicit presence (proto3 optional) would mean writing zero values.
		presence := fd.HasPresence() && fd.Kind() != protoreflect.MessageKind
		if !ok || fd.Kind() != want.kind || repeated != want.repeated || presence {
			return false
		}
		if fd.Number() == 15 && (!fd.IsMap() || fd.MapKey().Kind() != protoreflect.StringKind || fd.MapValue().Kind() != protoreflect.StringKind) {
			return false
		}
	}
	return true
}
