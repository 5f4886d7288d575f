package upstream

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/http/httptrace"
	"net/http/httputil"
	"net/textproto"
	"strconv"
	"strings"

	"github.com/tollgate/tollgate/services/kit/httpkey"
	"golang.org/x/net/http/httpguts"
)

// maxInformational bounds the 1xx responses skipped before the final one.
// net/http bounds them by its 10 MB header budget; a count is simpler to
// keep here and far above what a server sends (a 100 Continue, an Early
// Hints, a 102 Processing now and then during a long call).
const maxInformational = 1000

// maxInlineValues is how many header values a response holds without
// allocating them apart: as many as a small map holds, and few enough
// that the response's allocation stays in a 384-byte size class.
const maxInlineValues = 8

// readResponse reads the response to req from br as net/http's Transport
// does: http.ReadResponse's parse, with the 1xx informational responses
// other than 101 Switching Protocols skipped.
func readResponse(br *bufio.Reader, req *http.Request) (*http.Response, error) {
	return skipInformational(br, req, readOneResponse)
}

// skipInformational reads responses with readOne until one is not a 1xx
// (101 aside), telling a client trace about each one skipped.
func skipInformational(br *bufio.Reader, req *http.Request, readOne func(*bufio.Reader, *http.Request) (*http.Response, error)) (*http.Response, error) {
	for skipped := 0; ; skipped++ {
		resp, err := readOne(br, req)
		if err != nil {
			return nil, err
		}
		if resp.StatusCode < 100 || resp.StatusCode > 199 || resp.StatusCode == http.StatusSwitchingProtocols {
			return resp, nil
		}
		if skipped == maxInformational {
			return nil, fmt.Errorf("upstream: more than %d informational (1xx) responses", maxInformational)
		}
		if req != nil {
			if trace := httptrace.ContextClientTrace(req.Context()); trace != nil && trace.Got1xxResponse != nil {
				if err := trace.Got1xxResponse(resp.StatusCode, textproto.MIMEHeader(resp.Header)); err != nil {
					return nil, err
				}
			}
		}
	}
}

// readOneResponse is http.ReadResponse(br, req). The usual response (an
// HTTP/1.x status line, well-formed header lines, its header block whole
// in br's buffer, plain framing) is parsed here from the buffer with a few
// allocations; anything else is left to http.ReadResponse, so that its
// answer and its error are net/http's.
func readOneResponse(br *bufio.Reader, req *http.Request) (*http.Response, error) {
	head, lines, err := peekHead(br)
	if err != nil {
		return http.ReadResponse(replay(br, err), req)
	}
	if head == nil {
		return http.ReadResponse(br, req)
	}
	resp, ok := parseHead(head, lines, br, req)
	if !ok {
		return http.ReadResponse(br, req)
	}
	_, _ = br.Discard(len(head)) // buffered: cannot fail
	return resp, nil
}

// peekHead waits until br buffers a response's status line and header
// block through the blank line ending it, and returns them unconsumed with
// the number of header lines. For what parseHead does not handle (a line
// it does not accept, a block larger than br's buffer) it returns neither
// head nor error, as soon as it sees that line or fills the buffer: net/http
// then reads the response, failing as early as it would have. An error is
// the read's that ended the block early.
func peekHead(br *bufio.Reader) (head []byte, lines int, err error) {
	lineStart, statusRead := 0, false
	for {
		buf, _ := br.Peek(br.Buffered())
		for {
			nl := bytes.IndexByte(buf[lineStart:], '\n')
			if nl < 0 {
				break
			}
			line := dropCR(buf[lineStart : lineStart+nl])
			lineStart += nl + 1
			switch {
			case !statusRead:
				if !usualStatusLine(line) {
					return nil, 0, nil
				}
				statusRead = true
			case len(line) == 0:
				return buf[:lineStart], lines, nil
			case !usualHeaderLine(line):
				return nil, 0, nil
			default:
				lines++
			}
		}
		// A read can return bytes with its error: they were scanned above.
		if err != nil {
			return nil, 0, err
		}
		if len(buf) == br.Size() {
			return nil, 0, nil
		}
		_, err = br.Peek(len(buf) + 1)
	}
}

// replay is a reader of what br buffers, then err for ever: the stream
// http.ReadResponse would have read from br, whose error peekHead took.
func replay(br *bufio.Reader, err error) *bufio.Reader {
	pending, _ := br.Peek(br.Buffered())
	return bufio.NewReaderSize(io.MultiReader(bytes.NewReader(pending), failingReader{err}), br.Size())
}

type failingReader struct{ err error }

