package serve

import (
	"math"

	"google.golang.org/protobuf/reflect/protoreflect"
)

// The generated encoder leaves out a float or double field without
// presence when it equals zero, -0 included; protobuf-go sends -0 (its
// sign bit is data). A message holding such a -0 is encoded by protobuf-go
// so that the far side reads the same value. Only a few report fields are
// of that kind (latency percentiles, a sampling fraction), so for most
// types the plan is empty and costs nothing.

// zeroPlan says, for one message type, which of its fields are such floats
// and which messages it holds may contain them.
type zeroPlan struct {
	floats []protoreflect.FieldDescriptor
	nested []zeroNested
	some   bool // this type or one it holds has such a field
}

// zeroNested is a message-typed field (singular, list or map value).
type zeroNested struct {
	fd   protoreflect.FieldDescriptor
	plan *zeroPlan
}

func (p *zeroPlan) holdsNegativeZero(m protoreflect.Message) bool {
	if !p.some {
		return false
	}
	for _, fd := range p.floats {
		if v := m.Get(fd).Float(); v == 0 && math.Signbit(v) {
			return true
		}
	}
	for _, n := range p.nested {
		switch {
		case n.fd.IsList():
			l := m.Get(n.fd).List()
			for i := 0; i < l.Len(); i++ {
				if n.plan.holdsNegativeZero(l.Get(i).Message()) {
					return true
				}
			}
		case n.fd.IsMap():
			found := false
			m.Get(n.fd).Map().Range(func(_ protoreflect.MapKey, v protoreflect.Value) bool {
				found = n.plan.holdsNegativeZero(v.Message())
				return !found
			})
			if found {
				return true
			}
		case m.Has(n.fd):
			if n.plan.holdsNegativeZero(m.Get(n.fd).Message()) {
				return true
			}
		}
	}
	return false
}

func newZeroPlan(d protoreflect.MessageDescriptor) *zeroPlan {
	plans := map[protoreflect.FullName]*zeroPlan{}
	root := buildZeroPlan(d, plans)
	// Recursive types make this a graph: settle "some" to a fixed point,
	// then keep only the nested fields that lead to a float.
	for changed := true; changed; {
		changed = false
		for _, p := range plans {
			if p.some {
				continue
			}
			for _, n := range p.nested {
				if n.plan.some {
					p.some, changed = true, true
					break
				}
			}
		}
	}
	for _, p := range plans {
		kept := p.nested[:0]
		for _, n := range p.nested {
			if n.plan.some {
				kept = append(kept, n)
			}
		}
		p.nested = kept
	}
	return root
}

func buildZeroPlan(d protoreflect.MessageDescriptor, plans map[protoreflect.FullName]*zeroPlan) *zeroPlan {
	if p, ok := plans[d.FullName()]; ok {
		return p
	}
	p := &zeroPlan{}
	plans[d.FullName()] = p
	for i, fds := 0, d.Fields(); i < fds.Len(); i++ {
		fd := fds.Get(i)
		held := fd
		if fd.IsMap() {
			held = fd.MapValue() // map values are always sent, -0 included
		}
		switch {
		case held.Kind() == protoreflect.MessageKind || held.Kind() == protoreflect.GroupKind:
			p.nested = append(p.nested, zeroNested{fd: fd, plan: buildZeroPlan(held.Message(), plans)})
		case (fd.Kind() == protoreflect.FloatKind || fd.Kind() == protoreflect.DoubleKind) && !fd.IsList() && !fd.HasPresence():
			p.floats = append(p.floats, fd)
		}
	}
	p.some = len(p.floats) > 0
	return p
}
