package provideradapter

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/tollgate/tollgate/services/kit/config"
	"github.com/tollgate/tollgate/services/kit/errs"
	"github.com/tollgate/tollgate/services/provideradapter/fakeupstream"
)

var cohereCase = cloudProviders[2]

func TestCohereRequestAndUsage(t *testing.T) {
	fake, srv, _ := startCloud(t, cohereCase, "command-a-03-2025")
	resp, err := cloudChat(srv, decodeChat(t, `{"model":"chat","top_p":0.5,"messages":[{"role":"developer","content":"be brief"},{"role":"user","content":"What's the weather?"}],`+
		weatherTools+`,"tool_choice":"required"}`))
	if err != nil {
		t.Fatal(err)
	}
	sent := fake.Requests()[0]
	if sent.Path != "/v2/chat" || sent.Header.Get("Authorization") != "Bearer "+testKey {
		t.Fatalf("upstream got %s with %v", sent.Path, sent.Header)
	}
	var body struct {
		Model      string  `json:"model"`
		P          float64 `json:"p"`
		ToolChoice string  `json:"tool_choice"`
		Messages   []struct {
			Role string `json:"role"`
		} `json:"messages"`
	}
	if err := json.Unmarshal(sent.Body, &body); err != nil || body.Model != "command-a-03-2025" || body.P != 0.5 || body.ToolChoice != "REQUIRED" ||
		len(body.Messages) != 2 || body.Messages[0].Role != "system" {
		t.Fatalf("chat v2 body %s", sent.Body)
	}
	r := resp.GetResponse()
	msg := r.GetChoices()[0].GetMessage()
	if msg.GetContent()[0].GetReasoning().GetText() != fakeupstream.CohereToolPlan || len(msg.GetToolCalls()) != 1 || r.GetId() != "fake-cohere" {
		t.Fatalf("the tool plan is reasoning, the call a tool call: %v", r)
	}
	// Usage is Cohere's token counts, not its billed units: the fake
	// bills a token per four prompt characters and counts
	// CohereTemplateTokens more.
	want := int64((len("hello")+3)/4 + fakeupstream.CohereTemplateTokens)
	chunks, err := cloudStream(t, srv, decodeChat(t, `{"model":"chat","stream":true,"messages":[{"role":"user","content":"hello"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	unary, err := cloudChat(srv, decodeChat(t, `{"model":"chat","messages":[{"role":"user","content":"hello"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	if a := assemble(chunks); a.usage.GetInputTokens() != want || unary.GetResponse().GetUsage().GetInputTokens() != want {
		t.Fatalf("stream usage %v, unary usage %v; want %d input tokens", a.usage, unary.GetResponse().GetUsage(), want)
	}
}

func TestCohereCredentialsFailureIsRedacted(t *testing.T) {
	_, srv, _ := startCloud(t, cohereCase, fakeupstream.ModelFail401)
	_, err := cloudChat(srv, decodeChat(t, `{"model":"chat","messages":[{"role":"user","content":"hello"}]}`))
	e := mustKind(t, err, errs.KindUpstream)
	if e.Code != "upstream_auth_failed" || e.UpstreamStatus != 401 || !e.Retryable || strings.Contains(e.Message, testKey) {
		t.Fatalf("%+v", e)
	}
}

func TestCohereURLsAndEmbeddings(t *testing.T) {
	for base, want := range map[string]string{
		"":                         config.CohereBaseURL + "/v2/chat",
		"https://proxy.example/":   "https://proxy.example/v2/chat",
		"https://proxy.example/v2": "https://proxy.example/v2/chat",
	} {
		if got := newCohereProvider(&config.ServedEntity{BaseURL: base, Model: "m"}, http.DefaultClient, newSecrets()).chatURL; got != want {
			t.Errorf("base %q: chat URL %q, want %q", base, got, want)
		}
	}
	p := newCohereProvider(&config.ServedEntity{Model: "m"}, http.DefaultClient, newSecrets())
	if _, err := p.Embed(t.Context(), nil); errs.From(err).Kind != errs.KindInvalidArgument {
		t.Errorf("embeddings: %v", err)
	}
}
