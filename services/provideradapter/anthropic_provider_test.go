package provideradapter

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	inferencev1 "github.com/tollgate/tollgate/gen/go/tollgate/inference/v1"
	provideradapterv1 "github.com/tollgate/tollgate/gen/go/tollgate/provideradapter/v1"
	"github.com/tollgate/tollgate/services/kit/errs"
	"github.com/tollgate/tollgate/services/kit/wire/anthropic"
	"github.com/tollgate/tollgate/services/kit/wire/openai"
	"github.com/tollgate/tollgate/services/kit/wire/responses"
	"github.com/tollgate/tollgate/services/provideradapter/fakeupstream"
)

// dialectsConfig serves endpoint "claude" from an Anthropic upstream and
// "codex" from an OpenAI Responses upstream, both the fake at baseURL
// (…/v1); model picks the fake's behaviour.
func dialectsConfig(baseURL, model, apiKey string) string {
	return fmt.Sprintf(`
endpoints:
  - name: claude
    task: chat
    served_entities:
      - name: up
        provider: anthropic
        model: %[2]s
        base_url: %[1]s
        api_key: %[3]s
        timeout: 5s
  - name: codex
    task: chat
    served_entities:
      - name: up
        provider: openai
        api: responses
        model: %[2]s
        base_url: %[1]s
        api_key: %[3]s
        timeout: 5s
`, baseURL, model, apiKey)
}

func chatStream(t *testing.T, srv *Server, endpoint string, req *inferencev1.ChatRequest) []*inferencev1.ChatChunk {
	t.Helper()
	client := startGRPC(t, srv)
	st, err := client.ChatStream(context.Background(), &provideradapterv1.ChatStreamRequest{Target: target(endpoint, "up"), Request: req})
	if err != nil {
		t.Fatal(err)
	}
	var out []*inferencev1.ChatChunk
	for {
		m, err := st.Recv()
		if err != nil {
			if err.Error() == "EOF" {
				return out
			}
			t.Fatalf("stream: %v", err)
		}
		out = append(out, chunksOf(m)...)
	}
}

// assembled is what a stream said, put back together.
type assembled struct {
	text, callID, callName, args string
	finish                       inferencev1.FinishReason
	usage                        *inferencev1.Usage
	raw                          int
}

func assemble(chunks []*inferencev1.ChatChunk) assembled {
	var a assembled
	for _, c := range chunks {
		if len(c.GetRaw()) > 0 {
			a.raw++
		}
		if c.GetUsage() != nil {
			a.usage = c.GetUsage()
		}
		for _, d := range c.GetDeltas() {
			a.text += d.GetText()
			for _, tc := range d.GetToolCalls() {
				a.callID += tc.GetId()
				a.callName += tc.GetName()
				a.args += tc.GetArgumentsJson()
			}
			if d.GetFinishReason() != inferencev1.FinishReason_FINISH_REASON_UNSPECIFIED {
				a.finish = d.GetFinishReason()
			}
		}
	}
	return a
}

const claudeCodeBody = `{"model":"claude","max_tokens":1000,"stream":true,"system":[{"type":"text","text":"sys","cache_control":{"type":"ephemeral"}}],` +
	`"messages":[{"role":"user","content":[{"type":"text","text":"hello","cache_control":{"type":"ephemeral"}}]}],` +
	`"context_management":{"edits":[{"type":"clear_thinking_20251015","keep":"all"}]},"metadata":{"user_id":"{\"device_id\":\"x\"}"}}`

