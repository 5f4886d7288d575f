package http1

import (
	"bufio"
	"bytes"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"golang.org/x/net/http/httpguts"

	"github.com/tollgate/tollgate/services/kit/httpkey"
)

// parseError is a request the server refuses with status.
type parseError struct {
	status int
	msg    string
}

func (e *parseError) Error() string { return strconv.Itoa(e.status) + " " + e.msg }

func badRequest(msg string) error { return &parseError{status: http.StatusBadRequest, msg: msg} }

var errHeaderTooLarge = &parseError{status: http.StatusRequestHeaderFieldsTooLarge}

// headerScratch is reused by every request on a connection: the header
// values are copied into arena and become one string, so a request's
// headers cost one allocation for their bytes rather than one per value.
type headerScratch struct {
	arena  []byte
	fields []headerField
}

type headerField struct {
	key        string
	start, end int // the value in arena
}

// readRequest reads a request line and headers and prepares the body.
func (c *conn) readRequest() (*http.Request, *requestBody, error) {
	budget := c.srv.maxHeaderBytes()
	line, err := c.readLine(&budget)
	if err != nil {
		return nil, nil, err
	}
	method, target, proto, ok := splitRequestLine(line)
	if !ok {
		return nil, nil, badRequest("malformed request line")
	}
	// The request is built in the connection's template: serveRequest's
	// WithContext makes the one copy the handler gets.
	c.tmpl = http.Request{Method: internMethod(method), RemoteAddr: c.remoteAddr}
	req := &c.tmpl
	switch proto {
	case "HTTP/1.1":
		req.Proto, req.ProtoMajor, req.ProtoMinor = "HTTP/1.1", 1, 1
	case "HTTP/1.0":
		req.Proto, req.ProtoMajor, req.ProtoMinor = "HTTP/1.0", 1, 0
	default:
		if !strings.HasPrefix(proto, "HTTP/") {
			return nil, nil, badRequest("malformed HTTP version")
		}
		return nil, nil, &parseError{status: http.StatusHTTPVersionNotSupported, msg: "only HTTP/1.x is served here"}
	}
	if !validMethod(method) {
		return nil, nil, badRequest("invalid method")
	}
	req.RequestURI = string(target)
	if req.URL, err = parseTarget(req.RequestURI); err != nil {
		return nil, nil, err
	}
	if req.Header, err = c.readHeader(&budget); err != nil {
		return nil, nil, err
	}
	req.Host = req.URL.Host
	if h, ok := req.Header["Host"]; ok {
		if len(h) != 1 || !httpguts.ValidHostHeader(h[0]) {
			return nil, nil, badRequest("invalid Host header")
		}
		if req.Host == "" {
			req.Host = h[0]
		}
		delete(req.Header, "Host")
	}
	req.Close = wantsClose(req)
	body, err := c.prepareBody(req)
	if err != nil {
		return nil, nil, err
	}
	return req, body, nil
}

// readLine returns the next line without its CRLF (or bare LF), charging
// it to budget; the slice is valid until the next read.
func (c *conn) readLine(budget *int) ([]byte, error) {
	line, err := c.br.ReadSlice('\n')
	if err == bufio.ErrBufferFull {
		long := append([]byte(nil), line...)
		for err == bufio.ErrBufferFull {
			if len(long) > *budget {
				return nil, errHeaderTooLarge
			}
			line, err = c.br.ReadSlice('\n')
			long = append(long, line...)
		}
		line = long
	}
	if err != nil {
		return nil, err
	}
	if *budget -= len(line); *budget < 0 {
		return nil, errHeaderTooLarge
	}
	line = line[:len(line)-1]
	if n := len(line); n > 0 && line[n-1] == '\r' {
		line = line[:n-1]
	}
	return line, nil
}

// splitRequestLine splits "METHOD SP target SP version".
func splitRequestLine(line []byte) (method, target []byte, proto string, ok bool) {
	sp1 := bytes.IndexByte(line, ' ')
	if sp1 <= 0 {
		return nil, nil, "", false
	}
	rest := line[sp1+1:]
	sp2 := bytes.IndexByte(rest, ' ')
	if sp2 <= 0 {
		return nil, nil, "", false
	}
	version := rest[sp2+1:]
	switch string(version) { // no allocation: the compiler compares in place
	case "HTTP/1.1":
		proto = "HTTP/1.1"
	case "HTTP/1.0":
		proto = "HTTP/1.0"
	default:
		proto = string(version)
	}
	return line[:sp1], rest[:sp2], proto, true
}

