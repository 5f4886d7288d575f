package serve

import (
	"unicode/utf8"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// protobuf-go refuses to encode or decode a proto3 string that is not
// UTF-8; the generated vtprotobuf code does not check. So that such a call
// still fails as it did (the telemetry sink, for one, mends events after
// that failure), the codec reads the wire bytes once with a stringsPlan and
// leaves any message holding a bad string to protobuf-go. The plan is
// derived from the descriptors, so it follows the .proto files by itself.

// stringsPlan says, for one message type, which fields on the wire are
// strings protobuf-go validates and which are messages holding such strings.
type stringsPlan struct {
	dense  []stringsField // indexed by field number, for the common small numbers
	sparse map[protowire.Number]stringsField
	// checks is whether a message of this type needs reading at all: it
	// holds a validated string somewhere, or nests itself (then the depth
	// protobuf-go allows is watched too).
	checks bool
}

// stringsField is one field worth looking into.
type stringsField struct {
	utf8 bool         // a string protobuf-go validates
	msg  *stringsPlan // a message (or map entry) with such strings inside
}

// maxDenseField bounds the dense table; larger field numbers go to the map.
const maxDenseField = 1 << 10

func (p *stringsPlan) field(num protowire.Number) stringsField {
	if uint64(num) < uint64(len(p.dense)) {
		return p.dense[num]
	}
	return p.sparse[num]
}

// valid reports whether the encoded message b, nested depth levels deep,
// holds only valid UTF-8 in the strings protobuf-go validates and is well
// formed as far as it was read; false sends the message to protobuf-go.
// It runs on every message sent and received, so the common one-byte tags
// and lengths are decoded inline.
func (p *stringsPlan) valid(b []byte, depth int) bool {
	if !p.checks {
		return true
	}
	if depth >= protowire.DefaultRecursionLimit {
		return false
	}
	for len(b) > 0 {
		tag, n := uint64(b[0]), 1
		if tag >= 0x80 {
			if tag, n = protowire.ConsumeVarint(b); n < 0 {
				return false
			}
		}
		b = b[n:]
		num, typ := protowire.Number(tag>>3), protowire.Type(tag&7)
		if num < protowire.MinValidNumber || tag>>3 > uint64(protowire.MaxValidNumber) {
			return false
		}
		switch typ {
		case protowire.BytesType:
			if len(b) == 0 {
				return false
			}
			size, n := uint64(b[0]), 1
			if size >= 0x80 {
				if size, n = protowire.ConsumeVarint(b); n < 0 {
					return false
				}
			}
			if size > uint64(len(b)-n) {
				return false
			}
			v := b[n : n+int(size)]
			b = b[n+int(size):]
			f := p.field(num)
			if f.utf8 && !validUTF8(v) {
				return false
			}
			if f.msg != nil && !f.msg.valid(v, depth+1) {
				return false
			}
		case protowire.StartGroupType:
			v, n := protowire.ConsumeGroup(num, b)
			if n < 0 {
				return false
			}
			b = b[n:]
			if f := p.field(num); f.msg != nil && !f.msg.valid(v, depth+1) {
				return false
			}
		case protowire.VarintType:
			n := 1
			if len(b) == 0 || b[0] >= 0x80 {
				_, n = protowire.ConsumeVarint(b)
			}
			if n < 0 {
				return false
			}
			b = b[n:]
		default:
			n := protowire.ConsumeFieldValue(num, typ, b)
			if n < 0 {
				return false
			}
			b = b[n:]
		}
	}
	return true
}

// validUTF8 is utf8.Valid with short ASCII strings (most on the mesh are
// identifiers) checked inline; utf8.Valid is faster on long ones.
func validUTF8(v []byte) bool {
	if len(v) >= 16 {
		return utf8.Valid(v)
	}
	for i, c := range v {
		if c >= utf8.RuneSelf {
			return utf8.Valid(v[i:])
		}
	}
	return true
}

// stringsPlanBuilder builds the plans of one message type and every type it
// nests, each once, recursive types included.
type stringsPlanBuilder struct {
	plans  map[protoreflect.FullName]*stringsPlan
	fields map[*stringsPlan]map[protowire.Number]stringsField
	open   map[protoreflect.FullName]bool // being built: met again means recursion
}

func newStringsPlan(d protoreflect.MessageDescriptor) *stringsPlan {
	b := stringsPlanBuilder{
		plans:  map[protoreflect.FullName]*stringsPlan{},
		fields: map[*stringsPlan]map[protowire.Number]stringsField{},
		open:   map[protoreflect.FullName]bool{},
	}
	root := b.plan(d)
	b.settle()
	return root
}

func (b *stringsPlanBuilder) plan(d protoreflect.MessageDescriptor) *stringsPlan {
	name := d.FullName()
	if p, ok := b.plans[name]; ok {
		if b.open[name] {
			p.checks = true
		}
		return p
	}
	p := &stringsPlan{}
	b.plans[name] = p
	b.open[name] = true
	fields := map[protowire.Number]stringsField{}
	for i, fds := 0, d.Fields(); i < fds.Len(); i++ {
		fd := fds.Get(i)
		var f stringsField
		switch fd.Kind() {
		case protoreflect.StringKind:
			f.utf8 = enforcesUTF8(fd)
		case protoreflect.MessageKind, protoreflect.GroupKind:
			f.msg = b.plan(fd.Message())
		}
		if f.utf8 || f.msg != nil {
			fields[fd.Number()] = f
		}
	}
	b.fields[p] = fields
	delete(b.open, name)
	return p
}

// settle marks every plan that reaches a validated string or a recursive
// type, then keeps only the fields leading there.
func (b *stringsPlanBuilder) settle() {
	for changed := true; changed; {
		changed = false
		for p, fields := range b.fields {
			if p.checks {
				continue
			}
			for _, f := range fields {
				if f.utf8 || f.msg != nil && f.msg.checks {
					p.checks, changed = true, true
					break
				}
			}
		}
	}
	for p, fields := range b.fields {
		for num, f := range fields {
			if !f.utf8 && !f.msg.checks {
				continue
			}
			if num < maxDenseField {
				if int(num) >= len(p.dense) {
					p.dense = append(p.dense, make([]stringsField, int(num)+1-len(p.dense))...)
				}
				p.dense[num] = f
				continue
			}
			if p.sparse == nil {
				p.sparse = map[protowire.Number]stringsField{}
			}
			p.sparse[num] = f
		}
	}
}

// enforcesUTF8 is protobuf-go's rule (internal/strs.EnforceUTF8) for
// whether a string field is validated: proto3 strings are, proto2 strings
// are not, and editions say per field.
func enforcesUTF8(fd protoreflect.FieldDescriptor) bool {
	if fd.Syntax() == protoreflect.Editions {
		if e, ok := fd.(interface{ EnforceUTF8() bool }); ok {
			return e.EnforceUTF8()
		}
	}
	return fd.Syntax() == protoreflect.Proto3
}
