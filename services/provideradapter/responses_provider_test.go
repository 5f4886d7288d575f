package provideradapter

import (
	"context"
	"strings"
	"testing"

	inferencev1 "github.com/tollgate/tollgate/gen/go/tollgate/inference/v1"
	provideradapterv1 "github.com/tollgate/tollgate/gen/go/tollgate/provideradapter/v1"
	"github.com/tollgate/tollgate/services/kit/config"
	"github.com/tollgate/tollgate/services/kit/wire/anthropic"
	"github.com/tollgate/tollgate/services/kit/wire/responses"
	"github.com/tollgate/tollgate/services/provideradapter/fakeupstream"
)

const codexBody = `{"model":"codex","stream":true,"input":[{"type":"message","role":"user","content":[{"type":"input_text","text":"hello"}]}],` +
	`"tools":[{"type":"namespace","name":"ns","description":"d","tools":[{"type":"function","name":"f","parameters":{"type":"object"}}]}],` +
	`"store":false,"include":["reasoning.encrypted_content"],"prompt_cache_key":"k","client_metadata":{"x":"1"},"reasoning":{"effort":1e0}}`

func TestResponsesPassthroughIsByteFaithful(t *testing.T) {
	fake, base := startFakeUpstream(t)
	srv, _ := newTestServer(t, dialectsConfig(base, "gpt-up", envKey(t)))
	req, err := responses.DecodeRequest([]byte(strings.Replace(codexBody, `"effort":1e0`, `"effort":"low"`, 1)))
	if err != nil {
		t.Fatal(err)
	}
	chunks := chatStream(t, srv, "codex", req)
	sent := fake.Requests()[0]
	want := strings.Replace(strings.Replace(codexBody, `"effort":1e0`, `"effort":"low"`, 1), `"model":"codex"`, `"model":"gpt-up"`, 1)
	if sent.Path != "/v1/responses" || string(sent.Body) != want || sent.Header.Get("Authorization") != "Bearer "+testKey {
		t.Fatalf("upstream got %s %s %v", sent.Path, sent.Body, sent.Header)
	}
	var events []string
	for _, c := range chunks {
		if c.GetRawDialect() != inferencev1.Dialect_DIALECT_OPENAI_RESPONSES || len(c.GetRaw()) == 0 {
			t.Fatalf("passthrough chunk without its raw frame: %v", c)
		}
		events = append(events, c.GetRawEvent())
	}
	if got := strings.Join(events, ","); !strings.HasPrefix(got, "response.created,response.in_progress,response.output_item.added") || !strings.HasSuffix(got, "response.completed") {
		t.Fatalf("events %s", got)
	}
	if a := assemble(chunks); a.text != fakeupstream.Reply || a.usage.GetOutputTokens() == 0 {
		t.Fatalf("canonical view %+v", a)
	}

	unary, _ := responses.DecodeRequest([]byte(`{"model":"codex","input":"hi"}`))
	resp, err := srv.Chat(context.Background(), &provideradapterv1.ChatRequest{Target: target("codex", "up"), Request: unary})
	if err != nil {
		t.Fatal(err)
	}
	if r := resp.GetResponse(); r.GetRawDialect() != inferencev1.Dialect_DIALECT_OPENAI_RESPONSES || !strings.Contains(string(r.GetRaw()), `"object":"response"`) || r.GetUsage().GetInputTokens() == 0 {
		t.Fatalf("unary %v", resp)
	}
}

func TestAnthropicClientToResponsesToolRoundTrip(t *testing.T) {
	fake, base := startFakeUpstream(t)
	srv, _ := newTestServer(t, dialectsConfig(base, "gpt-up", envKey(t)))
	first := `{"model":"codex","max_tokens":100,"stream":true,"system":"sys","tools":[{"name":"Read","input_schema":{"type":"object","properties":{"file_path":{"type":"string"}}}}],` +
		`"messages":[{"role":"user","content":[{"type":"text","text":"read the file /w/a.txt"}]}]}`
	req, err := anthropic.DecodeRequest([]byte(first))
	if err != nil {
		t.Fatal(err)
	}
	req.Source.Headers = map[string]string{"anthropic-beta": "x"}
	a := assemble(chatStream(t, srv, "codex", req))
	if a.raw != 0 || a.callID != "call_fake_read" || a.callName != "Read" || a.args != `{"file_path":"/w/a.txt"}` || a.finish != inferencev1.FinishReason_FINISH_REASON_TOOL_CALLS {
		t.Fatalf("tool call %+v", a)
	}
	if h := fake.Requests()[0].Header; h.Get("Anthropic-Beta") != "" {
		t.Fatalf("Anthropic headers reached an OpenAI provider: %v", h)
	}
	second := `{"model":"codex","max_tokens":100,"messages":[{"role":"user","content":"read the file /w/a.txt"},` +
		`{"role":"assistant","content":[{"type":"tool_use","id":"call_fake_read","name":"Read","input":{"file_path":"/w/a.txt"}}]},` +
		`{"role":"user","content":[{"type":"tool_result","tool_use_id":"call_fake_read","content":[{"type":"text","text":"marker-77"}]}]}]}`
	req, _ = anthropic.DecodeRequest([]byte(second))
	resp, err := srv.Chat(context.Background(), &provideradapterv1.ChatRequest{Target: target("codex", "up"), Request: req})
	if err != nil {
		t.Fatal(err)
	}
	if got := resp.GetResponse().GetChoices()[0].GetMessage().GetContent()[0].GetText(); got != fakeupstream.ReadResultPrefix+"marker-77" {
		t.Fatalf("final answer %q (the tool result's id did not survive)", got)
	}
	body := string(fake.Requests()[1].Body)
	if !strings.Contains(body, `"type":"function_call_output"`) || !strings.Contains(body, `"call_id":"call_fake_read"`) {
		t.Fatalf("tool round trip body %s", body)
	}
}

func TestOpenAIChatClientToResponses(t *testing.T) {
	_, base := startFakeUpstream(t)
	srv, _ := newTestServer(t, dialectsConfig(base, "gpt-up", envKey(t)))
	req := decodeChat(t, `{"model":"codex","stream":true,"messages":[{"role":"user","content":"hi"}]}`)
	if a := assemble(chatStream(t, srv, "codex", req)); a.text != fakeupstream.Reply || a.usage.GetTotalTokens() == 0 || a.raw != 0 {
		t.Fatalf("%+v", a)
	}
}

func TestAPIOptionValidation(t *testing.T) {
	for _, tc := range []struct{ yaml, want string }{
		{`{name: up, provider: openai_compatible, api: websocket, base_url: "http://h/v1", model: m}`, `api: "websocket" is not chat or responses`},
		{`{name: up, provider: anthropic, api: responses, model: m}`, "only providers openai and openai_compatible choose an api"},
		{`{name: up, provider: anthropic, base_url: "ftp://h", model: m}`, "is not an http(s) URL"},
	} {
		_, err := config.Parse([]byte("endpoints:\n  - name: c\n    task: chat\n    served_entities: [" + tc.yaml + "]\n"))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want %q", tc.yaml, err, tc.want)
		}
	}
}
