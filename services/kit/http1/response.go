package http1

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"golang.org/x/net/http/httpguts"
)

// holdLimit is how much of an answer without Content-Length is held back
// to give it one when the handler returns; beyond it the answer is chunked.
const holdLimit = 4 << 10

// response is the http.ResponseWriter of one request. The status line and
// headers are rendered when WriteHeader is called (later header changes do
// not count, as with net/http) and sent with the first body bytes, a Flush
// or the handler's return, once the framing is known.
type response struct {
	c    *conn
	req  *http.Request
	body *requestBody

	header      http.Header
	wroteHeader bool // the status is decided and the headers rendered
	committed   bool // the status line and headers went to the connection
	status      int
	// contentLength is the answer's declared length, -1 while unknown.
	contentLength int64
	written       int64
	chunked       bool
	noBody        bool // HEAD, 204, 304: headers only
	hasType       bool // the handler set Content-Type
	hasDate       bool
	closeAfter    bool
	err           error // the first write error; the connection closes
}

// Header returns the header map to be sent.
func (w *response) Header() http.Header {
	if w.header == nil {
		w.header = make(http.Header, 4)
	}
	return w.header
}

// WriteHeader decides the status and renders the headers. A 1xx status other
// than 101 is sent at once as an informational answer.
func (w *response) WriteHeader(code int) {
	if w.wroteHeader {
		return
	}
	if code < 100 || code > 999 {
		w.c.srv.log().Error("http1: handler wrote an invalid status code; sending 500", "code", code, "path", w.req.URL.Path)
		code = http.StatusInternalServerError
	}
	if code < 200 && code != http.StatusSwitchingProtocols {
		w.writeInformational(code)
		return
	}
	w.wroteHeader, w.status = true, code
	w.noBody = w.req.Method == http.MethodHead || code == http.StatusNoContent || code == http.StatusNotModified
	w.c.head = w.renderHead(w.c.head[:0])
}

// renderHead appends the status line and the handler's headers except the
// framing ones, which commit adds.
func (w *response) renderHead(b []byte) []byte {
	b = appendStatusLine(b, w.status)
	for k, vs := range w.header {
		switch k {
		case "Content-Length":
			if len(vs) > 0 {
				if n, err := strconv.ParseInt(strings.TrimSpace(vs[0]), 10, 64); err == nil && n >= 0 {
					w.contentLength = n
				}
			}
			continue
		case "Transfer-Encoding":
			continue // the server frames the body itself
		case "Connection":
			if headerHasToken(vs, "close") {
				w.closeAfter = true
			}
			continue
		case "Content-Type":
			w.hasType = true
		case "Date":
			w.hasDate = true
		}
		if !httpguts.ValidHeaderFieldName(k) || strings.HasPrefix(k, http.TrailerPrefix) {
			continue
		}
		b = appendField(b, k, vs)
	}
	return b
}

func (w *response) writeInformational(code int) {
	b := appendStatusLine(nil, code)
	for k, vs := range w.header {
		if !httpguts.ValidHeaderFieldName(k) {
			continue
		}
		b = appendField(b, k, vs)
	}
	b = append(b, "\r\n"...)
	if _, err := w.c.bw.Write(b); err == nil {
		w.err = w.c.bw.Flush()
	}
}

// Write sends body bytes, sending the headers first.
func (w *response) Write(p []byte) (int, error) {
	if !w.wroteHeader {
		w.WriteHeader(http.StatusOK)
	}
	if w.err != nil {
		return 0, w.err
	}
	if w.noBody {
		if w.req.Method != http.MethodHead {
			return 0, http.ErrBodyNotAllowed
		}
		w.written += int64(len(p)) // a HEAD answer's length is announced, its body dropped
		return len(p), nil
	}
	if w.contentLength >= 0 && w.written+int64(len(p)) > w.contentLength {
		return 0, http.ErrContentLength
	}
	w.written += int64(len(p))
	if !w.committed {
		if w.contentLength < 0 && len(w.c.hold)+len(p) <= holdLimit {
			w.c.hold = append(w.c.hold, p...)
			return len(p), nil
		}
		w.commit(false, p)
	}
	w.writeBody(p)
	if w.err != nil {
		return 0, w.err
	}
	return len(p), nil
}

func (w *response) writeBody(p []byte) {
	if len(p) == 0 || w.err != nil {
		return
	}
	if w.chunked {
		var size [16]byte
		_, _ = w.c.bw.Write(append(strconv.AppendInt(size[:0], int64(len(p)), 16), '\r', '\n'))
		_, _ = w.c.bw.Write(p)
		_, w.err = w.c.bw.WriteString("\r\n")
		return
	}
	_, w.err = w.c.bw.Write(p)
}

