package sink

import (
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"

	telemetryv1 "github.com/tollgate/tollgate/gen/go/tollgate/telemetry/v1"
	"github.com/tollgate/tollgate/services/telemetry/internal/eventshape"
)

// eventSize is proto.Size(e), for bounding a batch's bytes. The usual event
// (no payload, no usage context) is measured field by field here, several
// times cheaper than protobuf's reflection-driven size, which the flusher
// would otherwise pay for every event; the others are left to proto.Size.
func eventSize(e *telemetryv1.UsageEvent) int {
	if !eventshape.Known || e.Payload != nil || len(e.UsageContext) > 0 || len(e.ProtoReflect().GetUnknown()) > 0 {
		return proto.Size(e)
	}
	n := 0
	str := func(tagBytes int, s string) {
		if s != "" {
			n += tagBytes + protowire.SizeBytes(len(s))
		}
	}
	num := func(tagBytes int, v uint64) {
		if v != 0 {
			n += tagBytes + protowire.SizeVarint(v)
		}
	}
	boolean := func(v bool) {
		if v {
			n += 2 + 1 // fields 16, 29 and 31: two-byte tags
		}
	}
	// Fields 1 to 15 have one-byte tags, 16 to 33 two-byte ones.
	str(1, e.DatabricksRequestId)
	str(1, e.ClientRequestId)
	str(1, e.AccountId)
	str(1, e.WorkspaceId)
	str(1, e.ServedEntityId)
	str(1, e.Requester)
	str(1, e.RequesterType)
	for _, g := range e.Groups {
		n += 1 + protowire.SizeBytes(len(g))
	}
	num(1, uint64(int64(e.StatusCode)))
	num(1, uint64(e.RequestTimeUnixMs))
	num(1, uint64(e.InputTokenCount))
	num(1, uint64(e.OutputTokenCount))
	num(1, uint64(e.InputCharacterCount))
	num(1, uint64(e.OutputCharacterCount))
	boolean(e.RequestStreaming)
	str(2, e.EndpointName)
	str(2, e.Provider)
	str(2, e.Model)
	str(2, e.UserAgent)
	str(2, e.ClientKind)
	str(2, e.ApiType)
	num(2, uint64(e.LatencyMs))
	num(2, uint64(e.TimeToFirstByteMs))
	num(2, uint64(e.CacheReadInputTokens))
	num(2, uint64(e.CacheCreationInputTokens))
	num(2, uint64(e.ReasoningTokens))
	num(2, uint64(int64(e.FallbackAttempts)))
	boolean(e.RateLimited)
	str(2, e.ErrorCode)
	boolean(e.TokensEstimated)
	str(2, e.ServedEntityName)
	return n
}
