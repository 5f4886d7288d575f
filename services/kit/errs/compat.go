package errs

import (
	"context"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/protoadapt"
)

type protoMessage = proto.Message

var (
	contextDeadline = context.DeadlineExceeded
	contextCanceled = context.Canceled
)

// toV1 adapts messages for status.WithDetails, which still takes the v1 API.
func toV1(ms []protoMessage) []protoadapt.MessageV1 {
	out := make([]protoadapt.MessageV1, len(ms))
	for i, m := range ms {
		out[i] = protoadapt.MessageV1Of(m)
	}
	return out
}
