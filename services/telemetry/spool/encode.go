package spool

import (
	"unicode/utf8"

	"google.golang.org/protobuf/encoding/protowire"

	telemetryv1 "github.com/tollgate/tollgate/gen/go/tollgate/telemetry/v1"
	"github.com/tollgate/tollgate/services/telemetry/internal/eventshape"
)

// appendEvent encodes e onto buf the way proto.Marshal does, field by field
// without protobuf's reflection-driven size pass and encoder: appending is
// what every ingested event costs, and this is several times cheaper. It
// reports false, leaving buf as it was, for what it leaves to proto.Marshal:
// an event with an inference payload (sampled, rare) or with fields this
// build does not know (sent by a newer router), a string that is not UTF-8
// (so the error is protobuf's), or a UsageEvent whose fields are not the ones
// written here (the generated code changed: see package eventshape).
func appendEvent(buf []byte, e *telemetryv1.UsageEvent) ([]byte, bool) {
	if !eventshape.Known || e.Payload != nil || len(e.ProtoReflect().GetUnknown()) > 0 {
		return buf, false
	}
	start := len(buf)
	ok := true
	str := func(num protowire.Number, s string) {
		if s != "" {
			ok = ok && utf8.ValidString(s)
			buf = appendString(buf, num, s)
		}
	}
	varint := func(num protowire.Number, v uint64) {
		if v != 0 {
			buf = appendTag(buf, num, protowire.VarintType)
			buf = protowire.AppendVarint(buf, v)
		}
	}
	boolean := func(num protowire.Number, v bool) {
		if v {
			buf = append(appendTag(buf, num, protowire.VarintType), 1)
		}
	}
	str(1, e.DatabricksRequestId)
	str(2, e.ClientRequestId)
	str(3, e.AccountId)
	str(4, e.WorkspaceId)
	str(5, e.ServedEntityId)
	str(6, e.Requester)
	str(7, e.RequesterType)
	for _, g := range e.Groups { // repeated: empty strings are written too
		ok = ok && utf8.ValidString(g)
		buf = appendString(buf, 8, g)
	}
	varint(9, uint64(int64(e.StatusCode))) // int32: negative values sign-extend
	varint(10, uint64(e.RequestTimeUnixMs))
	varint(11, uint64(e.InputTokenCount))
	varint(12, uint64(e.OutputTokenCount))
	varint(13, uint64(e.InputCharacterCount))
	varint(14, uint64(e.OutputCharacterCount))
	for k, v := range e.UsageContext { // map entries always hold both key and value
		ok = ok && utf8.ValidString(k) && utf8.ValidString(v)
		entry := 1 + protowire.SizeBytes(len(k)) + 1 + protowire.SizeBytes(len(v))
		buf = appendTag(buf, 15, protowire.BytesType)
		buf = protowire.AppendVarint(buf, uint64(entry))
		buf = appendString(buf, 1, k)
		buf = appendString(buf, 2, v)
	}
	boolean(16, e.RequestStreaming)
	str(17, e.EndpointName)
	str(18, e.Provider)
	str(19, e.Model)
	str(20, e.UserAgent)
	str(21, e.ClientKind)
	str(22, e.ApiType)
	varint(23, uint64(e.LatencyMs))
	varint(24, uint64(e.TimeToFirstByteMs))
	varint(25, uint64(e.CacheReadInputTokens))
	varint(26, uint64(e.CacheCreationInputTokens))
	varint(27, uint64(e.ReasoningTokens))
	varint(28, uint64(int64(e.FallbackAttempts)))
	boolean(29, e.RateLimited)
	str(30, e.ErrorCode)
	boolean(31, e.TokensEstimated)
	str(32, e.ServedEntityName)
	if !ok {
		return buf[:start], false
	}
	return buf, true
}

// appendTag is protowire.AppendTag for UsageEvent's field numbers (1 to 33),
// whose tags take one or two bytes.
func appendTag(buf []byte, num protowire.Number, typ protowire.Type) []byte {
	tag := uint64(num)<<3 | uint64(typ)
	if tag < 0x80 {
		return append(buf, byte(tag))
	}
	return append(buf, byte(tag)|0x80, byte(tag>>7))
}

// appendString writes a length-delimited field.
func appendString(buf []byte, num protowire.Number, s string) []byte {
	buf = appendTag(buf, num, protowire.BytesType)
	if len(s) < 0x80 {
		buf = append(buf, byte(len(s)))
	} else {
		buf = protowire.AppendVarint(buf, uint64(len(s)))
	}
	return append(buf, s...)
}