func (r failingReader) Read([]byte) (int, error) { return 0, r.err }

// dropCR removes the '\r' of a line's "\r\n" end, as bufio.Reader.ReadLine does.
func dropCR(line []byte) []byte {
	if n := len(line); n > 0 && line[n-1] == '\r' {
		return line[:n-1]
	}
	return line
}

// usualStatusLine reports whether line is an HTTP/1.0 or HTTP/1.1 status
// line with a three-digit code: net/http accepts it, with any reason.
func usualStatusLine(line []byte) bool {
	if len(line) < len("HTTP/1.x 200") || string(line[:7]) != "HTTP/1." || line[7] != '0' && line[7] != '1' || line[8] != ' ' {
		return false
	}
	_, ok := statusCode(bytes.TrimLeft(line[9:], " "))
	return ok
}

// statusCode parses the code that status (as in "200 OK") starts with.
func statusCode[S string | []byte](status S) (int, bool) {
	if len(status) < 3 || len(status) > 3 && status[3] != ' ' {
		return 0, false
	}
	code := 0
	for i := 0; i < 3; i++ {
		c := status[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		code = code*10 + int(c-'0')
	}
	return code, true
}

// usualHeaderLine reports whether line is a header line net/http accepts
// as it is: a token name, a colon and a value of valid bytes. A folded
// line (starting with a blank) and a name with a space in it are among
// the lines net/http accepts that are not usual.
func usualHeaderLine(line []byte) bool {
	colon := bytes.IndexByte(line, ':')
	if colon <= 0 {
		return false
	}
	for _, c := range line[:colon] {
		if !tokenByte[c] {
			return false
		}
	}
	for _, c := range line[colon+1:] {
		if !valueByte[c] {
			return false
		}
	}
	return true
}

// tokenByte and valueByte are the bytes of a header name (RFC 9110's
// tchar) and of a header value (VCHAR, obs-text, space and tab), as
// net/textproto reads them.
var tokenByte, valueByte = func() (token, value [256]bool) {
	for c := 0; c < 256; c++ {
		token[c] = 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
			strings.IndexByte("!#$%&'*+-.^_`|~", byte(c)) >= 0
		value[c] = c == '\t' || c >= ' ' && c != 0x7f
	}
	return token, value
}()

// responseParts is a response's allocation: the response, its body and
// its first header values, together.
type responseParts struct {
	resp             http.Response
	body             responseBody
	values           [maxInlineValues]string
	transferEncoding [1]string
}

// parseHead parses head (as peekHead returned it, with its line count)
// into the response to req, its body to be read from br after head. It
// reports false, having consumed nothing, for what it leaves to
// http.ReadResponse: framing headers it would reject or rewrite.
func parseHead(head []byte, lines int, br *bufio.Reader, req *http.Request) (*http.Response, bool) {
	// One string holds the status and every header name and value.
	block := string(head)
	eol := strings.IndexByte(block, '\n')
	statusLine := strings.TrimSuffix(block[:eol], "\r")
	status := strings.TrimLeft(statusLine[9:], " ")
	code, _ := statusCode(status)

	parts := new(responseParts)
	values := parts.values[:]
	if lines > len(values) {
		values = make([]string, lines)
	}
	header := make(http.Header, lines)
	var seen namedHeaders
	rest := block[eol+1:]
	for {
		eol = strings.IndexByte(rest, '\n')
		line := strings.TrimSuffix(rest[:eol], "\r")
		rest = rest[eol+1:]
		if line == "" {
			break
		}
		colon := strings.IndexByte(line, ':')
		key := httpkey.FromString(line[:colon])
		value := trimBlanks(line[colon+1:])
		seen |= named(key)
		if vv, ok := header[key]; ok {
			header[key] = append(vv, value)
		} else {
			values[0] = value
			header[key], values = values[:1:1], values[1:]
		}
	}

	resp := &parts.resp
	*resp = http.Response{Status: status, StatusCode: code, Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header: header, Request: req}
	if statusLine[7] == '0' {
		resp.Proto, resp.ProtoMinor = "HTTP/1.0", 0
	}
	if seen&namedPragma != 0 {
		noCacheFromPragma(header)
	}
	if !frame(resp, parts, br, seen) {
		return nil, false
	}
	return resp, true
}

// trimBlanks is s without its leading and trailing spaces and tabs.
func trimBlanks(s string) string {
	for len(s) > 0 && (s[0] == ' ' || s[0] == '\t') {
		s = s[1:]
	}
	for len(s) > 0 && (s[len(s)-1] == ' ' || s[len(s)-1] == '\t') {
		s = s[:len(s)-1]
	}
	return s
}

// namedHeaders is a set of the headers that frame and noCacheFromPragma
// read: a response without them costs no lookup of them.
type namedHeaders uint8

const (
	namedConnection namedHeaders = 1 << iota
	namedTransferEncoding
	namedContentLength
	namedTrailer
	namedPragma
)

func named(key string) namedHeaders {
	switch key {
	case "Connection":
		return namedConnection
	case "Transfer-Encoding":
		return namedTransferEncoding
	case "Content-Length":
		return namedContentLength
	case "Trailer":
		return namedTrailer
	case "Pragma":
		return namedPragma
	}
	return 0
}

// noCacheFromPragma treats "Pragma: no-cache" as "Cache-Control: no-cache"
// (RFC 7234, section 5.4), as http.ReadResponse does.
func noCacheFromPragma(header http.Header) {
	if p, ok := header["Pragma"]; ok && len(p) > 0 && p[0] == "no-cache" {
		if _, ok := header["Cache-Control"]; !ok {
			header["Cache-Control"] = []string{"no-cache"}
		}
	}
}

// frame sets resp's length, framing, Close and body as net/http's
// readTransfer does, and removes the headers it removes. It reports false
// for what readTransfer refuses or handles specially: a Transfer-Encoding
// other than chunked, a Content-Length that is not one number, declared
// trailers of a chunked body. seen names the headers among them present.
func frame(resp *http.Response, parts *responseParts, br *bufio.Reader, seen namedHeaders) bool {
	header := resp.Header
	method := "GET"
	if resp.Request != nil {
		method = resp.Request.Method
	}
	// Connection: a response closes its connection when it says so, and
	// HTTP/1.0 unless it says keep-alive.
	var tokens []string
	if seen&namedConnection != 0 {
		tokens = header["Connection"]
	}
	closing := httpguts.HeaderValuesContainsToken(tokens, "close")
	if resp.ProtoMinor == 0 {
		closing = closing || !httpguts.HeaderValuesContainsToken(tokens, "keep-alive")
	} else if closing {
		delete(header, "Connection")
	}

	chunked := false
	if seen&namedTransferEncoding != 0 {
		if resp.ProtoMinor == 1 { // HTTP/1.0 has none: ignored
			te := header["Transfer-Encoding"]
			if len(te) != 1 || !asciiEqualFold(te[0], "chunked") {
				return false
			}
			chunked = true
		}
		delete(header, "Transfer-Encoding")
	}

	declared := int64(-1)
	if seen&namedContentLength != 0 {
		cl := header["Content-Length"]
		if len(cl) != 1 {
			return false
		}
		n, err := strconv.ParseUint(cl[0], 10, 63) // the value is trimmed: "" fails too
		if err != nil {
			return false
		}
		declared = int64(n)
	}
	if seen&namedTrailer != 0 && chunked {
		return false
	}

	bodyAllowed := !(resp.StatusCode >= 100 && resp.StatusCode <= 199 || resp.StatusCode == 204 || resp.StatusCode == 304)
	noBody := method == http.MethodHead || !bodyAllowed
	var length int64
	switch {
	case noBody:
		length = 0
	case chunked:
		delete(header, "Content-Length")
		length = -1
	default:
		length = declared
	}
	resp.ContentLength = length
	if method == http.MethodHead {
		resp.ContentLength = declared
	}
	if chunked {
		parts.transferEncoding[0] = "chunked"
		resp.TransferEncoding = parts.transferEncoding[:]
	}
	if length == -1 && !chunked && bodyAllowed {
		closing = true // the body ends when the connection does
	}
	resp.Close = closing

	body := &parts.body
	body.closing = closing
	resp.Body = body
	switch {
	case chunked && noBody:
		resp.Body = http.NoBody
	case chunked:
		body.src, body.br, body.trailerOf = httputil.NewChunkedReader(br), br, resp
	case length == 0:
		resp.Body = http.NoBody
	case length > 0:
		body.limited, body.sized = io.LimitedReader{R: br, N: length}, true
		body.src = &body.limited
	case closing:
		body.src = br // to the connection's end
	default:
		resp.Body = http.NoBody
	}
	return true
}

// asciiEqualFold is strings.EqualFold for ASCII only, as net/http compares
// a Transfer-Encoding: "chunked" spelled with a Kelvin sign is not chunked.
func asciiEqualFold(s, t string) bool {
	if len(s) != len(t) {
		return false
	}
	for i := 0; i < len(s); i++ {
		if lowerASCII(s[i]) != lowerASCII(t[i]) {
			return false
		}
	}
	return true
}

func lowerASCII(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}
