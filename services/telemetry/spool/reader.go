package spool

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"

	"google.golang.org/protobuf/proto"

	telemetryv1 "github.com/tollgate/tollgate/gen/go/tollgate/telemetry/v1"
)

// Reader reads records in append order, from a position up to the durable
// end of the log. At the end it returns io.EOF; calling Next again later
// picks up whatever was appended since (wait on Spool.Changed in between).
// A Reader is not safe for concurrent use.
type Reader struct {
	spool *Spool
	pos   Position // where the next record starts
	// oneSegment stops the reader at the end of its first segment.
	oneSegment bool

	file       *os.File
	sealedEnd  int64 // file size of a sealed segment; -1 while it is the one being appended to
	br         *bufio.Reader
	sectionEnd int64 // offset the buffered section ends at
	header     [recordHeaderSize]byte
	payload    []byte
}

// Reader starts reading at from, which must be a record boundary: the zero
// Position (the oldest segment's first record) or a Position returned by
// Reader.Position.
func (s *Spool) Reader(from Position) (*Reader, error) {
	if from.Segment == 0 {
		segs, err := listSegments(s.dir)
		if err != nil {
			return nil, err
		}
		if len(segs) == 0 {
			return nil, fmt.Errorf("spool: %s has no segments", s.dir)
		}
		from = Position{Segment: segs[0]}
	}
	if from.Offset < segmentHeaderSize {
		from.Offset = segmentHeaderSize
	}
	return &Reader{spool: s, pos: from}, nil
}

// SegmentReader reads only segment seg's records, then returns io.EOF; used
// to walk the log backwards a segment at a time.
func (s *Spool) SegmentReader(seg uint64) (*Reader, error) {
	if seg == 0 {
		return nil, fmt.Errorf("spool: segment numbers start at 1")
	}
	return &Reader{spool: s, pos: Position{Segment: seg, Offset: segmentHeaderSize}, oneSegment: true}, nil
}

// Position is where the next record starts: save it to resume from there.
func (r *Reader) Position() Position { return r.pos }

// Next decodes the next event.
func (r *Reader) Next() (*telemetryv1.UsageEvent, error) {
	payload, err := r.NextRaw()
	if err != nil {
		return nil, err
	}
	e := &telemetryv1.UsageEvent{}
	if err := proto.Unmarshal(payload, e); err != nil {
		return nil, fmt.Errorf("%w at %s: %v", ErrCorrupt, r.pos, err)
	}
	return e, nil
}

// Seek moves the reader to p, which must be a record boundary no later than
// the durable end of the log: the To of an Appended the reader's position
// was the From of, to skip events a tap already handed over.
func (r *Reader) Seek(p Position) {
	if p.Segment != r.pos.Segment {
		r.closeFile()
	}
	if p.Offset < segmentHeaderSize {
		p.Offset = segmentHeaderSize
	}
	r.pos = p
	r.sectionEnd = -1 // the buffered bytes are not at p: refill from there
}

// NextRaw returns the next record's payload (an encoded UsageEvent), valid
// until the next call.
func (r *Reader) NextRaw() ([]byte, error) {
	for {
		end, sealed, err := r.readableEnd()
		if err != nil {
			return nil, err
		}
		if r.pos.Offset < end {
			return r.readRecord(end)
		}
		if !sealed {
			return nil, io.EOF
		}
		if r.pos.Offset > end {
			return nil, fmt.Errorf("%w: position %s is past the end of its segment", ErrCorrupt, r.pos)
		}
		if r.oneSegment {
			return nil, io.EOF
		}
		r.closeFile()
		r.pos = Position{Segment: r.pos.Segment + 1, Offset: segmentHeaderSize}
	}
}

// readableEnd opens the current segment if needed and says how far it may be
// read: to its end if sealed, else to the durable end of the log.
func (r *Reader) readableEnd() (end int64, sealed bool, err error) {
	committed := r.spool.Committed()
	if committed.Less(r.pos) {
		return 0, false, fmt.Errorf("spool: position %s is past the end of the log (%s)", r.pos, committed)
	}
	if r.file == nil {
		f, err := os.Open(segmentPath(r.spool.dir, r.pos.Segment))
		if err != nil {
			return 0, false, fmt.Errorf("spool: open segment for reading: %w", err)
		}
		if err := checkSegmentHeader(f); err != nil {
			_ = f.Close()
			return 0, false, err
		}
		r.file, r.sealedEnd, r.sectionEnd = f, -1, r.pos.Offset
	}
	if r.pos.Segment < committed.Segment {
		if r.sealedEnd < 0 {
			// Appends moved on to a later segment, so this one no longer grows.
			st, err := r.file.Stat()
			if err != nil {
				return 0, false, fmt.Errorf("spool: stat segment: %w", err)
			}
			r.sealedEnd = st.Size()
		}
		return r.sealedEnd, true, nil
	}
	return committed.Offset, false, nil
}

// readRecord reads one record that must end by end. Reads are buffered only
// up to end, so bytes past the durable end (not yet synced) are never seen.
func (r *Reader) readRecord(end int64) ([]byte, error) {
	if r.br == nil || r.pos.Offset >= r.sectionEnd {
		section := io.NewSectionReader(r.file, r.pos.Offset, end-r.pos.Offset)
		if r.br == nil {
			r.br = bufio.NewReaderSize(section, 256<<10)
		} else {
			r.br.Reset(section)
		}
		r.sectionEnd = end
	}
	if _, err := io.ReadFull(r.br, r.header[:]); err != nil {
		return nil, r.readErr(err)
	}
	n, err := parseHeader(r.header[:])
	if err != nil {
		return nil, fmt.Errorf("%w at %s: bad length", ErrCorrupt, r.pos)
	}
	r.payload = slices.Grow(r.payload[:0], n)[:n]
	if _, err := io.ReadFull(r.br, r.payload); err != nil {
		return nil, r.readErr(err)
	}
	if err := checkPayload(r.header[:], r.payload); err != nil {
		return nil, fmt.Errorf("%w at %s: checksum mismatch", ErrCorrupt, r.pos)
	}
	r.pos.Offset += recordHeaderSize + int64(n)
	return r.payload, nil
}

func (r *Reader) readErr(err error) error {
	r.br = nil // resynchronise from r.pos on the next call
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return fmt.Errorf("%w at %s: record crosses the end of the readable log", ErrCorrupt, r.pos)
	}
	return fmt.Errorf("spool: read segment: %w", err)
}

func (r *Reader) closeFile() {
	if r.file != nil {
		_ = r.file.Close()
	}
	r.file, r.br = nil, nil
}

// Close releases the open segment.
func (r *Reader) Close() error {
	r.closeFile()
	return nil
}
