package upstream

import (
	"bufio"
	"net/http"
	"net/http/httptrace"
	"net/textproto"
	"slices"
	"strconv"
	"strings"

	"golang.org/x/net/http/httpguts"
)

// defaultUserAgent is what net/http sends when a request sets none.
const defaultUserAgent = "Go-http-client/1.1"

// maxSortedHeaders is how many header names writeRequest sorts on the
// stack; a request with more is written by net/http.
const maxSortedHeaders = 32

// writeRequest writes req to w byte for byte as req.Write would, but for
// the plain requests the adapter sends (a body in memory, no trailers, no
// client trace) without req.Write's formatting and allocations. Any other
// request is req.Write's.
func writeRequest(w *bufio.Writer, req *http.Request) error {
	body, ok := req.Body.(*memBody)
	if !ok || !plain(req, body) {
		return req.Write(w)
	}
	host, ok := hostHeader(req)
	if !ok {
		return req.Write(w)
	}
	uri := req.URL.RequestURI()
	if hasCTLByte(uri) {
		return req.Write(w) // refused there, in its words
	}
	var keys [maxSortedHeaders]string
	names := keys[:0]
	for k := range req.Header {
		if excludedFromHeaders(k) {
			continue
		}
		if len(names) == maxSortedHeaders {
			return req.Write(w)
		}
		names = append(names, k)
	}
	slices.Sort(names)

	w.WriteString(req.Method)
	w.WriteByte(' ')
	w.WriteString(uri)
	w.WriteString(" HTTP/1.1\r\nHost: ")
	w.WriteString(host)
	w.WriteString("\r\n")
	userAgent := defaultUserAgent
	if _, set := req.Header["User-Agent"]; set {
		userAgent = req.Header.Get("User-Agent")
	}
	if userAgent != "" {
		w.WriteString("User-Agent: ")
		w.WriteString(headerValue(userAgent))
		w.WriteString("\r\n")
	}
	w.WriteString("Content-Length: ")
	w.Write(strconv.AppendInt(w.AvailableBuffer(), req.ContentLength, 10))
	w.WriteString("\r\n")
	for _, k := range names {
		if !httpguts.ValidHeaderFieldName(k) {
			continue // net/http drops such a header silently
		}
		for _, v := range req.Header[k] {
			w.WriteString(k)
			w.WriteString(": ")
			w.WriteString(headerValue(v))
			w.WriteString("\r\n")
		}
	}
	w.WriteString("\r\n")
	_, err := body.WriteTo(w)
	return err
}

// plain reports whether req is one writeRequest writes itself: a method
// other than CONNECT, its whole body in memory and not yet read, and none
// of what changes how net/http frames or reports a request.
func plain(req *http.Request, body *memBody) bool {
	return req.Method != "" && req.Method != http.MethodConnect && req.URL != nil &&
		!req.Close && req.TransferEncoding == nil && req.Trailer == nil &&
		body.unread() && len(body.data) > 0 && req.ContentLength == int64(len(body.data)) &&
		httptrace.ContextClientTrace(req.Context()) == nil
}

// hostHeader is the Host header net/http sends for req (a Host it cannot
// validate is sent empty); ok is false for a host net/http would first
// convert from Unicode.
func hostHeader(req *http.Request) (string, bool) {
	host := req.Host
	if host == "" {
		host = req.URL.Host
	}
	for i := 0; i < len(host); i++ {
		if host[i] >= 0x80 {
			return "", false
		}
	}
	if !httpguts.ValidHostHeader(host) {
		return "", true
	}
	return removeZone(host), true
}

// removeZone drops an IPv6 zone from host, as RFC 6874 asks of a client:
// "[fe80::1%en0]:8080" is sent as "[fe80::1]:8080".
func removeZone(host string) string {
	if !strings.HasPrefix(host, "[") {
		return host
	}
	i := strings.LastIndex(host, "]")
	if i < 0 {
		return host
	}
	j := strings.LastIndex(host[:i], "%")
	if j < 0 {
		return host
	}
	return host[:j] + host[i:]
}

// excludedFromHeaders names the headers req.Write does not copy from
// Request.Header: it writes them from the request's own fields.
func excludedFromHeaders(name string) bool {
	switch name {
	case "Host", "User-Agent", "Content-Length", "Transfer-Encoding", "Trailer":
		return true
	}
	return false
}

var newlineToSpace = strings.NewReplacer("\n", " ", "\r", " ")

// headerValue is v as net/http writes a header value: line breaks turned
// into spaces (no header can be smuggled in), surrounding blanks trimmed.
func headerValue(v string) string {
	if strings.ContainsAny(v, "\r\n") {
		v = newlineToSpace.Replace(v)
	}
	return textproto.TrimString(v)
}

func hasCTLByte(s string) bool {
	for i := 0; i < len(s); i++ {
		if b := s[i]; b < ' ' || b == 0x7f {
			return true
		}
	}
	return false
}
