package spool

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// Every segment file starts with this header; the last byte is the format version.
var segmentMagic = [8]byte{'T', 'G', 'S', 'P', 'O', 'O', 'L', 1}

// segmentHeaderSize is where a segment's first record starts.
const segmentHeaderSize = int64(len(segmentMagic))

const segmentSuffix = ".seg"

// segmentName is zero-padded so a directory listing sorts in append order.
func segmentName(n uint64) string { return fmt.Sprintf("%020d%s", n, segmentSuffix) }

func segmentPath(dir string, n uint64) string { return filepath.Join(dir, segmentName(n)) }

// listSegments returns the segment numbers in dir, oldest first.
func listSegments(dir string) ([]uint64, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("spool: list %s: %w", dir, err)
	}
	var segs []uint64
	for _, e := range entries {
		name, ok := strings.CutSuffix(e.Name(), segmentSuffix)
		if !ok || e.IsDir() {
			continue
		}
		n, err := strconv.ParseUint(name, 10, 64)
		if err != nil || n == 0 {
			continue
		}
		segs = append(segs, n)
	}
	slices.Sort(segs)
	return segs, nil
}

// createSegment makes a new segment holding only the header, durably: the
// file's data and its directory entry are both synced.
func createSegment(dir string, n uint64) (*os.File, error) {
	f, err := os.OpenFile(segmentPath(dir, n), os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o640)
	if err != nil {
		return nil, fmt.Errorf("spool: create segment: %w", err)
	}
	if _, err := f.WriteAt(segmentMagic[:], 0); err != nil {
		_ = f.Close()
		return nil, fmt.Errorf("spool: write segment header: %w", err)
	}
	if err := f.Sync(); err != nil {
		_ = f.Close()
		return nil, fmt.Errorf("spool: sync new segment: %w", err)
	}
	if err := syncDir(dir); err != nil {
		_ = f.Close()
		return nil, err
	}
	return f, nil
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("spool: open dir for sync: %w", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("spool: sync dir: %w", err)
	}
	return nil
}

// checkSegmentHeader reads and verifies a segment's header.
func checkSegmentHeader(f *os.File) error {
	var got [len(segmentMagic)]byte
	if _, err := f.ReadAt(got[:], 0); err != nil {
		if errors.Is(err, io.EOF) {
			return fmt.Errorf("%w: segment %s has no header", ErrCorrupt, f.Name())
		}
		return fmt.Errorf("spool: read segment header: %w", err)
	}
	if got != segmentMagic {
		return fmt.Errorf("%w: %s is not a spool segment (or has an unknown version)", ErrCorrupt, f.Name())
	}
	return nil
}

// recoverTail opens the newest segment for appending, cutting off whatever
// follows its last complete record: a crash mid-append leaves a torn record
// there, and since an append is acknowledged only after its sync, those bytes
// were never acknowledged. It returns the file, its valid size and how many
// bytes were cut.
func recoverTail(dir string, n uint64) (f *os.File, size, cut int64, err error) {
	f, err = os.OpenFile(segmentPath(dir, n), os.O_RDWR, 0)
	if err != nil {
		return nil, 0, 0, fmt.Errorf("spool: open segment: %w", err)
	}
	fail := func(err error) (*os.File, int64, int64, error) { _ = f.Close(); return nil, 0, 0, err }
	st, err := f.Stat()
	if err != nil {
		return fail(fmt.Errorf("spool: stat segment: %w", err))
	}
	if st.Size() < segmentHeaderSize {
		// Crashed while creating the segment: nothing in it was acknowledged.
		if err := f.Truncate(0); err != nil {
			return fail(fmt.Errorf("spool: reset torn segment: %w", err))
		}
		if _, err := f.WriteAt(segmentMagic[:], 0); err != nil {
			return fail(fmt.Errorf("spool: rewrite segment header: %w", err))
		}
		if err := f.Sync(); err != nil {
			return fail(fmt.Errorf("spool: sync segment: %w", err))
		}
		return f, segmentHeaderSize, st.Size(), nil
	}
	if err := checkSegmentHeader(f); err != nil {
		return fail(err)
	}
	valid, err := scanValidEnd(f, st.Size())
	if err != nil {
		return fail(err)
	}
	if valid < st.Size() {
		if err := f.Truncate(valid); err != nil {
			return fail(fmt.Errorf("spool: truncate torn tail: %w", err))
		}
		if err := f.Sync(); err != nil {
			return fail(fmt.Errorf("spool: sync truncated segment: %w", err))
		}
	}
	return f, valid, st.Size() - valid, nil
}

// scanValidEnd returns the offset just past the last intact record.
func scanValidEnd(f *os.File, size int64) (int64, error) {
	br := bufio.NewReaderSize(io.NewSectionReader(f, segmentHeaderSize, size-segmentHeaderSize), 1<<20)
	off := segmentHeaderSize
	var header [recordHeaderSize]byte
	var payload []byte
	for {
		if _, err := io.ReadFull(br, header[:]); err != nil {
			if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
				return off, nil
			}
			return 0, fmt.Errorf("spool: scan segment: %w", err)
		}
		n, err := parseHeader(header[:])
		if err != nil || off+recordHeaderSize+int64(n) > size {
			return off, nil
		}
		payload = slices.Grow(payload[:0], n)[:n]
		if _, err := io.ReadFull(br, payload); err != nil {
			if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
				return off, nil
			}
			return 0, fmt.Errorf("spool: scan segment: %w", err)
		}
		if checkPayload(header[:], payload) != nil {
			return off, nil
		}
		off += recordHeaderSize + int64(n)
	}
}