// commit sends the status line and headers with the framing: the known
// length, the held bytes' length when the handler has returned (final),
// chunked otherwise (or close-delimited for HTTP/1.0). next is the body
// write that forced the commit, for Content-Type sniffing.
func (w *response) commit(final bool, next []byte) {
	if w.committed {
		return
	}
	w.committed = true
	c := w.c
	b := c.head
	head := w.req.Method == http.MethodHead
	switch {
	case w.noBody && !head: // 204, 304: no framing at all
	case w.contentLength >= 0:
		b = appendLength(b, w.contentLength)
	case final:
		n := int64(len(c.hold))
		if head {
			n = w.written
		}
		if n > 0 || !head {
			w.contentLength = n
			b = appendLength(b, n)
		}
	case head: // flushed before the handler returned: nothing to frame
	case w.req.ProtoMinor > 0:
		w.chunked = true
		b = append(b, "Transfer-Encoding: chunked\r\n"...)
	default:
		w.closeAfter = true // HTTP/1.0: the body ends with the connection
	}
	if !w.hasType && !w.noBody && w.written > 0 {
		sniff := c.hold
		if len(sniff) == 0 {
			sniff = next
		}
		b = append(append(append(b, "Content-Type: "...), http.DetectContentType(sniff)...), "\r\n"...)
	}
	if !w.hasDate {
		b = appendDate(b, time.Now())
	}
	if c.srv.inShutdown.Load() || (w.body != nil && w.body.expectContinue && !w.body.continueSent) {
		w.closeAfter = true
	}
	switch {
	case w.closeAfter:
		b = append(b, "Connection: close\r\n"...)
	case w.req.ProtoMinor == 0:
		b = append(b, "Connection: keep-alive\r\n"...)
	}
	b = append(b, "\r\n"...)
	c.head = b
	if _, err := c.bw.Write(b); err != nil {
		w.err = err
		return
	}
	if len(c.hold) > 0 {
		held := c.hold
		c.hold = c.hold[:0]
		if !w.noBody {
			w.writeBody(held)
		}
	}
}

// Flush sends what is written so far.
func (w *response) Flush() { _ = w.FlushError() }

// FlushError sends what is written so far (http.ResponseController).
func (w *response) FlushError() error {
	if !w.wroteHeader {
		w.WriteHeader(http.StatusOK)
	}
	w.commit(false, nil)
	if w.err == nil {
		w.err = w.c.bw.Flush()
	}
	return w.err
}

// SetReadDeadline and SetWriteDeadline serve http.ResponseController.
func (w *response) SetReadDeadline(t time.Time) error  { return w.c.rwc.SetReadDeadline(t) }
func (w *response) SetWriteDeadline(t time.Time) error { return w.c.rwc.SetWriteDeadline(t) }

// finish completes the answer after the handler returned.
func (w *response) finish() {
	if !w.wroteHeader {
		w.WriteHeader(http.StatusOK)
	}
	w.commit(true, nil)
	c := w.c
	c.hold = c.hold[:0]
	if w.err == nil && w.chunked {
		_, w.err = c.bw.WriteString("0\r\n")
		w.writeTrailers()
		_, _ = c.bw.WriteString("\r\n")
	}
	if !w.noBody && w.contentLength >= 0 && w.written < w.contentLength {
		w.closeAfter = true // the client sees a short body and must not wait for more
	}
	if w.err == nil {
		w.err = c.bw.Flush()
	}
	if len(c.head) > 16<<10 {
		c.head = nil // a huge header set once is not kept for the connection's life
	}
}

// writeTrailers sends the trailers a handler set with http.TrailerPrefix
// or declared in the Trailer header.
func (w *response) writeTrailers() {
	declared := w.header["Trailer"]
	for k, vs := range w.header {
		name, ok := strings.CutPrefix(k, http.TrailerPrefix)
		if !ok {
			if !headerHasToken(declared, k) {
				continue
			}
			name = k
		}
		if !httpguts.ValidHeaderFieldName(name) {
			continue
		}
		_, _ = w.c.bw.Write(appendField(nil, name, vs))
	}
}

func appendLength(b []byte, n int64) []byte {
	b = append(b, "Content-Length: "...)
	b = strconv.AppendInt(b, n, 10)
	return append(b, "\r\n"...)
}

// appendField appends one "name: value" line per value.
func appendField(b []byte, name string, values []string) []byte {
	for _, v := range values {
		b = append(append(b, name...), ": "...)
		b = append(appendFieldValue(b, v), "\r\n"...)
	}
	return b
}

// appendFieldValue appends v with CR and LF turned into spaces (a handler
// must not be able to split the header block) and outer blanks trimmed.
func appendFieldValue(b []byte, v string) []byte {
	v = strings.Trim(v, " \t")
	for i := 0; i < len(v); i++ {
		switch c := v[i]; c {
		case '\r', '\n', 0:
			b = append(b, ' ')
		default:
			b = append(b, c)
		}
	}
	return b
}

func appendStatusLine(b []byte, code int) []byte {
	if line, ok := statusLines[code]; ok {
		return append(b, line...)
	}
	b = append(b, "HTTP/1.1 "...)
	b = strconv.AppendInt(b, int64(code), 10)
	b = append(b, ' ')
	text := http.StatusText(code)
	if text == "" {
		text = "status code " + strconv.Itoa(code)
	}
	return append(append(b, text...), "\r\n"...)
}

var statusLines = func() map[int]string {
	m := map[int]string{}
	for code := 100; code < 600; code++ {
		if text := http.StatusText(code); text != "" {
			m[code] = "HTTP/1.1 " + strconv.Itoa(code) + " " + text + "\r\n"
		}
	}
	return m
}()
