package spool

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"testing"

	telemetryv1 "github.com/tollgate/tollgate/gen/go/tollgate/telemetry/v1"
)

func event(id string) *telemetryv1.UsageEvent {
	return &telemetryv1.UsageEvent{
		DatabricksRequestId: id,
		EndpointName:        "chat",
		StatusCode:          200,
		InputTokenCount:     12,
		OutputTokenCount:    34,
		UsageContext:        map[string]string{"team": "search"},
	}
}

func events(prefix string, n int) []*telemetryv1.UsageEvent {
	out := make([]*telemetryv1.UsageEvent, n)
	for i := range out {
		out[i] = event(fmt.Sprintf("%s-%d", prefix, i))
	}
	return out
}

func openSpool(t *testing.T, dir string, opts ...Option) *Spool {
	t.Helper()
	s, err := Open(dir, opts...)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	return s
}

// readAll reads every durable event id from the start of the log.
func readAll(t *testing.T, s *Spool) []string {
	t.Helper()
	r, err := s.Reader(Position{})
	if err != nil {
		t.Fatalf("Reader: %v", err)
	}
	defer r.Close()
	var ids []string
	for {
		e, err := r.Next()
		if errors.Is(err, io.EOF) {
			return ids
		}
		if err != nil {
			t.Fatalf("Next after %d events: %v", len(ids), err)
		}
		ids = append(ids, e.GetDatabricksRequestId())
	}
}

func wantIDs(t *testing.T, got []string, want []*telemetryv1.UsageEvent) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("read %d events, want %d", len(got), len(want))
	}
	for i := range want {
		if got[i] != want[i].GetDatabricksRequestId() {
			t.Fatalf("event %d is %q, want %q", i, got[i], want[i].GetDatabricksRequestId())
		}
	}
}

func TestAppendReopenIterate(t *testing.T) {
	dir := t.TempDir()
	s := openSpool(t, dir)
	first, second := events("a", 5), events("b", 7)
	if err := s.Append(first); err != nil {
		t.Fatal(err)
	}
	if err := s.Append(second); err != nil {
		t.Fatal(err)
	}
	all := append(append([]*telemetryv1.UsageEvent{}, first...), second...)
	wantIDs(t, readAll(t, s), all)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Append(first); !errors.Is(err, ErrClosed) {
		t.Fatalf("Append after Close = %v, want ErrClosed", err)
	}

	s = openSpool(t, dir)
	defer s.Close()
	if s.TornBytes() != 0 {
		t.Fatalf("clean reopen cut %d bytes", s.TornBytes())
	}
	wantIDs(t, readAll(t, s), all)
	third := events("c", 3)
	if err := s.Append(third); err != nil {
		t.Fatal(err)
	}
	wantIDs(t, readAll(t, s), append(all, third...))
}

func TestEventsRoundTrip(t *testing.T) {
	s := openSpool(t, t.TempDir())
	defer s.Close()
	in := event("x")
	in.Payload = &telemetryv1.InferencePayload{Request: []byte(`{"messages":[]}`), SamplingFraction: 0.5}
	in.Groups = []string{"admins", "eng"}
	if err := s.Append([]*telemetryv1.UsageEvent{in}); err != nil {
		t.Fatal(err)
	}
	r, _ := s.Reader(Position{})
	out, err := r.Next()
	if err != nil {
		t.Fatal(err)
	}
	if out.GetUsageContext()["team"] != "search" || string(out.GetPayload().GetRequest()) != `{"messages":[]}` ||
		len(out.GetGroups()) != 2 || out.GetOutputTokenCount() != 34 {
		t.Fatalf("event changed in the spool: %v", out)
	}
}

func TestRotationAndResume(t *testing.T) {
	dir := t.TempDir()
	s := openSpool(t, dir, WithSegmentBytes(1024))
	var all []*telemetryv1.UsageEvent
	for i := range 20 {
		batch := events(fmt.Sprintf("r%d", i), 10)
		if err := s.Append(batch); err != nil {
			t.Fatal(err)
		}
		all = append(all, batch...)
	}
	segs, err := s.Segments()
	if err != nil {
		t.Fatal(err)
	}
	if len(segs) < 3 {
		t.Fatalf("%d segments after %d bytes with 1 KiB segments; rotation did not happen", len(segs), s.Bytes())
	}
	wantIDs(t, readAll(t, s), all)

	// A reader resumes from a saved position, across segment boundaries.
	r, _ := s.Reader(Position{})
	for range 55 {
		if _, err := r.Next(); err != nil {
			t.Fatal(err)
		}
	}
	saved := r.Position()
	r.Close()
	r, err = s.Reader(saved)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	e, err := r.Next()
	if err != nil {
		t.Fatal(err)
	}
	if e.GetDatabricksRequestId() != all[55].GetDatabricksRequestId() {
		t.Fatalf("resumed at %q, want %q", e.GetDatabricksRequestId(), all[55].GetDatabricksRequestId())
	}
	s.Close()
	s = openSpool(t, dir, WithSegmentBytes(1024))
	defer s.Close()
	wantIDs(t, readAll(t, s), all)
}

