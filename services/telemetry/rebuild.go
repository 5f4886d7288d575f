package telemetry

import (
	"errors"
	"io"
	"log/slog"
	"time"

	"google.golang.org/protobuf/encoding/protowire"

	"github.com/tollgate/tollgate/services/telemetry/spool"
)

// requestIDField is UsageEvent.databricks_request_id's field number.
const requestIDField protowire.Number = 1

// rebuildIndex fills idx with the request ids of the newest window events in
// the spool, reading segments newest first and only as far back as needed.
// A damaged segment costs the ids past the damage, not the service.
func rebuildIndex(sp *Spool, idx *dedupIndex, window int, log *slog.Logger) {
	start := time.Now()
	segs, err := sp.Segments()
	if err != nil {
		log.Error("dedup index not rebuilt: cannot list the spool", "err", err)
		return
	}
	var chunks [][]idKey // newest segment first
	total := 0
	for i := len(segs) - 1; i >= 0 && total < window; i-- {
		keys, err := segmentKeys(sp, idx, segs[i])
		if err != nil {
			log.Error("dedup index: segment partly unreadable; repeats of its later events may be stored again",
				"segment", segs[i], "ids_read", len(keys), "err", err)
		}
		chunks = append(chunks, keys)
		total += len(keys)
	}
	skip := max(total-window, 0)
	for i := len(chunks) - 1; i >= 0; i-- {
		for _, k := range chunks[i] {
			if skip > 0 {
				skip--
				continue
			}
			idx.addDurable(k)
		}
	}
	log.Info("dedup index rebuilt from spool", "ids", idx.len(), "segments_read", len(chunks),
		"torn_bytes_cut", sp.TornBytes(), "took", time.Since(start).String())
}

// segmentKeys returns the request-id keys of one segment's events in order.
func segmentKeys(sp *Spool, idx *dedupIndex, seg uint64) ([]idKey, error) {
	r, err := sp.SegmentReader(seg)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	var keys []idKey
	for {
		raw, err := r.NextRaw()
		if errors.Is(err, io.EOF) {
			return keys, nil
		}
		if err != nil {
			return keys, err
		}
		id, ok := rawRequestID(raw)
		if !ok {
			return keys, spool.ErrCorrupt
		}
		if len(id) > 0 {
			keys = append(keys, idx.keyBytes(id))
		}
	}
}

// rawRequestID finds the request id in an encoded UsageEvent without decoding
// the rest (payloads can be large). The last occurrence wins, as in proto.
func rawRequestID(b []byte) (id []byte, ok bool) {
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return nil, false
		}
		b = b[n:]
		if num == requestIDField && typ == protowire.BytesType {
			v, m := protowire.ConsumeBytes(b)
			if m < 0 {
				return nil, false
			}
			id, b = v, b[m:]
			continue
		}
		m := protowire.ConsumeFieldValue(num, typ, b)
		if m < 0 {
			return nil, false
		}
		b = b[m:]
	}
	return id, true
}