// internMethod returns method as a string, without allocating for the
// common ones.
func internMethod(m []byte) string {
	switch string(m) {
	case http.MethodGet:
		return http.MethodGet
	case http.MethodPost:
		return http.MethodPost
	case http.MethodHead:
		return http.MethodHead
	case http.MethodPut:
		return http.MethodPut
	case http.MethodDelete:
		return http.MethodDelete
	case http.MethodOptions:
		return http.MethodOptions
	case http.MethodPatch:
		return http.MethodPatch
	}
	return string(m)
}

func validMethod(m []byte) bool {
	for _, b := range m {
		if !httpguts.IsTokenRune(rune(b)) {
			return false
		}
	}
	return len(m) > 0
}

// parseTarget parses the request target. The common origin form without
// escapes ("/v1/chat/completions?x=y") is split in place; anything else
// goes through url.ParseRequestURI.
func parseTarget(target string) (*url.URL, error) {
	if target == "" {
		return nil, badRequest("empty request target")
	}
	simple := target[0] == '/'
	for i := 0; i < len(target); i++ {
		switch b := target[i]; {
		case b < 0x20 || b == 0x7f:
			return nil, badRequest("control character in request target")
		case b == '%':
			simple = false
		}
	}
	if simple {
		u := &url.URL{Path: target}
		if q := strings.IndexByte(target, '?'); q >= 0 {
			u.Path, u.RawQuery, u.ForceQuery = target[:q], target[q+1:], q == len(target)-1
		}
		return u, nil
	}
	u, err := url.ParseRequestURI(target)
	if err != nil {
		return nil, badRequest("invalid request target")
	}
	return u, nil
}

// readHeader reads header lines up to the empty line.
func (c *conn) readHeader(budget *int) (http.Header, error) {
	s := &c.parse
	s.arena, s.fields = s.arena[:0], s.fields[:0]
	for {
		line, err := c.readLine(budget)
		if err != nil {
			return nil, err
		}
		if len(line) == 0 {
			break
		}
		if line[0] == ' ' || line[0] == '\t' {
			return nil, badRequest("obsolete header line folding")
		}
		colon := bytes.IndexByte(line, ':')
		if colon <= 0 {
			return nil, badRequest("malformed header line")
		}
		name, value := line[:colon], bytes.TrimLeft(line[colon+1:], " \t")
		value = bytes.TrimRight(value, " \t")
		key, ok := canonicalKey(name)
		if !ok {
			return nil, badRequest("invalid header name")
		}
		if !validFieldValue(value) {
			return nil, badRequest("invalid header value")
		}
		start := len(s.arena)
		s.arena = append(s.arena, value...)
		s.fields = append(s.fields, headerField{key: key, start: start, end: len(s.arena)})
	}
	all := string(s.arena)
	h := make(http.Header, len(s.fields))
	values := make([]string, len(s.fields))
	for i, f := range s.fields {
		values[i] = all[f.start:f.end]
		if prior, ok := h[f.key]; ok {
			h[f.key] = append(prior, values[i])
			continue
		}
		h[f.key] = values[i : i+1 : i+1]
	}
	return h, nil
}

// canonicalKey validates a header name and returns it in canonical form.
func canonicalKey(name []byte) (string, bool) {
	for _, b := range name {
		if !httpguts.IsTokenRune(rune(b)) {
			return "", false
		}
	}
	return httpkey.FromBytes(name), true
}

// validFieldValue refuses control bytes other than tab (RFC 9110 5.5).
func validFieldValue(v []byte) bool {
	for _, b := range v {
		if (b < 0x20 && b != '\t') || b == 0x7f {
			return false
		}
	}
	return true
}

// wantsClose reports whether the connection ends after req (Connection:
// close, or HTTP/1.0 without keep-alive).
func wantsClose(req *http.Request) bool {
	conn := req.Header["Connection"]
	if req.ProtoMinor == 0 {
		return !headerHasToken(conn, "keep-alive")
	}
	return headerHasToken(conn, "close")
}

// headerHasToken reports whether a comma-separated header holds token
// (case-insensitive).
func headerHasToken(values []string, token string) bool {
	for _, v := range values {
		for part := range strings.SplitSeq(v, ",") {
			if strings.EqualFold(strings.TrimSpace(part), token) {
				return true
			}
		}
	}
	return false
}