func TestTailingReaderSeesNewAppends(t *testing.T) {
	s := openSpool(t, t.TempDir())
	defer s.Close()
	r, _ := s.Reader(Position{})
	defer r.Close()
	if _, err := r.Next(); !errors.Is(err, io.EOF) {
		t.Fatalf("empty spool: Next = %v, want io.EOF", err)
	}
	changed := s.Changed()
	if err := s.Append(events("t", 2)); err != nil {
		t.Fatal(err)
	}
	select {
	case <-changed:
	default:
		t.Fatal("Changed channel not closed by an append")
	}
	for i := range 2 {
		e, err := r.Next()
		if err != nil {
			t.Fatalf("event %d: %v", i, err)
		}
		if want := fmt.Sprintf("t-%d", i); e.GetDatabricksRequestId() != want {
			t.Fatalf("got %q, want %q", e.GetDatabricksRequestId(), want)
		}
	}
	if _, err := r.Next(); !errors.Is(err, io.EOF) {
		t.Fatalf("at the end: Next = %v, want io.EOF", err)
	}
}

func lastSegmentPath(t *testing.T, dir string) string {
	t.Helper()
	segs, err := listSegments(dir)
	if err != nil || len(segs) == 0 {
		t.Fatalf("no segments: %v", err)
	}
	return segmentPath(dir, segs[len(segs)-1])
}

func TestTornTailIsCutOnOpen(t *testing.T) {
	for _, tc := range []struct {
		name string
		tear func(t *testing.T, path string)
	}{
		{"truncated mid-record", func(t *testing.T, path string) {
			st, _ := os.Stat(path)
			if err := os.Truncate(path, st.Size()-5); err != nil {
				t.Fatal(err)
			}
		}},
		{"truncated mid-header", func(t *testing.T, path string) {
			// Leave only part of the next record's header behind the intact records.
			f, _ := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
			defer f.Close()
			f.Write([]byte{0x10, 0x00, 0x00})
		}},
		{"zero-filled tail", func(t *testing.T, path string) {
			f, _ := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
			defer f.Close()
			f.Write(make([]byte, 4096))
		}},
		{"garbage tail", func(t *testing.T, path string) {
			f, _ := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
			defer f.Close()
			f.Write([]byte("\x20\x00\x00\x00\xde\xad\xbe\xefnot a protobuf record at all....."))
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			s := openSpool(t, dir)
			intact := events("ok", 4)
			if err := s.Append(intact); err != nil {
				t.Fatal(err)
			}
			last := events("last", 1)
			if tc.name == "truncated mid-record" {
				if err := s.Append(last); err != nil {
					t.Fatal(err)
				}
			}
			s.Close()
			tc.tear(t, lastSegmentPath(t, dir))

			s = openSpool(t, dir)
			defer s.Close()
			if s.TornBytes() == 0 {
				t.Fatal("torn tail not detected")
			}
			if st, err := os.Stat(lastSegmentPath(t, dir)); err != nil || st.Size() != s.Committed().Offset {
				t.Fatalf("segment is %d bytes after recovery, its records end at %d: torn bytes left in place", st.Size(), s.Committed().Offset)
			}
			wantIDs(t, readAll(t, s), intact)
			// The spool keeps working after the cut.
			more := events("more", 2)
			if err := s.Append(more); err != nil {
				t.Fatal(err)
			}
			wantIDs(t, readAll(t, s), append(intact, more...))
		})
	}
}

