package provideradapter

import (
	"bufio"
	"bytes"
	"net"
	"strconv"
	"testing"
)

// cannedChatResponse is the fake upstream's unary chat answer, as it is on
// the wire.
const cannedChatResponse = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nDate: Wed, 25 Nov 2026 02:43:05 GMT\r\nContent-Length: 573\r\n\r\n" +
	`{"id":"chatcmpl-fake","object":"chat.completion","created":1700000000,"model":"fake-gpt","choices":[{"index":0,"message":{"role":"assistant","content":"Hello from the fake upstream.","refusal":null,"annotations":[]},"logprobs":null,"finish_reason":"stop"}],"usage":{"prompt_tokens":3,"completion_tokens":8,"total_tokens":11,"prompt_tokens_details":{"cached_tokens":0,"audio_tokens":0},"completion_tokens_details":{"reasoning_tokens":0,"audio_tokens":0,"accepted_prediction_tokens":0,"rejected_prediction_tokens":0}},"service_tier":"default","system_fingerprint":"fp_fake"}` + "\n"

// startCannedUpstream answers every request on a kept-alive loopback
// connection with answer, whatever it asks: a benchmark's upstream that
// costs next to nothing, so the numbers are the adapter's own. It returns
// the server's base URL.
func startCannedUpstream(tb testing.TB, answer string) string {
	tb.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go answerEach(c, []byte(answer))
		}
	}()
	return "http://" + l.Addr().String()
}

// answerEach reads request after request from c (headers, then a
// Content-Length body) and writes answer to each.
func answerEach(c net.Conn, answer []byte) {
	defer c.Close()
	br := bufio.NewReader(c)
	for {
		n := 0
		for {
			line, err := br.ReadSlice('\n')
			if err != nil {
				return
			}
			if len(line) <= 2 {
				break // the blank line ending the headers
			}
			if name, value, ok := bytes.Cut(line, []byte(":")); ok && bytes.EqualFold(name, []byte("Content-Length")) {
				n, _ = strconv.Atoi(string(bytes.TrimSpace(value)))
			}
		}
		if _, err := br.Discard(n); err != nil {
			return
		}
		if _, err := c.Write(answer); err != nil {
			return
		}
	}
}
