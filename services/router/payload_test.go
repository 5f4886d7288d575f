package router

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

func TestInferenceTablePayloads(t *testing.T) {
	f := newFixture(t, "")
	u := f.url + "/v1/chat/completions"

	resp, _ := post(t, u, aliceToken, chat("logged", ""))
	p := f.usage.eventFor(t, resp).GetPayload()
	if p == nil || string(p.GetRequest()) != chat("logged", "") || !strings.Contains(string(p.GetResponse()), `"content":"hello"`) {
		t.Fatalf("unary payload %+v", p)
	}
	if p.GetTableNamePrefix() != "logged" || p.GetSamplingFraction() != 1 || len(p.GetLoggingErrorCodes()) != 0 {
		t.Fatalf("payload metadata %+v", p)
	}

	// A streamed answer is stored assembled into one chat.completion.
	resp, _ = post(t, u, aliceToken, chat("logged", `,"stream":true`))
	p = f.usage.eventFor(t, resp).GetPayload()
	var assembled struct {
		Object  string `json:"object"`
		Choices []struct {
			Message struct{ Content string } `json:"message"`
		} `json:"choices"`
		Usage struct {
			CompletionTokens int `json:"completion_tokens"`
		} `json:"usage"`
	}
	if err := json.Unmarshal(p.GetResponse(), &assembled); err != nil {
		t.Fatalf("assembled response is not JSON: %v: %s", err, p.GetResponse())
	}
	if assembled.Object != "chat.completion" || len(assembled.Choices) != 1 || assembled.Choices[0].Message.Content != "hello" || assembled.Usage.CompletionTokens != 2 {
		t.Fatalf("assembled %+v from %s", assembled, p.GetResponse())
	}

	// Over the limit: left out and named.
	big := `{"model":"logged","messages":[{"role":"user","content":"` + strings.Repeat("x", 1200) + `"}]}`
	resp, _ = post(t, u, aliceToken, big)
	p = f.usage.eventFor(t, resp).GetPayload()
	if len(p.GetRequest()) != 0 || len(p.GetLoggingErrorCodes()) != 1 || p.GetLoggingErrorCodes()[0] != "MAX_REQUEST_SIZE_EXCEEDED" {
		t.Fatalf("oversized payload %+v", p)
	}

	// No credentials in anything stored.
	for _, ev := range f.usage.events {
		if pl := ev.GetPayload(); pl != nil && (strings.Contains(string(pl.GetRequest()), aliceToken) || strings.Contains(string(pl.GetResponse()), aliceToken)) {
			t.Fatal("a stored payload contains the caller's token")
		}
	}

	// Endpoints without an inference table log nothing.
	resp, _ = post(t, u, aliceToken, chat("chat", ""))
	if f.usage.eventFor(t, resp).GetPayload() != nil {
		t.Fatal("payload logged for an endpoint without an inference table")
	}
}

// With sampling_fraction 0.3, the logged share of 2000 requests lies within
// four standard deviations of 600 (sd ≈ 20.5): a false failure is ~1 in 15,000.
func TestInferenceTableSampling(t *testing.T) {
	f := newFixture(t, "")
	const n = 2000
	var last *http.Response
	for i := 0; i < n; i++ {
		last, _ = post(t, f.url+"/v1/chat/completions", aliceToken, chat("sampled", ""))
	}
	f.usage.eventFor(t, last)
	if f.usage.count() != n {
		t.Fatalf("%d usage events for %d requests", f.usage.count(), n)
	}
	logged := 0
	for _, ev := range f.usage.events {
		if ev.GetPayload() != nil {
			logged++
			if ev.GetPayload().GetSamplingFraction() != 0.3 {
				t.Fatalf("sampling fraction %v", ev.GetPayload().GetSamplingFraction())
			}
		}
	}
	if logged < 518 || logged > 682 {
		t.Fatalf("logged %d of %d at fraction 0.3", logged, n)
	}
}
