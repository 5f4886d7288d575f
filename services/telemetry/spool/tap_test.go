package spool

import (
	"errors"
	"fmt"
	"io"
	"sync"
	"testing"
)

// tapRecorder keeps what a tap saw (ids and positions; not the events, as a
// tap must not).
type tapRecorder struct {
	mu   sync.Mutex
	seen []tapped
}

type tapped struct {
	ids      []string
	from, to Position
}

func (r *tapRecorder) tap(a Appended) {
	ids := make([]string, len(a.Events))
	for i, e := range a.Events {
		ids[i] = e.GetDatabricksRequestId()
	}
	r.mu.Lock()
	r.seen = append(r.seen, tapped{ids: ids, from: a.From, to: a.To})
	r.mu.Unlock()
}

// readRange reads the events from from up to to.
func readRange(t *testing.T, s *Spool, from, to Position) []string {
	t.Helper()
	r, err := s.Reader(from)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var ids []string
	for r.Position().Less(to) {
		e, err := r.Next()
		if err != nil {
			t.Fatalf("reading %v..%v at %v: %v", from, to, r.Position(), err)
		}
		ids = append(ids, e.GetDatabricksRequestId())
	}
	if r.Position() != to {
		t.Fatalf("reading from %v ended at %v, want %v", from, r.Position(), to)
	}
	return ids
}

// Every append reaches the tap in log order, with the positions its records
// occupy, also across segment rotations; a removed tap hears nothing more.
func TestTapSeesEachAppendWithItsPlaceInTheLog(t *testing.T) {
	s := openSpool(t, t.TempDir(), WithSegmentBytes(300))
	defer s.Close()
	before := events("before", 2)
	if err := s.Append(before); err != nil {
		t.Fatal(err)
	}
	var rec tapRecorder
	remove := s.Tap(rec.tap)
	var appended [][]string
	for i := range 12 {
		batch := events(fmt.Sprintf("b%d", i), 1+i%3)
		if err := s.Append(batch); err != nil {
			t.Fatal(err)
		}
		ids := make([]string, len(batch))
		for j, e := range batch {
			ids[j] = e.GetDatabricksRequestId()
		}
		appended = append(appended, ids)
	}
	remove()
	if err := s.Append(events("after", 2)); err != nil {
		t.Fatal(err)
	}
	segs, _ := s.Segments()
	if len(segs) < 3 {
		t.Fatalf("only %d segments: the test means to cross rotations", len(segs))
	}
	if len(rec.seen) != len(appended) {
		t.Fatalf("tap saw %d appends, want %d", len(rec.seen), len(appended))
	}
	for i, a := range rec.seen {
		if fmt.Sprint(a.ids) != fmt.Sprint(appended[i]) {
			t.Fatalf("append %d: tap saw %v, want %v", i, a.ids, appended[i])
		}
		if got := readRange(t, s, a.from, a.to); fmt.Sprint(got) != fmt.Sprint(a.ids) {
			t.Fatalf("append %d: the log holds %v between %v and %v, the tap saw %v", i, got, a.from, a.to, a.ids)
		}
		if i > 0 && a.from.Less(rec.seen[i-1].to) {
			t.Fatalf("append %d starts at %v, before the previous one ends (%v)", i, a.from, rec.seen[i-1].to)
		}
	}
}

// A reader moved past an append a tap handed over goes on with the next
// record, in the same segment or the next. Draining the log the way the
// export does (skip an append that starts where the reader stands, else read
// a record) gives every event once, in order.
func TestReaderSeekSkipsAnAppend(t *testing.T) {
	s := openSpool(t, t.TempDir(), WithSegmentBytes(600))
	defer s.Close()
	var rec tapRecorder
	defer s.Tap(rec.tap)()
	var want []string
	for i := range 8 {
		batch := events(fmt.Sprintf("s%d", i), 3)
		if err := s.Append(batch); err != nil {
			t.Fatal(err)
		}
		for _, e := range batch {
			want = append(want, e.GetDatabricksRequestId())
		}
	}
	r, err := s.Reader(Position{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var got []string
	skipped, read, next := 0, 0, 0
	for {
		for next < len(rec.seen) && rec.seen[next].from.Less(r.Position()) {
			next++ // already read from the log
		}
		if next < len(rec.seen) && rec.seen[next].from == r.Position() && next%3 != 1 {
			got = append(got, rec.seen[next].ids...)
			r.Seek(rec.seen[next].to)
			skipped++
			continue
		}
		e, err := r.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("at %v: %v", r.Position(), err)
		}
		got = append(got, e.GetDatabricksRequestId())
		read++
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("drained %v\nwant    %v", got, want)
	}
	if skipped == 0 || read == 0 {
		t.Fatalf("skipped %d appends and read %d records: the test means to do both", skipped, read)
	}
	if r.Position() != s.Committed() {
		t.Fatalf("reader at %v, log ends at %v", r.Position(), s.Committed())
	}
}