func TestTornSegmentHeaderIsRewritten(t *testing.T) {
	dir := t.TempDir()
	s := openSpool(t, dir, WithSegmentBytes(256))
	first := events("h", 8)
	if err := s.Append(first); err != nil {
		t.Fatal(err)
	}
	s.Close()
	// A crash while creating the next segment leaves it shorter than its header.
	segs, _ := listSegments(dir)
	next := segs[len(segs)-1] + 1
	if err := os.WriteFile(segmentPath(dir, next), []byte("TGS"), 0o640); err != nil {
		t.Fatal(err)
	}
	s = openSpool(t, dir, WithSegmentBytes(256))
	defer s.Close()
	wantIDs(t, readAll(t, s), first)
	more := events("after", 3)
	if err := s.Append(more); err != nil {
		t.Fatal(err)
	}
	wantIDs(t, readAll(t, s), append(first, more...))
}

func TestCorruptSealedSegmentIsReported(t *testing.T) {
	dir := t.TempDir()
	s := openSpool(t, dir, WithSegmentBytes(256))
	for i := range 6 {
		if err := s.Append(events(fmt.Sprintf("c%d", i), 4)); err != nil {
			t.Fatal(err)
		}
	}
	s.Close()
	// Flip a byte inside the first (sealed) segment.
	path := segmentPath(dir, 1)
	b, _ := os.ReadFile(path)
	b[segmentHeaderSize+recordHeaderSize+3] ^= 0xff
	os.WriteFile(path, b, 0o640)

	s = openSpool(t, dir, WithSegmentBytes(256))
	defer s.Close()
	r, _ := s.Reader(Position{})
	defer r.Close()
	if _, err := r.Next(); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("Next over a damaged record = %v, want ErrCorrupt", err)
	}
}

func TestConcurrentAppendsAllLand(t *testing.T) {
	s := openSpool(t, t.TempDir(), WithSegmentBytes(8<<10))
	defer s.Close()
	const writers, batches, perBatch = 8, 20, 5
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for b := range batches {
				if err := s.Append(events(fmt.Sprintf("w%d-b%d", w, b), perBatch)); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	ids := readAll(t, s)
	if len(ids) != writers*batches*perBatch {
		t.Fatalf("read %d events, want %d", len(ids), writers*batches*perBatch)
	}
	seen := map[string]bool{}
	for _, id := range ids {
		if seen[id] {
			t.Fatalf("%q stored twice", id)
		}
		seen[id] = true
	}
}

func TestInvalidEventIsRefusedWithoutDamage(t *testing.T) {
	s := openSpool(t, t.TempDir())
	defer s.Close()
	good := events("g", 2)
	bad := event("bad")
	bad.UserAgent = "curl\xff"
	if err := s.Append(append(good, bad)); !errors.Is(err, ErrInvalidEvent) {
		t.Fatalf("Append with invalid UTF-8 = %v, want ErrInvalidEvent", err)
	}
	if ids := readAll(t, s); len(ids) != 0 {
		t.Fatalf("a refused batch left %d events behind", len(ids))
	}
	if err := s.Append(good); err != nil {
		t.Fatal(err)
	}
	wantIDs(t, readAll(t, s), good)
}

func TestSecondOpenOfSameDirFails(t *testing.T) {
	dir := t.TempDir()
	s := openSpool(t, dir)
	defer s.Close()
	if s2, err := Open(dir); err == nil {
		s2.Close()
		t.Fatal("a second Open of a spool in use succeeded")
	}
}

func TestZeroBytesNeverFormARecord(t *testing.T) {
	header := make([]byte, recordHeaderSize)
	if checkPayload(header, nil) == nil {
		t.Fatal("an all-zero record header passes its checksum")
	}
}

func TestBytesTracksFiles(t *testing.T) {
	dir := t.TempDir()
	s := openSpool(t, dir, WithSegmentBytes(512))
	for i := range 5 {
		if err := s.Append(events(fmt.Sprintf("s%d", i), 5)); err != nil {
			t.Fatal(err)
		}
	}
	var onDisk int64
	matches, _ := filepath.Glob(filepath.Join(dir, "*"+segmentSuffix))
	for _, m := range matches {
		st, _ := os.Stat(m)
		onDisk += st.Size()
	}
	if s.Bytes() != onDisk {
		t.Fatalf("Bytes() = %d, files hold %d", s.Bytes(), onDisk)
	}
	s.Close()
	s = openSpool(t, dir, WithSegmentBytes(512))
	defer s.Close()
	if s.Bytes() != onDisk {
		t.Fatalf("after reopen Bytes() = %d, files hold %d", s.Bytes(), onDisk)
	}
}