func TestAnthropicPassthroughIsByteFaithful(t *testing.T) {
	fake, base := startFakeUpstream(t)
	srv, _ := newTestServer(t, dialectsConfig(base, "claude-up", envKey(t)))
	req, err := anthropic.DecodeRequest([]byte(claudeCodeBody))
	if err != nil {
		t.Fatal(err)
	}
	req.Source.Headers = map[string]string{"anthropic-version": "2023-06-01", "anthropic-beta": "context-management-2025-06-27"}
	chunks := chatStream(t, srv, "claude", req)

	sent := fake.Requests()[0]
	want := strings.Replace(claudeCodeBody, `"model":"claude"`, `"model":"claude-up"`, 1)
	if sent.Path != "/v1/messages" || string(sent.Body) != want {
		t.Fatalf("upstream got %s %s\nwant %s", sent.Path, sent.Body, want)
	}
	if sent.Header.Get("X-Api-Key") != testKey || sent.Header.Get("Authorization") != "" ||
		sent.Header.Get("Anthropic-Version") != "2023-06-01" || sent.Header.Get("Anthropic-Beta") != "context-management-2025-06-27" {
		t.Fatalf("upstream headers %v", sent.Header)
	}
	var events []string
	for _, c := range chunks {
		if c.GetRawDialect() != inferencev1.Dialect_DIALECT_ANTHROPIC_MESSAGES || len(c.GetRaw()) == 0 {
			t.Fatalf("passthrough chunk without its raw frame: %v", c)
		}
		events = append(events, c.GetRawEvent())
	}
	if got := strings.Join(events, ","); !strings.HasPrefix(got, "message_start,content_block_start,ping,") || !strings.HasSuffix(got, "message_delta,message_stop") {
		t.Fatalf("events %s", got)
	}
	a := assemble(chunks)
	if a.text != fakeupstream.Reply || a.finish != inferencev1.FinishReason_FINISH_REASON_STOP || a.usage.GetInputTokens() == 0 || a.usage.GetOutputTokens() == 0 {
		t.Fatalf("canonical view %+v", a)
	}

	// Unary: the provider's body comes back as Raw.
	unary := strings.Replace(claudeCodeBody, `"stream":true,`, "", 1)
	req, _ = anthropic.DecodeRequest([]byte(unary))
	resp, err := srv.Chat(context.Background(), &provideradapterv1.ChatRequest{Target: target("claude", "up"), Request: req})
	if err != nil {
		t.Fatal(err)
	}
	r := resp.GetResponse()
	if r.GetRawDialect() != inferencev1.Dialect_DIALECT_ANTHROPIC_MESSAGES || !strings.Contains(string(r.GetRaw()), `"type":"message"`) ||
		r.GetUsage().GetOutputTokens() == 0 || resp.GetProvider() != "anthropic" {
		t.Fatalf("unary %v", resp)
	}
	if h := fake.Requests()[1].Header; h.Get("Anthropic-Version") != anthropic.APIVersion {
		t.Fatalf("without a client version the adapter must send its own: %v", h)
	}
}

func TestOpenAIClientToAnthropicToolRoundTrip(t *testing.T) {
	fake, base := startFakeUpstream(t)
	srv, _ := newTestServer(t, dialectsConfig(base, "claude-up", envKey(t)))
	first := `{"model":"claude","stream":true,"messages":[{"role":"system","content":"be brief"},{"role":"user","content":"What's the weather in Paris?"}],` +
		`"tools":[{"type":"function","function":{"name":"get_weather","parameters":{"type":"object","properties":{"location":{"type":"string"}}}}}]}`
	chunks := chatStream(t, srv, "claude", decodeChat(t, first))
	a := assemble(chunks)
	if a.raw != 0 {
		t.Fatalf("%d chunks carried Anthropic frames to an OpenAI client", a.raw)
	}
	if a.callID != "toolu_fake_weather" || a.callName != "get_weather" || a.args != fakeupstream.ToolArguments || a.finish != inferencev1.FinishReason_FINISH_REASON_TOOL_CALLS {
		t.Fatalf("tool call %+v", a)
	}
	var sent map[string]any
	if err := json.Unmarshal(fake.Requests()[0].Body, &sent); err != nil || sent["system"] == nil || sent["max_tokens"] == nil {
		t.Fatalf("translated body %s", fake.Requests()[0].Body)
	}

	// The tool result goes back as a tool_result block with the same id.
	second := `{"model":"claude","messages":[{"role":"user","content":"What's the weather in Paris?"},` +
		`{"role":"assistant","content":null,"tool_calls":[{"id":"toolu_fake_weather","type":"function","function":{"name":"get_weather","arguments":"{\"location\":\"Paris\"}"}}]},` +
		`{"role":"tool","tool_call_id":"toolu_fake_weather","content":"sunny"}],` +
		`"tools":[{"type":"function","function":{"name":"get_weather","parameters":{"type":"object"}}}]}`
	resp, err := srv.Chat(context.Background(), &provideradapterv1.ChatRequest{Target: target("claude", "up"), Request: decodeChat(t, second)})
	if err != nil {
		t.Fatal(err)
	}
	if got := resp.GetResponse().GetChoices()[0].GetMessage().GetContent()[0].GetText(); got != fakeupstream.Reply {
		t.Fatalf("final answer %q", got)
	}
	if raw := resp.GetResponse().GetRaw(); raw != nil {
		t.Fatalf("raw Anthropic body for an OpenAI client: %s", raw)
	}
	body := string(fake.Requests()[1].Body)
	if !strings.Contains(body, `"type":"tool_use","id":"toolu_fake_weather"`) || !strings.Contains(body, `"type":"tool_result","tool_use_id":"toolu_fake_weather"`) {
		t.Fatalf("tool round trip body %s", body)
	}
	if h := fake.Requests()[1].Header; h.Get("Anthropic-Beta") != "" {
		t.Fatalf("beta flags sent for a translated request: %v", h)
	}
	// And the answer renders for the OpenAI client.
	if out := openai.EncodeChatResponse(resp.GetResponse(), "claude"); !strings.Contains(string(out), fakeupstream.Reply) {
		t.Fatalf("encoded %s", out)
	}
}

