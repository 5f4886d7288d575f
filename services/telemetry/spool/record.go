package spool

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"

	"google.golang.org/protobuf/proto"

	telemetryv1 "github.com/tollgate/tollgate/gen/go/tollgate/telemetry/v1"
)

// A record is
//
//	length  uint32 little-endian (payload bytes)
//	crc     uint32 little-endian, CRC-32C over the length bytes and the payload
//	payload one protobuf-encoded UsageEvent
//
// The CRC covers the length too, so a run of zero bytes (what some file
// systems leave in a file's tail after a crash) never reads as a valid record.
const recordHeaderSize = 8

// MaxRecordBytes bounds one record's payload; a larger length field can only
// come from a damaged file.
const MaxRecordBytes = 128 << 20

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// ErrInvalidEvent reports an event that cannot be encoded (a string field
// that is not valid UTF-8, or an event over MaxRecordBytes); retrying the
// same event cannot succeed.
var ErrInvalidEvent = errors.New("spool: invalid event")

// ErrCorrupt reports bytes that are not a valid record where one must be.
var ErrCorrupt = errors.New("spool: corrupt record")

func recordChecksum(header, payload []byte) uint32 {
	return crc32.Update(crc32.Update(0, castagnoli, header[:4]), castagnoli, payload)
}

// appendRecords encodes events as records onto buf.
func appendRecords(buf []byte, events []*telemetryv1.UsageEvent) ([]byte, error) {
	for _, e := range events {
		start := len(buf)
		buf = append(buf, make([]byte, recordHeaderSize)...)
		var ok bool
		if buf, ok = appendEvent(buf, e); !ok {
			var err error
			buf, err = proto.MarshalOptions{}.MarshalAppend(buf, e)
			if err != nil {
				return buf[:start], fmt.Errorf("%w: encode %q: %w", ErrInvalidEvent, e.GetDatabricksRequestId(), err)
			}
		}
		n := len(buf) - start - recordHeaderSize
		if n > MaxRecordBytes {
			return buf[:start], fmt.Errorf("%w: %q is %d bytes, over the %d-byte record limit", ErrInvalidEvent, e.GetDatabricksRequestId(), n, MaxRecordBytes)
		}
		header := buf[start : start+recordHeaderSize]
		binary.LittleEndian.PutUint32(header[0:4], uint32(n))
		binary.LittleEndian.PutUint32(header[4:8], recordChecksum(header, buf[start+recordHeaderSize:]))
	}
	return buf, nil
}

// parseHeader returns the payload length a record header announces.
func parseHeader(header []byte) (int, error) {
	n := binary.LittleEndian.Uint32(header[0:4])
	if n > MaxRecordBytes {
		return 0, ErrCorrupt
	}
	return int(n), nil
}

// checkPayload verifies a record's checksum.
func checkPayload(header, payload []byte) error {
	if binary.LittleEndian.Uint32(header[4:8]) != recordChecksum(header, payload) {
		return ErrCorrupt
	}
	return nil
}
