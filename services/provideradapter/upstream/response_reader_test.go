package upstream

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/textproto"
	"reflect"
	"strings"
	"testing"
)

// readAsNetHTTP is what net/http's Transport makes of a response: its
// ReadResponse, skipping 1xx responses other than 101.
func readAsNetHTTP(br *bufio.Reader, req *http.Request) (*http.Response, error) {
	return skipInformational(br, req, http.ReadResponse)
}

// piecewiseReader hands out data at most piece bytes a read (all of it
// when piece is 0), with io.EOF on the read of the last bytes when
// eofWithData is set.
type piecewiseReader struct {
	data        []byte
	piece       int
	eofWithData bool
}

func (r *piecewiseReader) Read(p []byte) (int, error) {
	if len(r.data) == 0 {
		return 0, io.EOF
	}
	if r.piece > 0 && len(p) > r.piece {
		p = p[:r.piece]
	}
	n := copy(p, r.data)
	r.data = r.data[n:]
	if len(r.data) == 0 && r.eofWithData {
		return n, io.EOF
	}
	return n, nil
}

// readPlan is how a test reads a response: the wire's read sizes, the
// buffer's size, the body's read size, and whether the body is closed
// unread.
type readPlan struct {
	method      string
	bufSize     int
	piece       int
	eofWithData bool
	readSize    int
	closeEarly  bool
}

// observed is all a caller can see of a response read from input: its
// fields, its body's bytes and the error ending them, its trailer, what
// Close and a later Read say, and what the connection still holds
// afterwards. How the bytes split into reads is not compared: it follows
// what the connection's buffer holds, which differs as the two parsers
// read ahead differently.
type observed struct {
	Err              string
	Status           string
	StatusCode       int
	Proto            string
	ProtoMajor       int
	ProtoMinor       int
	Header           http.Header
	ContentLength    int64
	TransferEncoding []string
	Close            bool
	Uncompressed     bool
	NoBody           bool
	Body             string
	BodyErr          string
	Trailer          http.Header
	CloseErr         string
	ReadAfterClose   string
	Rest             string
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

func observe(read func(*bufio.Reader, *http.Request) (*http.Response, error), input []byte, plan readPlan) observed {
	br := bufio.NewReaderSize(&piecewiseReader{data: input, piece: plan.piece, eofWithData: plan.eofWithData}, plan.bufSize)
	resp, err := read(br, &http.Request{Method: plan.method})
	if err != nil {
		return observed{Err: err.Error()}
	}
	o := observed{Status: resp.Status, StatusCode: resp.StatusCode, Proto: resp.Proto, ProtoMajor: resp.ProtoMajor,
		ProtoMinor: resp.ProtoMinor, Header: resp.Header, ContentLength: resp.ContentLength,
		TransferEncoding: resp.TransferEncoding, Close: resp.Close, Uncompressed: resp.Uncompressed,
		NoBody: resp.Body == http.NoBody}
	buf := make([]byte, plan.readSize)
	var body []byte
	for !plan.closeEarly {
		n, err := resp.Body.Read(buf)
		body = append(body, buf[:n]...)
		if err != nil {
			o.BodyErr = err.Error()
			break
		}
	}
	o.Body = string(body)
	o.CloseErr = errString(resp.Body.Close())
	_, err = resp.Body.Read(buf)
	o.ReadAfterClose = errString(err)
	o.Trailer = resp.Trailer
	rest, err := io.ReadAll(br)
	o.Rest = fmt.Sprintf("%q %v", rest, err)
	return o
}

// sameAsNetHTTP fails t when readResponse and net/http disagree on input.
func sameAsNetHTTP(t *testing.T, input []byte, plan readPlan) {
	t.Helper()
	want := observe(readAsNetHTTP, input, plan)
	got := observe(readResponse, input, plan)
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("input %q, plan %+v:\n got %+v\nwant %+v", input, plan, got, want)
	}
}