func TestResponsesClientToAnthropic(t *testing.T) {
	fake, base := startFakeUpstream(t)
	srv, _ := newTestServer(t, dialectsConfig(base, "claude-up", envKey(t)))
	body := `{"model":"claude","stream":true,"input":[{"type":"message","role":"developer","content":[{"type":"input_text","text":"You are Codex."}]},` +
		`{"type":"message","role":"user","content":[{"type":"input_text","text":"read the file /w/hello.txt"}]}],` +
		`"tools":[{"type":"function","name":"exec_command","parameters":{"type":"object","properties":{"cmd":{"type":"string"}}}}],"store":false,"include":["reasoning.encrypted_content"]}`
	req, err := responses.DecodeRequest([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	a := assemble(chatStream(t, srv, "claude", req))
	if a.callID != "toolu_fake_read" || a.callName != "exec_command" || a.args != `{"cmd":"cat /w/hello.txt"}` {
		t.Fatalf("tool call %+v", a)
	}
	if sent := string(fake.Requests()[0].Body); !strings.Contains(sent, `"system"`) || !strings.Contains(sent, "You are Codex.") {
		t.Fatalf("developer message did not become the system prompt: %s", sent)
	}

	// A stored conversation cannot be replayed to Anthropic: the adapter
	// refuses it, naming the field, before calling the provider.
	stored, _ := responses.DecodeRequest([]byte(`{"model":"claude","previous_response_id":"resp_1","input":"hi"}`))
	_, err = srv.Chat(context.Background(), &provideradapterv1.ChatRequest{Target: target("claude", "up"), Request: stored})
	if e := mustKind(t, err, errs.KindInvalidArgument); e.Param != "previous_response_id" {
		t.Fatalf("param %q: %v", e.Param, e)
	}
	if n := len(fake.Requests()); n != 1 {
		t.Fatalf("the untranslatable request reached the provider (%d requests)", n)
	}
}

func TestAnthropicUpstreamErrors(t *testing.T) {
	cases := []struct {
		model     string
		kind      errs.Kind
		retryable bool
		retry     time.Duration
	}{
		{fakeupstream.ModelFail429, errs.KindRateLimited, true, 2 * time.Second},
		{fakeupstream.ModelOverloaded, errs.KindUnavailable, true, 0},
		{fakeupstream.ModelFail500, errs.KindUpstream, true, 0},
		{fakeupstream.ModelFail401, errs.KindUpstream, true, 0},
		{fakeupstream.ModelFail400, errs.KindInvalidArgument, false, 0},
	}
	for _, tc := range cases {
		t.Run(tc.model, func(t *testing.T) {
			_, base := startFakeUpstream(t)
			srv, _ := newTestServer(t, dialectsConfig(base, tc.model, envKey(t)))
			req, _ := anthropic.DecodeRequest([]byte(`{"model":"claude","max_tokens":5,"messages":[{"role":"user","content":"hi"}]}`))
			_, err := srv.Chat(context.Background(), &provideradapterv1.ChatRequest{Target: target("claude", "up"), Request: req})
			e := mustKind(t, err, tc.kind)
			if Retryable(e) != tc.retryable || e.Retry != tc.retry || e.UpstreamStatus == 0 {
				t.Fatalf("%+v", e)
			}
			if strings.Contains(e.Message, testKey) {
				t.Fatalf("the provider key leaked: %s", e.Message)
			}
			// Streams fail the same way before their first byte (a fallback may retry).
			req.Stream = true
			_, err = collectStream(context.Background(), srv.currentTable().endpoints["claude"].entities["up"].provider, req)
			mustKind(t, err, tc.kind)
		})
	}
}

func TestAnthropicBaseURLDefaultsAndVersionlessForms(t *testing.T) {
	for base, want := range map[string]string{
		"":                           "https://api.anthropic.com/v1/messages",
		"http://127.0.0.1:1/":        "http://127.0.0.1:1/v1/messages",
		"http://127.0.0.1:1/v1":      "http://127.0.0.1:1/v1/messages",
		"http://h:1/proxy/anthropic": "http://h:1/proxy/anthropic/v1/messages",
	} {
		cfg := parseConfig(t, fmt.Sprintf(`
endpoints:
  - name: c
    task: chat
    served_entities: [{name: up, provider: anthropic, model: m, base_url: %q}]
`, base))
		if got := newAnthropicProvider(&cfg.Endpoints[0].ServedEntities[0], nil, nil).messagesURL; got != want {
			t.Errorf("base %q: %s, want %s", base, got, want)
		}
	}
}
