package serve

import (
	"bytes"
	"strings"
	"testing"

	"google.golang.org/grpc/mem"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"

	_ "github.com/tollgate/tollgate/gen/go/tollgate/authz/v1"
	_ "github.com/tollgate/tollgate/gen/go/tollgate/quota/v1"
	_ "github.com/tollgate/tollgate/gen/go/tollgate/router/v1"
)

// A string that is not UTF-8 fails a call exactly as it did with
// protobuf-go — same error, on the same side — wherever it sits: every
// string field of every Tollgate message, and every string field one
// message deeper (list elements, map keys and values, oneofs included).
func TestCodecRefusesInvalidUTF8LikeProtobuf(t *testing.T) {
	mesh, reflection := codecs(t)
	const marker = "\x01mark\x01" // valid UTF-8 of the same length as bad
	const bad = "\xffmark\xff"
	cases := 0
	protoregistry.GlobalTypes.RangeMessages(func(mt protoreflect.MessageType) bool {
		if !strings.HasPrefix(string(mt.Descriptor().FullName()), "tollgate.") {
			return true
		}
		if _, ok := mt.New().Interface().(vtMessage); !ok {
			t.Errorf("%s has no vtprotobuf methods", mt.Descriptor().FullName())
			return true
		}
		for _, site := range stringSites(mt.Descriptor()) {
			cases++
			name := string(mt.Descriptor().FullName()) + "." + site.path

			// Sending: both codecs refuse, with protobuf-go's error.
			m := mt.New()
			site.place(m, bad)
			_, wantErr := reflection.Marshal(m.Interface())
			_, err := mesh.Marshal(m.Interface())
			if wantErr == nil || err == nil || err.Error() != wantErr.Error() {
				t.Errorf("%s: marshal error %v, protobuf-go's %v", name, err, wantErr)
			}

			// Receiving bytes some other encoder sent: refused alike.
			ok := mt.New()
			site.place(ok, marker)
			wire, err := proto.Marshal(ok.Interface())
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			if bytes.Count(wire, []byte(marker)) != 1 {
				t.Fatalf("%s: marker not found once in %x", name, wire)
			}
			wire = bytes.Replace(wire, []byte(marker), []byte(bad), 1)
			wantErr = reflection.Unmarshal(mem.BufferSlice{mem.SliceBuffer(wire)}, mt.New().Interface())
			err = mesh.Unmarshal(mem.BufferSlice{mem.SliceBuffer(wire)}, mt.New().Interface())
			if wantErr == nil || err == nil || err.Error() != wantErr.Error() {
				t.Errorf("%s: unmarshal error %v, protobuf-go's %v", name, err, wantErr)
			}

			// And the valid marker goes through.
			got := mt.New().Interface()
			if err := mesh.Unmarshal(mem.BufferSlice{mem.SliceBuffer(bytes.Replace(wire, []byte(bad), []byte(marker), 1))}, got); err != nil || !proto.Equal(got, ok.Interface()) {
				t.Errorf("%s: valid string: %v, %v", name, err, got)
			}
		}
		return true
	})
	if cases < 100 {
		t.Fatalf("only %d string fields found: are the Tollgate packages linked in?", cases)
	}
}

// The telemetry sink's repair path depends on this: an event with a bad
// header is refused when sent, then mended.
func TestCodecRefusesInvalidUTF8InAnIngestBatch(t *testing.T) {
	mesh, _ := codecs(t)
	req := testIngestRequest()
	req.Events[1].UsageContext = map[string]string{"k": "v\xc0"}
	if _, err := mesh.Marshal(req); err == nil || !strings.Contains(err.Error(), "UTF-8") {
		t.Fatalf("marshal error %v, want protobuf-go's invalid UTF-8 error", err)
	}
	req.Events[1].UsageContext = map[string]string{"k": "v\uFFFD"}
	if _, err := mesh.Marshal(req); err != nil {
		t.Fatalf("mended batch: %v", err)
	}
}

// stringSite is one place in a message where a string can be put.
type stringSite struct {
	path  string
	place func(m protoreflect.Message, s string)
}

// stringSites are the message's string fields and those of the messages
// its fields hold, one level down.
func stringSites(md protoreflect.MessageDescriptor) []stringSite {
	var sites []stringSite
	fields := md.Fields()
	for i := 0; i < fields.Len(); i++ {
		fd := fields.Get(i)
		sites = append(sites, directStrings(fd)...)
		sub := messageOf(fd)
		if sub == nil {
			continue
		}
		inner := sub.Fields()
		for j := 0; j < inner.Len(); j++ {
			for _, in := range directStrings(inner.Get(j)) {
				sites = append(sites, stringSite{
					path:  string(fd.Name()) + "." + in.path,
					place: func(m protoreflect.Message, s string) { in.place(newChild(m, fd), s) },
				})
			}
		}
	}
	return sites
}

// directStrings are the places fd holds strings itself: the field, an
// element of the list, a map key or value.
func directStrings(fd protoreflect.FieldDescriptor) []stringSite {
	name := string(fd.Name())
	switch {
	case fd.IsMap():
		key, val := fd.MapKey(), fd.MapValue()
		var sites []stringSite
		if key.Kind() == protoreflect.StringKind {
			sites = append(sites, stringSite{path: name + "[key]", place: func(m protoreflect.Message, s string) {
				mp := m.Mutable(fd).Map()
				mp.Set(protoreflect.ValueOfString(s).MapKey(), mp.NewValue())
			}})
		}
		if val.Kind() == protoreflect.StringKind {
			sites = append(sites, stringSite{path: name + "[value]", place: func(m protoreflect.Message, s string) {
				m.Mutable(fd).Map().Set(key.Default().MapKey(), protoreflect.ValueOfString(s))
			}})
		}
		return sites
	case fd.Kind() != protoreflect.StringKind:
		return nil
	case fd.IsList():
		return []stringSite{{path: name + "[]", place: func(m protoreflect.Message, s string) {
			m.Mutable(fd).List().Append(protoreflect.ValueOfString(s))
		}}}
	default:
		return []stringSite{{path: name, place: func(m protoreflect.Message, s string) {
			m.Set(fd, protoreflect.ValueOfString(s))
		}}}
	}
}

// messageOf is the message type fd holds (as field, list or map value).
func messageOf(fd protoreflect.FieldDescriptor) protoreflect.MessageDescriptor {
	if fd.IsMap() {
		fd = fd.MapValue()
	}
	if fd.Kind() != protoreflect.MessageKind {
		return nil
	}
	return fd.Message()
}

// newChild adds a fresh message to fd of m and returns it.
func newChild(m protoreflect.Message, fd protoreflect.FieldDescriptor) protoreflect.Message {
	switch {
	case fd.IsMap():
		mp := m.Mutable(fd).Map()
		v := mp.NewValue()
		mp.Set(fd.MapKey().Default().MapKey(), v)
		return v.Message()
	case fd.IsList():
		l := m.Mutable(fd).List()
		v := l.NewElement()
		l.Append(v)
		return v.Message()
	default:
		return m.Mutable(fd).Message()
	}
}
