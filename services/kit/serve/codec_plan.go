package serve

import (
	"sync"

	"google.golang.org/protobuf/proto"
)

// typePlan is what the codec knows about one message type, derived once
// from its descriptor: where protobuf-go's encoding would differ from the
// generated code's, so that such messages go to protobuf-go.
type typePlan struct {
	strings *stringsPlan // strings protobuf-go validates (codec_utf8.go)
	zeros   *zeroPlan    // floats whose -0 the generated encoder drops (codec_zero.go)
}

// typePlans caches one plan per message type
// (protoreflect.MessageDescriptor → *typePlan).
var typePlans sync.Map

func planOf(m proto.Message) *typePlan {
	d := m.ProtoReflect().Descriptor()
	if p, ok := typePlans.Load(d); ok {
		return p.(*typePlan)
	}
	p, _ := typePlans.LoadOrStore(d, &typePlan{strings: newStringsPlan(d), zeros: newZeroPlan(d)})
	return p.(*typePlan)
}
