// Package spool is the telemetry service's durable log: events are appended
// to segment files as length-prefixed, checksummed protobuf records and synced
// before an append returns. It is the source of truth later stages (the hot
// store, the lakehouse mirror) drain in order with a Reader.
//
// Concurrent appends share one write and one sync (group commit), so many
// ingest streams cost about one fsync per round instead of one each.
package spool

import (
	"errors"
	"fmt"
	"os"
	"sync"
	"sync/atomic"

	telemetryv1 "github.com/tollgate/tollgate/gen/go/tollgate/telemetry/v1"
)

// DefaultSegmentBytes is the size after which appends move to a new segment.
const DefaultSegmentBytes = 64 << 20

// maxGroupRequests bounds how many appends share one commit, so a flood of
// appenders cannot make one commit (and its waiters' latency) unbounded.
const maxGroupRequests = 1024

// ErrClosed is returned by appends to a closed spool.
var ErrClosed = errors.New("spool: closed")

// Position addresses a record: the segment number and the byte offset in it.
// The zero Position means "the oldest record there is".
type Position struct {
	Segment uint64
	Offset  int64
}

// Less orders positions in append order.
func (p Position) Less(q Position) bool {
	return p.Segment < q.Segment || (p.Segment == q.Segment && p.Offset < q.Offset)
}

func (p Position) String() string { return fmt.Sprintf("%d:%d", p.Segment, p.Offset) }

// Option tunes a spool.
type Option func(*Spool)

// WithSegmentBytes sets the rotation size (tests use small segments).
func WithSegmentBytes(n int64) Option { return func(s *Spool) { s.segmentBytes = n } }

// Spool is an append-only log of usage events in a directory.
type Spool struct {
	dir          string
	segmentBytes int64
	lock         *os.File
	tornBytes    int64

	requests   chan *appendRequest
	closing    chan struct{}
	writerDone chan struct{}
	closeOnce  sync.Once
	closeErr   error

	// Owned by the writer goroutine.
	file    *os.File
	segment uint64
	size    int64 // synced bytes in the current segment
	failed  error // sticky: the segment's state on disk is unknown

	committed  atomic.Pointer[Position] // end of the synced log
	totalBytes atomic.Int64

	notifyMu sync.Mutex
	notify   chan struct{}

	taps    taps
	offsets []int64 // the writer's scratch: where each request of a group starts
}

type appendRequest struct {
	events []*telemetryv1.UsageEvent // for the taps
	data   []byte
	done   chan error
}

// Open opens (creating if needed) the spool in dir. A torn record at the end
// of the newest segment, left by a crash mid-append, is cut off.
func Open(dir string, opts ...Option) (*Spool, error) {
	s := &Spool{
		dir:          dir,
		segmentBytes: DefaultSegmentBytes,
		requests:     make(chan *appendRequest),
		closing:      make(chan struct{}),
		writerDone:   make(chan struct{}),
		notify:       make(chan struct{}),
	}
	for _, o := range opts {
		o(s)
	}
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("spool: create %s: %w", dir, err)
	}
	lock, err := lockDir(dir)
	if err != nil {
		return nil, err
	}
	s.lock = lock
	if err := s.openTail(); err != nil {
		_ = lock.Close()
		return nil, err
	}
	go s.writeLoop()
	return s, nil
}

// openTail positions the spool at the end of its newest segment.
func (s *Spool) openTail() error {
	segs, err := listSegments(s.dir)
	if err != nil {
		return err
	}
	if len(segs) == 0 {
		f, err := createSegment(s.dir, 1)
		if err != nil {
			return err
		}
		s.file, s.segment, s.size = f, 1, segmentHeaderSize
		s.totalBytes.Store(segmentHeaderSize)
		s.committed.Store(&Position{Segment: 1, Offset: segmentHeaderSize})
		return nil
	}
	var total int64
	for _, n := range segs[:len(segs)-1] {
		st, err := os.Stat(segmentPath(s.dir, n))
		if err != nil {
			return fmt.Errorf("spool: stat segment: %w", err)
		}
		total += st.Size()
	}
	last := segs[len(segs)-1]
	f, size, cut, err := recoverTail(s.dir, last)
	if err != nil {
		return err
	}
	s.file, s.segment, s.size, s.tornBytes = f, last, size, cut
	s.totalBytes.Store(total + size)
	s.committed.Store(&Position{Segment: last, Offset: size})
	return nil
}

