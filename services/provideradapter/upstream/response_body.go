package upstream

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"net/http"
	"net/textproto"
	"sync"
)

// responseBody reads a response body as net/http's does: a sized body
// reports io.EOF with its last bytes and io.ErrUnexpectedEOF when cut
// short; a chunked body reads its trailer at its end, into the response's
// Trailer; Close reads the rest (trailer included) unless the connection
// closes anyway; a Read after Close fails.
type responseBody struct {
	mu      sync.Mutex // held by Read and Close
	src     io.Reader  // limited, a chunked reader, or the connection's reader
	limited io.LimitedReader
	sized   bool
	br      *bufio.Reader
	// trailerOf is the response of a chunked body whose trailer is unread.
	trailerOf *http.Response
	closing   bool // the connection closes after the body
	sawEOF    bool
	closed    bool
}

func (b *responseBody) Read(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return 0, http.ErrBodyReadAfterClose
	}
	return b.readLocked(p)
}

func (b *responseBody) readLocked(p []byte) (int, error) {
	if b.sawEOF {
		return 0, io.EOF
	}
	n, err := b.src.Read(p)
	if err == io.EOF {
		b.sawEOF = true
		if b.trailerOf != nil {
			if terr := b.readTrailer(); terr != nil {
				// A bad trailer leaves the body and its connection unusable.
				err, b.sawEOF, b.closed = terr, false, true
			}
			b.trailerOf = nil
		} else if b.sized && b.limited.N > 0 {
			err = io.ErrUnexpectedEOF
		}
	}
	// The last bytes of a sized body come with io.EOF: a reader that stops
	// there has seen the end, and the connection can be reused.
	if err == nil && n > 0 && b.sized && b.limited.N == 0 {
		err, b.sawEOF = io.EOF, true
	}
	return n, err
}

var errTrailerEOF = errors.New("http: unexpected EOF reading trailer")

// readTrailer reads the trailer after a chunked body's last chunk, as
// net/http does: at most a buffer's worth, merged into the response's
// Trailer.
func (b *responseBody) readTrailer() error {
	buf, err := b.br.Peek(2)
	if string(buf) == "\r\n" {
		_, _ = b.br.Discard(2)
		return nil
	}
	if len(buf) < 2 {
		return errTrailerEOF
	}
	if err != nil {
		return err
	}
	if !doubleCRLFAhead(b.br) {
		return errors.New("http: suspiciously long trailer after chunked body")
	}
	trailer, err := textproto.NewReader(b.br).ReadMIMEHeader()
	if err != nil {
		if err == io.EOF {
			return errTrailerEOF
		}
		return err
	}
	resp := b.trailerOf
	if resp.Trailer == nil {
		resp.Trailer = http.Header(trailer)
	} else {
		for k, v := range trailer {
			resp.Trailer[k] = v
		}
	}
	return nil
}

// doubleCRLFAhead reports whether br's buffer, filled as far as it goes,
// holds a "\r\n\r\n": the trailer's end within reach.
func doubleCRLFAhead(br *bufio.Reader) bool {
	for n := 4; ; n++ {
		buf, err := br.Peek(n)
		if bytes.HasSuffix(buf, []byte("\r\n\r\n")) {
			return true
		}
		if err != nil {
			return false
		}
	}
}

func (b *responseBody) Close() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return nil
	}
	var err error
	switch {
	case b.sawEOF:
	case b.trailerOf == nil && b.closing:
		// Nothing to read for: the connection closes.
	default:
		// Read the rest, trailer included.
		_, err = io.Copy(io.Discard, lockedBody{b})
	}
	b.closed = true
	return err
}

// lockedBody reads a responseBody whose lock its caller holds.
type lockedBody struct{ b *responseBody }

func (l lockedBody) Read(p []byte) (int, error) {
	if l.b.closed {
		return 0, http.ErrBodyReadAfterClose
	}
	return l.b.readLocked(p)
}
