package delta

import (
	"unicode/utf8"

	"github.com/tollgate/tollgate/services/telemetry/internal/eventshape"
)

// UsageRowDecoder fills UsageRows straight from encoded UsageEvents (the
// spool's records). The export reads every event back from the spool, and
// going through proto.Unmarshal and UsageRowOf costs a message and a string
// per field per event, copied once more into the row. The decoder instead
// takes the record as a string and cuts the row's strings out of it, so a
// row costs no allocation (its groups come from a shared slab; only a usage
// context makes a map).
//
// It decodes exactly the fields UsageEvent has (1-33) in the wire types
// protobuf writes them, while the generated code is the one it was written
// for (see package eventshape). Anything else (an unknown field, a wire type that
// does not match, a malformed or non-UTF-8 value) makes Decode report false,
// and the caller decodes that record with proto.Unmarshal and UsageRowOf,
// which stay the reference; a record proto.Unmarshal refuses is refused
// either way. Field semantics follow proto3: the last value of a scalar
// wins, repeated values append, map entries are inserted in order.
//
// A UsageRowDecoder is not safe for concurrent use.
type UsageRowDecoder struct {
	groups []string // the slab row.Groups are cut from
}

// groupsSlabLen is how many group names one slab holds.
const groupsSlabLen = 4096

// Protobuf wire types (see google.golang.org/protobuf/encoding/protowire).
const (
	wireVarint = 0
	wireBytes  = 2
)

// payloadField is UsageEvent.payload, which the usage row does not hold.
const payloadField = 33

// Decode fills row from rec, one encoded UsageEvent. The row's strings are
// substrings of rec. hasPayload reports that the event carries an inference
// payload (which the row does not hold; decode it with proto.Unmarshal and
// PayloadRowOf). ok false means rec is not in the shape handled here; row is
// then unspecified.
func (d *UsageRowDecoder) Decode(rec string, row *UsageRow) (hasPayload, ok bool) {
	if !eventshape.Known {
		return false, false
	}
	*row = UsageRow{}
	for len(rec) > 0 {
		tag, n := consumeVarint(rec)
		if n < 0 {
			return false, false
		}
		rec = rec[n:]
		num, typ := tag>>3, tag&7
		switch typ {
		case wireVarint:
			v, n := consumeVarint(rec)
			if n < 0 || !setVarintField(row, num, v) {
				return false, false
			}
			rec = rec[n:]
		case wireBytes:
			s, n := consumeBytes(rec)
			if n < 0 {
				return false, false
			}
			rec = rec[n:]
			switch num {
			case 8:
				if !utf8.ValidString(s) {
					return false, false
				}
				d.appendGroup(row, s)
			case 15:
				if !addContextEntry(row, s) {
					return false, false
				}
			case payloadField:
				hasPayload = true
			default:
				if !setStringField(row, num, s) {
					return false, false
				}
			}
		default:
			return false, false
		}
	}
	return hasPayload, true
}

// appendGroup adds a group name to row.Groups, which is the tail of the
// decoder's slab (the row's groups are decoded one after another).
func (d *UsageRowDecoder) appendGroup(row *UsageRow, g string) {
	if len(d.groups) == cap(d.groups) {
		// A new slab; the rows already cut from the old one keep it alive.
		// This row's groups so far move along so they stay one slice.
		have := row.Groups
		d.groups = make([]string, 0, max(groupsSlabLen, 2*len(have)+1))
		d.groups = append(d.groups, have...)
	}
	d.groups = append(d.groups, g)
	start := len(d.groups) - len(row.Groups) - 1
	// Capped so an append to one row's groups can never reach the next row's.
	row.Groups = d.groups[start:len(d.groups):len(d.groups)]
}

func setVarintField(row *UsageRow, num, v uint64) bool {
	switch num {
	case 9:
		row.StatusCode = int32(v)
	case 10:
		row.RequestTimeMicros = int64(v) * 1000
	case 11:
		row.InputTokenCount = int64(v)
	case 12:
		row.OutputTokenCount = int64(v)
	case 13:
		row.InputCharacterCount = int64(v)
	case 14:
		row.OutputCharacterCount = int64(v)
	case 16:
		row.RequestStreaming = v != 0
	case 23:
		row.LatencyMs = int64(v)
	case 24:
		row.TimeToFirstByteMs = int64(v)
	case 25:
		row.CacheReadInputTokens = int64(v)
	case 26:
		row.CacheCreationInputTokens = int64(v)
	case 27:
		row.ReasoningTokens = int64(v)
	case 28:
		row.FallbackAttempts = int32(v)
	case 29:
		row.RateLimited = v != 0
	case 31:
		row.TokensEstimated = v != 0
	default:
		return false
	}
	return true
}

func setStringField(row *UsageRow, num uint64, s string) bool {
	var dst *string
	switch num {
	case 1:
		dst = &row.DatabricksRequestID
	case 2:
		dst = &row.ClientRequestID
	case 3:
		dst = &row.AccountID
	case 4:
		dst = &row.WorkspaceID
	case 5:
		dst = &row.ServedEntityID
	case 6:
		dst = &row.Requester
	case 7:
		dst = &row.RequesterType
	case 17:
		dst = &row.EndpointName
	case 18:
		dst = &row.Provider
	case 19:
		dst = &row.Model
	case 20:
		dst = &row.UserAgent
	case 21:
		dst = &row.ClientKind
	case 22:
		dst = &row.APIType
	case 30:
		dst = &row.ErrorCode
	case 32:
		dst = &row.ServedEntityName
	default:
		return false
	}
	if !utf8.ValidString(s) {
		return false
	}
	*dst = s
	return true
}

// addContextEntry decodes one usage_context map entry (key = 1, value = 2;
// either may be absent, meaning "").
func addContextEntry(row *UsageRow, entry string) bool {
	var key, value string
	for len(entry) > 0 {
		tag, n := consumeVarint(entry)
		if n < 0 || tag&7 != wireBytes {
			return false
		}
		entry = entry[n:]
		s, n := consumeBytes(entry)
		if n < 0 || !utf8.ValidString(s) {
			return false
		}
		entry = entry[n:]
		switch tag >> 3 {
		case 1:
			key = s
		case 2:
			value = s
		default:
			return false
		}
	}
	if row.UsageContext == nil {
		row.UsageContext = make(map[string]string, 4)
	}
	row.UsageContext[key] = value
	return true
}

// consumeVarint parses a varint at the start of s, returning its length, or
// -1 when it is truncated or longer than 64 bits (as protowire does).
func consumeVarint(s string) (uint64, int) {
	var v uint64
	for i := 0; i < len(s) && i < 10; i++ {
		b := s[i]
		if i == 9 && b > 1 {
			return 0, -1
		}
		v |= uint64(b&0x7f) << (7 * i)
		if b < 0x80 {
			return v, i + 1
		}
	}
	return 0, -1
}

// consumeBytes parses a length-delimited value at the start of s.
func consumeBytes(s string) (string, int) {
	l, n := consumeVarint(s)
	if n < 0 || l > uint64(len(s)-n) {
		return "", -1
	}
	return s[n : n+int(l)], n + int(l)
}