// Append writes events and syncs them; when it returns nil every event is
// durable. Safe for concurrent use; concurrent calls share a sync.
func (s *Spool) Append(events []*telemetryv1.UsageEvent) error {
	if len(events) == 0 {
		return nil
	}
	bufp := bufPool.Get().(*[]byte)
	data, err := appendRecords((*bufp)[:0], events)
	defer putBuf(bufp, data)
	if err != nil {
		return err
	}
	req := &appendRequest{events: events, data: data, done: make(chan error, 1)}
	select {
	case s.requests <- req:
	case <-s.closing:
		return ErrClosed
	}
	return <-req.done
}

var bufPool = sync.Pool{New: func() any { b := make([]byte, 0, 64<<10); return &b }}

func putBuf(bufp *[]byte, data []byte) {
	if cap(data) > 4<<20 {
		return // don't pin a rare huge batch's memory
	}
	*bufp = data[:0]
	bufPool.Put(bufp)
}

// writeLoop is the only writer: it takes every append waiting, writes them,
// syncs once and answers them all.
func (s *Spool) writeLoop() {
	defer close(s.writerDone)
	group := make([]*appendRequest, 0, 64)
	for {
		select {
		case req := <-s.requests:
			group = append(group[:0], req)
		case <-s.closing:
			return
		}
	more:
		for len(group) < maxGroupRequests {
			select {
			case req := <-s.requests:
				group = append(group, req)
			default:
				break more
			}
		}
		err := s.commit(group)
		for _, req := range group {
			req.done <- err
		}
		clear(group) // drops the events too
	}
}

// commit writes a group at the end of the log and syncs it. On failure the
// segment is cut back to its last synced size so no half-written group stays
// behind; if even that fails the spool refuses further appends.
func (s *Spool) commit(group []*appendRequest) error {
	if s.failed != nil {
		return s.failed
	}
	if s.size >= s.segmentBytes {
		if err := s.rotate(); err != nil {
			return err
		}
	}
	off := s.size
	var err error
	s.offsets = s.offsets[:0]
	for _, req := range group {
		s.offsets = append(s.offsets, off)
		if _, err = s.file.WriteAt(req.data, off); err != nil {
			break
		}
		off += int64(len(req.data))
	}
	if err == nil {
		err = s.file.Sync()
	}
	if err != nil {
		err = fmt.Errorf("spool: append: %w", err)
		if terr := s.file.Truncate(s.size); terr != nil {
			s.failed = fmt.Errorf("spool: unusable after failed append (%v) and failed rollback: %w", err, terr)
		} else if serr := s.file.Sync(); serr != nil {
			s.failed = fmt.Errorf("spool: unusable after failed append (%v) and failed sync: %w", err, serr)
		}
		return err
	}
	s.totalBytes.Add(off - s.size)
	s.size = off
	// The taps hear before readers can see the records: a reader that finds
	// nothing new waits for wake, and by then the taps have the append.
	s.tell(s.segment, group, s.offsets)
	s.committed.Store(&Position{Segment: s.segment, Offset: off})
	s.wake()
	return nil
}

// rotate seals the current segment (already synced) and starts the next.
func (s *Spool) rotate() error {
	f, err := createSegment(s.dir, s.segment+1)
	if err != nil {
		return err
	}
	// The sealed segment was synced by its last commit; a close error cannot
	// lose acknowledged data, and the new segment already exists on disk.
	_ = s.file.Close()
	s.file, s.segment, s.size = f, s.segment+1, segmentHeaderSize
	s.totalBytes.Add(segmentHeaderSize)
	s.committed.Store(&Position{Segment: s.segment, Offset: s.size})
	return nil
}

func (s *Spool) wake() {
	s.notifyMu.Lock()
	close(s.notify)
	s.notify = make(chan struct{})
	s.notifyMu.Unlock()
}

// Changed returns a channel closed at the next successful append, so a
// reader at the end of the log can wait for more instead of polling.
func (s *Spool) Changed() <-chan struct{} {
	s.notifyMu.Lock()
	defer s.notifyMu.Unlock()
	return s.notify
}

// Committed is the end of the durable log: readers stop there.
func (s *Spool) Committed() Position { return *s.committed.Load() }

// Bytes is the total size of the segment files.
func (s *Spool) Bytes() int64 { return s.totalBytes.Load() }

// TornBytes is how many bytes of a torn tail Open cut off (0 after a clean shutdown).
func (s *Spool) TornBytes() int64 { return s.tornBytes }

// Dir is the spool's directory.
func (s *Spool) Dir() string { return s.dir }

// Segments lists the segment numbers on disk, oldest first.
func (s *Spool) Segments() ([]uint64, error) { return listSegments(s.dir) }

// Close waits for the append in progress, then closes the files. Appends
// after Close fail with ErrClosed.
func (s *Spool) Close() error {
	s.closeOnce.Do(func() {
		close(s.closing)
		<-s.writerDone
		s.closeErr = errors.Join(s.file.Close(), s.lock.Close())
	})
	return s.closeErr
}
