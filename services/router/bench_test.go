package router

import (
	"bytes"
	"io"
	"net/http"
	"testing"
)

// BenchmarkFacadeChat measures the router and facade alone (stub adapter, no
// upstream): HTTP parse, decode, auth, quota, routing, encode, usage event.
func BenchmarkFacadeChat(b *testing.B) {
	for _, mode := range []struct{ name, extra string }{{"unary", ""}, {"stream", `,"stream":true`}} {
		b.Run(mode.name, func(b *testing.B) {
			f := newFixture(&testing.T{}, "")
			benchChatCompletions(b, f.url, []byte(chat("chat", mode.extra)))
		})
	}
}

// benchChatCompletions posts body to the router at url's chat completions
// route in a loop, reading every answer to its end.
func benchChatCompletions(b *testing.B, url string, body []byte) {
	b.Helper()
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 4}}
	b.ReportAllocs()
	for b.Loop() {
		req, _ := http.NewRequest(http.MethodPost, url+"/v1/chat/completions", bytes.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+aliceToken)
		resp, err := client.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			b.Fatalf("status %d", resp.StatusCode)
		}
	}
}
