package sink

import (
	"strings"
	"unicode/utf8"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	telemetryv1 "github.com/tollgate/tollgate/gen/go/tollgate/telemetry/v1"
)

// repairBatch replaces each event holding a string that is not valid UTF-8
// (a header with stray bytes, say), which protobuf refuses to encode, with a
// copy where the bad bytes are U+FFFD. The original is not modified: in the
// in-process wiring the server may still be reading it. Returns how many
// events were replaced.
func repairBatch(batch []*telemetryv1.UsageEvent) int {
	n := 0
	for i, e := range batch {
		if walkStrings(e.ProtoReflect(), false) {
			continue
		}
		c := proto.Clone(e).(*telemetryv1.UsageEvent)
		walkStrings(c.ProtoReflect(), true)
		batch[i] = c
		n++
	}
	return n
}

func validString(s string) bool { return utf8.ValidString(s) }

func mend(s string) string { return strings.ToValidUTF8(s, "\uFFFD") }

// walkStrings reports whether every string in m (nested messages, lists and
// maps included) is valid UTF-8; with fix it also mends the invalid ones.
func walkStrings(m protoreflect.Message, fix bool) bool {
	valid := true
	var badFields []protoreflect.FieldDescriptor
	m.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		switch {
		case fd.IsMap():
			if !walkMap(fd, v.Map(), fix) {
				valid = false
			}
		case fd.IsList():
			l := v.List()
			for i := 0; i < l.Len(); i++ {
				switch fd.Kind() {
				case protoreflect.StringKind:
					if s := l.Get(i).String(); !validString(s) {
						valid = false
						if fix {
							l.Set(i, protoreflect.ValueOfString(mend(s)))
						}
					}
				case protoreflect.MessageKind, protoreflect.GroupKind:
					if !walkStrings(l.Get(i).Message(), fix) {
						valid = false
					}
				}
			}
		case fd.Kind() == protoreflect.StringKind:
			if !validString(v.String()) {
				valid = false
				badFields = append(badFields, fd)
			}
		case fd.Kind() == protoreflect.MessageKind || fd.Kind() == protoreflect.GroupKind:
			if !walkStrings(v.Message(), fix) {
				valid = false
			}
		}
		return true
	})
	if fix {
		for _, fd := range badFields {
			m.Set(fd, protoreflect.ValueOfString(mend(m.Get(fd).String())))
		}
	}
	return valid
}

func walkMap(fd protoreflect.FieldDescriptor, mp protoreflect.Map, fix bool) bool {
	stringKeys := fd.MapKey().Kind() == protoreflect.StringKind
	valueKind := fd.MapValue().Kind()
	valid := true
	var bad []protoreflect.MapKey
	mp.Range(func(k protoreflect.MapKey, v protoreflect.Value) bool {
		switch {
		case stringKeys && !validString(k.String()),
			valueKind == protoreflect.StringKind && !validString(v.String()):
			valid = false
			bad = append(bad, k)
		case valueKind == protoreflect.MessageKind:
			if !walkStrings(v.Message(), fix) {
				valid = false
			}
		}
		return true
	})
	if fix {
		for _, k := range bad {
			v := mp.Get(k)
			mp.Clear(k)
			if valueKind == protoreflect.StringKind {
				v = protoreflect.ValueOfString(mend(v.String()))
			}
			if stringKeys {
				k = protoreflect.ValueOfString(mend(k.String())).MapKey()
			}
			mp.Set(k, v)
		}
	}
	return valid
}
