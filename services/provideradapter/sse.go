package provideradapter

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"sync"
)

// maxSSELine bounds one line of a provider stream, so a misbehaving provider
// cannot make the adapter buffer without limit.
const maxSSELine = 16 << 20

var errSSELineTooLong = errors.New("provider stream line exceeds 16 MiB")

// sseReader reads Server-Sent Events as they arrive: one event per call, no
// matter how the bytes were split across network reads.
type sseReader struct {
	br   *bufio.Reader
	line []byte // spill buffer for lines longer than br's buffer
	data []byte
}

// sseReaders recycles readers and their buffers across streams.
var sseReaders = sync.Pool{New: func() any { return &sseReader{br: bufio.NewReaderSize(nil, 16<<10)} }}

// newSSEReader reads events from r; release it when the stream is done.
func newSSEReader(r io.Reader) *sseReader {
	sr := sseReaders.Get().(*sseReader)
	sr.br.Reset(r)
	return sr
}

// release returns the reader for reuse; events already returned stay valid.
func (r *sseReader) release() {
	r.br.Reset(nil)
	if cap(r.line) > 1<<20 {
		r.line = nil // do not keep one huge line's buffer alive
	}
	if cap(r.data) > 1<<20 {
		r.data = nil
	}
	sseReaders.Put(r)
}

// sseEvent is one dispatched event. data is a fresh copy the caller may keep.
type sseEvent struct {
	name string
	data []byte
}

// next returns the next event that carries data. At the end of the stream
// it returns io.EOF (after dispatching a final event that lacked its blank
// line, as the spec allows).
func (r *sseReader) next() (sseEvent, error) {
	r.data = r.data[:0]
	hasData := false
	var name string
	for {
		line, err := r.readLine()
		if err != nil {
			if errors.Is(err, io.EOF) && hasData {
				return sseEvent{name: name, data: bytes.Clone(r.data)}, nil
			}
			return sseEvent{}, err
		}
		if len(line) == 0 {
			if hasData {
				return sseEvent{name: name, data: bytes.Clone(r.data)}, nil
			}
			name = ""
			continue
		}
		if line[0] == ':' {
			continue // comment, often a keep-alive
		}
		field, value := line, []byte(nil)
		if i := bytes.IndexByte(line, ':'); i >= 0 {
			field, value = line[:i], line[i+1:]
			if len(value) > 0 && value[0] == ' ' {
				value = value[1:]
			}
		}
		switch string(field) {
		case "data":
			if hasData {
				r.data = append(r.data, '\n')
			}
			r.data = append(r.data, value...)
			hasData = true
		case "event":
			name = string(value)
		}
	}
}

// eventBuffered reports, without reading from the network, whether the
// bytes already buffered hold a complete event that carries data: a data
// line and, after it, the blank line that dispatches it. When it does, next
// returns that event without waiting, so a relay can forward the events that
// arrived together as one batch. It scans lines exactly as next does (CRLF
// or LF endings; comments and dataless events are skipped).
func (r *sseReader) eventBuffered() bool {
	buf, _ := r.br.Peek(r.br.Buffered()) // never reads: n is what is buffered
	hasData := false
	for {
		end := bytes.IndexByte(buf, '\n')
		if end < 0 {
			return false // the rest is an unfinished line
		}
		line := bytes.TrimSuffix(buf[:end], []byte{'\r'})
		buf = buf[end+1:]
		if len(line) == 0 {
			if hasData {
				return true
			}
			continue
		}
		if isDataField(line) {
			hasData = true
		}
	}
}

// isDataField reports whether an event line is a data field ("data:…" or a
// bare "data"), as next parses it.
func isDataField(line []byte) bool {
	return bytes.HasPrefix(line, []byte("data")) && (len(line) == 4 || line[4] == ':')
}

// readLine returns one line without its line ending; the slice is valid
// until the next call.
func (r *sseReader) readLine() ([]byte, error) {
	line, err := r.br.ReadSlice('\n')
	if errors.Is(err, bufio.ErrBufferFull) {
		r.line = append(r.line[:0], line...)
		for errors.Is(err, bufio.ErrBufferFull) && len(r.line) <= maxSSELine {
			line, err = r.br.ReadSlice('\n')
			r.line = append(r.line, line...)
		}
		if len(r.line) > maxSSELine {
			return nil, errSSELineTooLong
		}
		line = r.line
	}
	if err != nil && !(errors.Is(err, io.EOF) && len(line) > 0) {
		return nil, err
	}
	line = bytes.TrimSuffix(line, []byte{'\n'})
	line = bytes.TrimSuffix(line, []byte{'\r'})
	return line, nil
}