var plans = []readPlan{
	{method: "POST", bufSize: 4096, readSize: 512},
	{method: "POST", bufSize: 4096, piece: 1, readSize: 3},
	{method: "POST", bufSize: 4096, piece: 7, eofWithData: true, readSize: 5},
	{method: "POST", bufSize: 4096, readSize: 4, closeEarly: true},
	{method: "POST", bufSize: 16, piece: 5, readSize: 64},
	{method: "HEAD", bufSize: 4096, readSize: 64},
}

// responseCases are responses on the wire; parsedHere says whether
// readResponse parses one itself (rather than leaving it to net/http).
var responseCases = []struct {
	name       string
	wire       string
	parsedHere bool
}{
	{"content length, then the next response", "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 11\r\n\r\n{\"ok\":true}HTTP/1.1 204 No Content\r\n\r\n", true},
	{"lower-case and repeated names", "HTTP/1.1 200 OK\r\ncontent-length: 2\r\nset-cookie: a=1\r\nSet-Cookie: b=2\r\nx-weird-KEY:  spaced \t value \t\r\nx-request-id: abc\r\nX-Empty:\r\n\r\nok", true},
	{"long name", "HTTP/1.1 200 OK\r\nx-" + strings.Repeat("long-", 30) + "name: v\r\nContent-Length: 0\r\n\r\n", true},
	{"obs-text value", "HTTP/1.1 200 OK\r\nX-Name: caf\xc3\xa9 \x80\xff\r\nContent-Length: 0\r\n\r\n", true},
	{"chunked", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\nNEXT", true},
	{"chunked, with a trailer", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\nX-Usage: 11\r\nx-more: a\r\n\r\nNEXT", true},
	{"chunked over a content length", "HTTP/1.1 200 OK\r\nTransfer-Encoding: Chunked\r\nContent-Length: 3\r\n\r\n2\r\nhi\r\n0\r\n\r\n", true},
	{"chunked, malformed", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhelloXX0\r\n\r\n", true},
	{"chunked, bad trailer", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\na\r\n0\r\nbad trailer\r\n\r\n", true},
	{"chunked, trailer cut short", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\na\r\n0\r\nX-A: b", true},
	{"chunked, cut short", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n10\r\nabc", true},
	{"content length cut short", "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc", true},
	{"content length with leading zeros", "HTTP/1.1 200 OK\r\nContent-Length: 003\r\n\r\nabcdef", true},
	{"connection close", "HTTP/1.1 200 OK\r\nConnection: keep-alive, Close\r\nContent-Length: 3\r\n\r\nabcdef", true},
	{"connection keep-alive", "HTTP/1.1 200 OK\r\nConnection: keep-alive\r\nContent-Length: 3\r\n\r\nabc", true},
	{"no length", "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil the end", true},
	{"HTTP/1.0", "HTTP/1.0 200 OK\r\nServer: old\r\n\r\nuntil the end", true},
	{"HTTP/1.0 keep-alive", "HTTP/1.0 200 OK\r\nConnection: Keep-Alive\r\nContent-Length: 2\r\n\r\nokNEXT", true},
	{"HTTP/1.0 close", "HTTP/1.0 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok", true},
	{"HTTP/1.0 chunked is not chunked", "HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nhi\r\n0\r\n\r\n", true},
	{"204 with a length", "HTTP/1.1 204 No Content\r\nContent-Length: 5\r\n\r\nNEXT", true},
	{"304 chunked", "HTTP/1.1 304 Not Modified\r\nTransfer-Encoding: chunked\r\nContent-Type: x\r\n\r\nNEXT", true},
	{"head-sized", "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nNEXT", true},
	{"pragma", "HTTP/1.1 200 OK\r\nPragma: no-cache\r\nContent-Length: 0\r\n\r\n", true},
	{"pragma and cache-control", "HTTP/1.1 200 OK\r\nPragma: no-cache\r\nCache-Control: max-age=1\r\nContent-Length: 0\r\n\r\n", true},
	{"bare line feeds", "HTTP/1.1 200 OK\nContent-Length: 2\nX-A: b\n\nok", true},
	{"carriage return kept in reason", "HTTP/1.1 200 OK\r\r\nContent-Length: 0\r\n\r\n", true},
	{"no reason", "HTTP/1.1 200\r\nContent-Length: 0\r\n\r\n", true},
	{"spaced status", "HTTP/1.1   404  Not  Found \r\nContent-Length: 0\r\n\r\n", true},
	{"unknown status", "HTTP/1.1 299 Whatever\r\nContent-Length: 0\r\n\r\n", true},
	{"status below 100", "HTTP/1.1 099 Odd\r\nContent-Length: 1\r\n\r\nx", true},
	{"trailer declared without chunks", "HTTP/1.1 200 OK\r\nTrailer: X-A\r\nContent-Length: 1\r\n\r\nx", true},
	{"informational responses", "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", true},
	{"switching protocols", "HTTP/1.1 101 Switching Protocols\r\nUpgrade: x\r\nConnection: Upgrade\r\n\r\nraw", true},

	{"folded line", "HTTP/1.1 200 OK\r\nX-A: a\r\n  folded\r\nContent-Length: 0\r\n\r\n", false},
	{"initial blank", "HTTP/1.1 200 OK\r\n X-A: a\r\n\r\n", false},
	{"space in a name", "HTTP/1.1 200 OK\r\nBad Key: v\r\nContent-Length: 0\r\n\r\n", false},
	{"no colon", "HTTP/1.1 200 OK\r\nno colon\r\n\r\n", false},
	{"empty name", "HTTP/1.1 200 OK\r\n: v\r\n\r\n", false},
	{"control byte", "HTTP/1.1 200 OK\r\nX-A: a\x01b\r\n\r\n", false},
	{"lone carriage return", "HTTP/1.1 200 OK\r\nX-A: a\rb\r\n\r\n", false},
	{"gzip transfer", "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n", false},
	{"kelvin chunked", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chun\u212aed\r\n\r\n", false},
	{"two transfer encodings", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", false},
	{"equal lengths", "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\nok", false},
	{"different lengths", "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nok", false},
	{"empty length", "HTTP/1.1 200 OK\r\nContent-Length: \r\n\r\n", false},
	{"signed length", "HTTP/1.1 200 OK\r\nContent-Length: +5\r\n\r\nabcde", false},
	{"huge length", "HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999\r\n\r\n", false},
	{"declared trailer", "HTTP/1.1 200 OK\r\nTrailer: X-Usage\r\nTransfer-Encoding: chunked\r\n\r\n1\r\na\r\n0\r\nX-Usage: 3\r\n\r\n", false},
	{"HTTP/1.2", "HTTP/1.2 200 OK\r\nContent-Length: 0\r\n\r\n", false},
	{"HTTP/2.0", "HTTP/2.0 200 OK\r\n\r\n", false},
	{"four-digit status", "HTTP/1.1 2000 OK\r\n\r\n", false},
	{"signed status", "HTTP/1.1 +20 OK\r\nContent-Length: 0\r\n\r\n", false},
	{"tab after status", "HTTP/1.1 200\tOK\r\n\r\n", false},
	{"not HTTP", "ICY 200 OK\r\n\r\n", false},
	{"empty status line", "\r\nHTTP/1.1 200 OK\r\n\r\n", false},
	{"nothing", "", false},
	{"headers cut short", "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n", false},
	{"status line cut short", "HTTP/1.1 200 O", false},
	{"header block over the buffer", "HTTP/1.1 200 OK\r\nX-Big: " + strings.Repeat("b", 5000) + "\r\nContent-Length: 0\r\n\r\n", false},
}

func TestReadsResponsesAsNetHTTPDoes(t *testing.T) {
	for _, c := range responseCases {
		t.Run(c.name, func(t *testing.T) {
			for _, plan := range plans {
				sameAsNetHTTP(t, []byte(c.wire), plan)
			}
		})
	}
}

// The usual responses must be parsed here, or the tests above compare
// net/http with itself.
func TestParsesTheUsualResponsesItself(t *testing.T) {
	for _, c := range responseCases {
		t.Run(c.name, func(t *testing.T) {
			br := bufio.NewReaderSize(strings.NewReader(c.wire), 4096)
			head, lines, err := peekHead(br)
			parsed := false
			if err == nil && head != nil {
				_, parsed = parseHead(head, lines, br, &http.Request{Method: "GET"})
			}
			if parsed != c.parsedHere {
				t.Fatalf("parsed here: %v, want %v", parsed, c.parsedHere)
			}
		})
	}
}

func TestBodyAfterCloseAndEOFWithTheLastBytes(t *testing.T) {
	br := bufio.NewReader(strings.NewReader("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello"))
	resp, err := readResponse(br, &http.Request{Method: "POST"})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := resp.Body.(*responseBody); !ok {
		t.Fatalf("body %T, want the fast path's", resp.Body)
	}
	buf := make([]byte, 5)
	if n, err := resp.Body.Read(buf); n != 5 || err != io.EOF {
		t.Fatalf("read %d %v, want 5 bytes with io.EOF", n, err)
	}
	resp.Body.Close()
	if _, err := resp.Body.Read(buf); !errors.Is(err, http.ErrBodyReadAfterClose) {
		t.Fatalf("read after close: %v", err)
	}
}

func TestTellsATraceOfInformationalResponses(t *testing.T) {
	var got []string
	trace := &httptrace.ClientTrace{Got1xxResponse: func(code int, h textproto.MIMEHeader) error {
		got = append(got, fmt.Sprint(code, " ", h.Get("Link")))
		return nil
	}}
	req := (&http.Request{Method: "GET"}).WithContext(httptrace.WithClientTrace(context.Background(), trace))
	br := bufio.NewReader(strings.NewReader("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"))
	resp, err := readResponse(br, req)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("%v %v", resp, err)
	}
	if want := []string{"100 ", "103 </a>"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("trace saw %q, want %q", got, want)
	}
}

func TestBoundsInformationalResponses(t *testing.T) {
	wire := strings.Repeat("HTTP/1.1 102 Processing\r\n\r\n", maxInformational+1) + "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"
	if _, err := readResponse(bufio.NewReader(strings.NewReader(wire)), nil); err == nil {
		t.Fatal("endless 1xx responses accepted")
	}
	wire = strings.Repeat("HTTP/1.1 102 Processing\r\n\r\n", maxInformational) + "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"
	if resp, err := readResponse(bufio.NewReader(strings.NewReader(wire)), nil); err != nil || resp.StatusCode != 200 {
		t.Fatalf("%v %v", resp, err)
	}
}

// rawServer answers every request on its connections with answer (as
// written, whatever it says) and returns its URL.
func rawServer(t *testing.T, answer string) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				br := bufio.NewReader(c)
				for {
					req, err := http.ReadRequest(br)
					if err != nil {
						return
					}
					_, _ = io.Copy(io.Discard, req.Body)
					if _, err := io.WriteString(c, answer); err != nil {
						return
					}
				}
			}()
		}
	}()
	return "http://" + l.Addr().String()
}

func TestTransportSkipsInformationalResponsesAndReusesTheConnection(t *testing.T) {
	url := rawServer(t, "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
	c := NewClient(nil)
	tr, ok := c.Transport.(*Transport)
	if !ok {
		t.Skip("a proxy is configured: NewClient is net/http's")
	}
	for i := 0; i < 3; i++ {
		req, _ := NewRequest(context.Background(), c, http.MethodPost, url, []byte("x"))
		resp, err := Do(c, req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || string(b) != "ok" {
			t.Fatalf("%d %q", resp.StatusCode, b)
		}
	}
	if n := len(tr.idle[poolKey{"http", strings.TrimPrefix(url, "http://")}]); n != 1 {
		t.Fatalf("%d pooled connections, want the one reused", n)
	}
}

func TestTransportReadsTrailersAndReusesTheConnection(t *testing.T) {
	for _, declared := range []bool{false, true} {
		t.Run(fmt.Sprint("declared ", declared), func(t *testing.T) {
			srv, conns := countingServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				name := http.TrailerPrefix + "X-Usage"
				if declared {
					w.Header().Set("Trailer", "X-Usage")
					name = "X-Usage"
				}
				_, _ = w.Write([]byte("part one "))
				w.(http.Flusher).Flush() // no length: chunked
				_, _ = w.Write([]byte("part two"))
				w.Header().Set(name, "11")
			}))
			c := &http.Client{Transport: NewTransport()}
			for i := 0; i < 3; i++ {
				resp, err := post(t, c, context.Background(), srv.URL, "")
				if err != nil {
					t.Fatal(err)
				}
				b, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if string(b) != "part one part two" || resp.Trailer.Get("X-Usage") != "11" ||
					len(resp.TransferEncoding) != 1 || resp.ContentLength != -1 {
					t.Fatalf("body %q trailer %v encoding %v length %d", b, resp.Trailer, resp.TransferEncoding, resp.ContentLength)
				}
			}
			if n := conns.Load(); n != 1 {
				t.Fatalf("%d connections, want 1", n)
			}
		})
	}
}

// The header block may arrive in pieces, and a read may bring the last
// piece with io.EOF.
func TestHeadArrivingInPieces(t *testing.T) {
	wire := []byte("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\nok")
	for _, piece := range []int{1, 2, 3, 10} {
		br := bufio.NewReader(&piecewiseReader{data: wire, piece: piece, eofWithData: true})
		resp, err := readResponse(br, nil)
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(resp.Body)
		if string(b) != "ok" || err != nil || resp.Header.Get("Content-Type") != "application/json" {
			t.Fatalf("piece %d: %q %v %v", piece, b, err, resp.Header)
		}
	}
}

func FuzzReadResponse(f *testing.F) {
	for _, c := range responseCases {
		f.Add([]byte(c.wire), byte(0), uint16(4096), uint8(0), uint8(64), false)
	}
	f.Add([]byte("HTTP/1.0 000 0000000000000000000000000000\n\r\n00"), byte(0), uint16(27), uint8(3), uint8(1), true)
	f.Add([]byte("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\nA: b\r\n\r\n"), byte(1), uint16(40), uint8(3), uint8(2), true)
	f.Fuzz(func(t *testing.T, wire []byte, method byte, bufSize uint16, piece, readSize uint8, closeEarly bool) {
		plan := readPlan{
			method:      []string{"GET", "HEAD", "POST"}[method%3],
			bufSize:     16 + int(bufSize)%8192,
			piece:       int(piece % 32),
			eofWithData: piece >= 128,
			readSize:    1 + int(readSize)%128,
			closeEarly:  closeEarly,
		}
		sameAsNetHTTP(t, wire, plan)
	})
}

// providerAnswer is a unary answer with a provider's usual headers.
const providerAnswer = "HTTP/1.1 200 OK\r\nDate: Wed, 25 Nov 2026 02:43:05 GMT\r\nContent-Type: application/json\r\n" +
	"Content-Length: 11\r\nConnection: keep-alive\r\nopenai-organization: org-x\r\nopenai-processing-ms: 412\r\n" +
	"openai-version: 2020-10-01\r\nx-ratelimit-limit-requests: 10000\r\nx-ratelimit-remaining-requests: 9999\r\n" +
	"x-request-id: req_123\r\nStrict-Transport-Security: max-age=31536000\r\nCF-RAY: 8f-IAD\r\nServer: cloudflare\r\n\r\n" +
	`{"ok":true}`

func BenchmarkReadResponse(b *testing.B) {
	for _, answer := range []struct{ name, wire string }{
		{"canned", "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nDate: Wed, 25 Nov 2026 02:43:05 GMT\r\nContent-Length: 11\r\n\r\n{\"ok\":true}"},
		{"provider", providerAnswer},
		{"chunked", "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n"},
	} {
		for _, reader := range []struct {
			name string
			read func(*bufio.Reader, *http.Request) (*http.Response, error)
		}{{"ours", readResponse}, {"net-http", http.ReadResponse}} {
			b.Run(answer.name+"/"+reader.name, func(b *testing.B) {
				wire := []byte(answer.wire)
				src := bytes.NewReader(wire)
				br := bufio.NewReaderSize(src, 32<<10)
				req := &http.Request{Method: "POST"}
				b.ReportAllocs()
				for b.Loop() {
					src.Reset(wire)
					br.Reset(src)
					resp, err := reader.read(br, req)
					if err != nil {
						b.Fatal(err)
					}
					_, _ = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
				}
			})
		}
	}
}
