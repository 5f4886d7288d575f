package router

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	inferencev1 "github.com/tollgate/tollgate/gen/go/tollgate/inference/v1"
)

// request sends body (nil for none) with the given headers and reads the answer.
func request(t *testing.T, method, url string, header map[string]string, body string) (*http.Response, string) {
	t.Helper()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req, _ := http.NewRequest(method, url, r)
	req.Header.Set("Content-Type", "application/json")
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp, string(b)
}

// claudeHeaders are what Claude Code sends: the key as x-api-key, the API
// version and beta flags.
func claudeHeaders(key string) map[string]string {
	h := map[string]string{"anthropic-version": "2023-06-01", "anthropic-beta": "context-management-2025-06-27,interleaved-thinking-2025-05-14"}
	if key != "" {
		h["x-api-key"] = key
	}
	return h
}

func messagesBody(model, extra string) string {
	return `{"model":"` + model + `","max_tokens":64,"messages":[{"role":"user","content":"hi"}]` + extra + `}`
}

const weatherTool = `,"tools":[{"name":"get_weather","description":"weather","input_schema":{"type":"object","properties":{"city":{"type":"string"}}}}]`

type anthropicErr struct {
	Type  string `json:"type"`
	Error struct {
		Type    string `json:"type"`
		Message string `json:"message"`
	} `json:"error"`
}

func wantAnthropicError(t *testing.T, resp *http.Response, body string, status int, typ string) {
	t.Helper()
	if resp.StatusCode != status {
		t.Fatalf("status %d, want %d: %s", resp.StatusCode, status, body)
	}
	var e anthropicErr
	if err := json.Unmarshal([]byte(body), &e); err != nil || e.Type != "error" || e.Error.Message == "" {
		t.Fatalf("not an Anthropic error body: %s", body)
	}
	if e.Error.Type != typ {
		t.Fatalf("error type %q, want %q: %s", e.Error.Type, typ, body)
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Fatalf("error content type %q", ct)
	}
}

func TestAnthropicUnaryPassthroughBothAuthForms(t *testing.T) {
	f := newDialectFixture(t)
	for _, tc := range []struct {
		path   string
		header map[string]string
	}{
		{"/anthropic/v1/messages", claudeHeaders(aliceToken)},
		{"/v1/messages", map[string]string{"Authorization": "Bearer " + aliceToken, "anthropic-version": "2023-07-01", "anthropic-beta": "context-management-2025-06-27,interleaved-thinking-2025-05-14"}},
	} {
		resp, body := request(t, http.MethodPost, f.url+tc.path, tc.header, messagesBody("claude", ""))
		if resp.StatusCode != 200 || body != anthropicUnaryRaw {
			t.Fatalf("%s: %d %s; want the provider's body untouched", tc.path, resp.StatusCode, body)
		}
		src := f.adapter.last().GetSource()
		if src.GetDialect() != inferencev1.Dialect_DIALECT_ANTHROPIC_MESSAGES || string(src.GetOriginalBody()) != messagesBody("claude", "") {
			t.Fatalf("%s: source %v", tc.path, src)
		}
		// The default version (Claude Code's) is the provider's own: only another one is carried.
		if wantVersion := tc.header["anthropic-version"]; wantVersion == "2023-06-01" && src.GetHeaders()["anthropic-version"] != "" ||
			wantVersion != "2023-06-01" && src.GetHeaders()["anthropic-version"] != wantVersion ||
			!strings.Contains(src.GetHeaders()["anthropic-beta"], "interleaved-thinking") {
			t.Fatalf("%s: client headers not kept for the provider: %v", tc.path, src.GetHeaders())
		}
		if _, ok := src.GetHeaders()["x-api-key"]; ok {
			t.Fatalf("the client's key must never reach the provider: %v", src.GetHeaders())
		}
		if ev := f.usage.eventFor(t, resp); ev.GetInputTokenCount() != 7 || ev.GetOutputTokenCount() != 3 || ev.GetRequester() != "alice" {
			t.Fatalf("usage %+v", ev)
		}
	}
}

func TestAnthropicUnaryFromAnotherDialect(t *testing.T) {
	f := newDialectFixture(t)
	resp, body := request(t, http.MethodPost, f.url+"/anthropic/v1/messages", claudeHeaders(aliceToken), messagesBody("other", weatherTool))
	if resp.StatusCode != 200 {
		t.Fatalf("%d %s", resp.StatusCode, body)
	}
	var m struct {
		Type       string `json:"type"`
		Role       string `json:"role"`
		Model      string `json:"model"`
		StopReason string `json:"stop_reason"`
		Content    []struct {
			Type  string          `json:"type"`
			ID    string          `json:"id"`
			Name  string          `json:"name"`
			Input json.RawMessage `json:"input"`
		} `json:"content"`
		Usage struct {
			InputTokens  int `json:"input_tokens"`
			OutputTokens int `json:"output_tokens"`
		} `json:"usage"`
	}
	if err := json.Unmarshal([]byte(body), &m); err != nil {
		t.Fatal(err)
	}
	if m.Type != "message" || m.Role != "assistant" || m.StopReason != "tool_use" || len(m.Content) != 1 ||
		m.Content[0].Type != "tool_use" || m.Content[0].ID != "call_42" || m.Content[0].Name != "get_weather" ||
		string(m.Content[0].Input) != `{"city":"Paris"}` || m.Usage.InputTokens != 4 || m.Usage.OutputTokens != 2 {
		t.Fatalf("translated message: %s", body)
	}
	if tools := f.adapter.last().GetTools(); len(tools) != 1 || tools[0].GetName() != "get_weather" {
		t.Fatalf("tools reached the adapter as %v", tools)
	}
}

func TestAnthropicStreamPassthroughIsByteFaithful(t *testing.T) {
	f := newDialectFixture(t)
	resp, body := request(t, http.MethodPost, f.url+"/anthropic/v1/messages", claudeHeaders(aliceToken), messagesBody("claude", `,"stream":true`))
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
		t.Fatalf("%d %q %s", resp.StatusCode, resp.Header.Get("Content-Type"), body)
	}
	var want strings.Builder
	for _, ev := range anthropicStreamRaw {
		want.WriteString("event: " + ev[0] + "\ndata: " + ev[1] + "\n\n")
	}
	if body != want.String() {
		t.Fatalf("stream\n%s\nwant\n%s", body, want.String())
	}
	if ev := f.usage.eventFor(t, resp); !ev.GetRequestStreaming() || ev.GetInputTokenCount() != 7 || ev.GetOutputTokenCount() != 3 {
		t.Fatalf("usage %+v", ev)
	}
}

func TestAnthropicStreamFromAnotherDialect(t *testing.T) {
	f := newDialectFixture(t)
	resp, body := request(t, http.MethodPost, f.url+"/v1/messages", claudeHeaders(aliceToken), messagesBody("other", `,"stream":true`))
	if resp.StatusCode != 200 {
		t.Fatalf("%d %s", resp.StatusCode, body)
	}
	frames := parseSSE(t, body)
	want := "message_start,content_block_start,content_block_delta,content_block_delta,content_block_stop,message_delta,message_stop"
	if got := eventNames(frames); got != want {
		t.Fatalf("events %s\nwant %s\n%s", got, want, body)
	}
	var text strings.Builder
	for _, fr := range frames {
		var ev struct {
			Type  string `json:"type"`
			Delta struct {
				Text       string `json:"text"`
				StopReason string `json:"stop_reason"`
			} `json:"delta"`
		}
		if err := json.Unmarshal([]byte(fr.data), &ev); err != nil || ev.Type != fr.event {
			t.Fatalf("frame %q: data type %q (%v)", fr.event, ev.Type, err)
		}
		text.WriteString(ev.Delta.Text)
		if fr.event == "message_delta" && ev.Delta.StopReason != "end_turn" {
			t.Fatalf("stop reason %q", ev.Delta.StopReason)
		}
	}
	if text.String() != "hello" {
		t.Fatalf("text %q", text.String())
	}

	// A tool call streams as a tool_use block with input_json_delta fragments.
	resp, body = request(t, http.MethodPost, f.url+"/v1/messages", claudeHeaders(aliceToken), messagesBody("other", `,"stream":true`+weatherTool))
	frames = parseSSE(t, body)
	want = "message_start,content_block_start,content_block_delta,content_block_delta,content_block_stop,message_delta,message_stop"
	if resp.StatusCode != 200 || eventNames(frames) != want {
		t.Fatalf("tool stream: %s", body)
	}
	if !strings.Contains(frames[1].data, `"type":"tool_use","id":"call_42","name":"get_weather"`) ||
		!strings.Contains(frames[2].data, `"input_json_delta"`) || !strings.Contains(frames[5].data, `"stop_reason":"tool_use"`) {
		t.Fatalf("tool stream frames: %s", body)
	}
}

func TestAnthropicErrorsHaveAnthropicShape(t *testing.T) {
	f := newDialectFixture(t)
	cases := []struct {
		name, path string
		header     map[string]string
		body       string
		status     int
		typ        string
	}{
		{"no key", "/anthropic/v1/messages", claudeHeaders(""), messagesBody("claude", ""), 401, "authentication_error"},
		{"bad key", "/anthropic/v1/messages", claudeHeaders("nope"), messagesBody("claude", ""), 401, "authentication_error"},
		{"bad bearer", "/v1/messages", map[string]string{"Authorization": "Bearer nope"}, messagesBody("claude", ""), 401, "authentication_error"},
		{"no permission", "/anthropic/v1/messages", claudeHeaders(bobToken), messagesBody("private", ""), 403, "permission_error"},
		{"unknown endpoint", "/anthropic/v1/messages", claudeHeaders(aliceToken), messagesBody("ghost", ""), 404, "not_found_error"},
		{"rate limited", "/anthropic/v1/messages", claudeHeaders(aliceToken), messagesBody("limited", ""), 429, "rate_limit_error"},
		{"rate limited, streaming", "/v1/messages", claudeHeaders(aliceToken), messagesBody("limited", `,"stream":true`), 429, "rate_limit_error"},
		{"invalid json", "/anthropic/v1/messages", claudeHeaders(aliceToken), `{"model":`, 400, "invalid_request_error"},
		{"no messages", "/anthropic/v1/messages", claudeHeaders(aliceToken), `{"model":"claude","max_tokens":5}`, 400, "invalid_request_error"},
		{"wrong task", "/anthropic/v1/messages", claudeHeaders(aliceToken), messagesBody("vectors", ""), 400, "invalid_request_error"},
		{"provider down", "/anthropic/v1/messages", claudeHeaders(aliceToken), messagesBody("down", ""), 502, "api_error"},
		{"provider down, streaming", "/anthropic/v1/messages", claudeHeaders(aliceToken), messagesBody("down", `,"stream":true`), 502, "api_error"},
		{"unknown route", "/anthropic/v1/nothing", claudeHeaders(aliceToken), "{}", 404, "not_found_error"},
		{"count_tokens without key", "/anthropic/v1/messages/count_tokens", claudeHeaders(""), messagesBody("claude", ""), 401, "authentication_error"},
		{"count_tokens for an unknown model", "/v1/messages/count_tokens", claudeHeaders(aliceToken), messagesBody("ghost", ""), 404, "not_found_error"},
		{"count_tokens without permission", "/v1/messages/count_tokens", claudeHeaders(bobToken), messagesBody("private", ""), 403, "permission_error"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			resp, body := request(t, http.MethodPost, f.url+tc.path, tc.header, tc.body)
			wantAnthropicError(t, resp, body, tc.status, tc.typ)
			if tc.status == 429 && resp.Header.Get("Retry-After") != "2" {
				t.Fatalf("Retry-After %q, want 2", resp.Header.Get("Retry-After"))
			}
			if strings.Contains(body, aliceToken) || strings.Contains(body, "nope") {
				t.Fatalf("error echoes the key: %s", body)
			}
		})
	}
	resp, body := request(t, http.MethodGet, f.url+"/anthropic/v1/models", claudeHeaders("nope"), "")
	wantAnthropicError(t, resp, body, 401, "authentication_error")
	resp, body = request(t, http.MethodPost, f.url+"/anthropic/v1/messages", claudeHeaders(aliceToken), `{"model":"claude","messages":[{"role":"user","content":"`+strings.Repeat("x", 2<<20)+`"}]}`)
	wantAnthropicError(t, resp, body, 413, "request_too_large")
}

func TestAnthropicStreamFailureIsAnErrorEvent(t *testing.T) {
	f := newDialectFixture(t)
	resp, body := request(t, http.MethodPost, f.url+"/anthropic/v1/messages", claudeHeaders(aliceToken), messagesBody("midfail", `,"stream":true`))
	if resp.StatusCode != 200 {
		t.Fatalf("%d %s", resp.StatusCode, body)
	}
	frames := parseSSE(t, body)
	if len(frames) < 2 || frames[0].event != "message_start" {
		t.Fatalf("frames %s", body)
	}
	last := frames[len(frames)-1]
	var e anthropicErr
	if last.event != "error" || json.Unmarshal([]byte(last.data), &e) != nil || e.Type != "error" || e.Error.Type == "" || !strings.Contains(e.Error.Message, "connection broke") {
		t.Fatalf("last frame %+v, want an Anthropic error event", last)
	}
	if strings.Contains(body, "message_stop") {
		t.Fatalf("a failed stream must not claim to have completed: %s", body)
	}
	if e.Error.Type != "api_error" {
		t.Fatalf("a broken connection is an api_error, got %q", e.Error.Type)
	}

	// An Anthropic provider's own error type reaches the client: Claude
	// Code retries overloaded_error.
	_, body = request(t, http.MethodPost, f.url+"/anthropic/v1/messages", claudeHeaders(aliceToken), messagesBody("midoverload", `,"stream":true`))
	frames = parseSSE(t, body)
	last = frames[len(frames)-1]
	if last.event != "error" || json.Unmarshal([]byte(last.data), &e) != nil || e.Error.Type != "overloaded_error" {
		t.Fatalf("last frame %+v, want overloaded_error", last)
	}
}

func TestAnthropicCountTokens(t *testing.T) {
	f := newDialectFixture(t)
	for _, tc := range []struct{ path, body string }{
		{"/anthropic/v1/messages/count_tokens", `{"model":"claude","messages":[{"role":"user","content":"` + strings.Repeat("word ", 200) + `"}]}`},
		{"/v1/messages/count_tokens", `{"model":"other","system":"be brief","messages":[{"role":"user","content":"hello there"}]` + weatherTool + `}`},
	} {
		resp, body := request(t, http.MethodPost, f.url+tc.path, claudeHeaders(aliceToken), tc.body)
		var out struct {
			InputTokens int64 `json:"input_tokens"`
		}
		if resp.StatusCode != 200 || json.Unmarshal([]byte(body), &out) != nil || out.InputTokens <= 0 {
			t.Fatalf("%s: %d %s", tc.path, resp.StatusCode, body)
		}
		if strings.Contains(tc.body, "word") && (out.InputTokens < 200 || out.InputTokens > 400) {
			t.Fatalf("1000 characters estimated as %d tokens", out.InputTokens)
		}
	}
	if n := len(f.adapter.reqs); n != 0 {
		t.Fatalf("count_tokens called the provider %d times", n)
	}
}

func TestAnthropicModelsList(t *testing.T) {
	f := newDialectFixture(t)
	for token, wantPrivate := range map[string]bool{aliceToken: true, bobToken: false} {
		resp, body := request(t, http.MethodGet, f.url+"/anthropic/v1/models", claudeHeaders(token), "")
		var list struct {
			Data []struct {
				Type string `json:"type"`
				ID   string `json:"id"`
			} `json:"data"`
			HasMore *bool `json:"has_more"`
		}
		if resp.StatusCode != 200 || json.Unmarshal([]byte(body), &list) != nil || list.HasMore == nil {
			t.Fatalf("%d %s", resp.StatusCode, body)
		}
		ids := map[string]bool{}
		for _, m := range list.Data {
			if m.Type != "model" {
				t.Fatalf("model entry type %q", m.Type)
			}
			ids[m.ID] = true
		}
		if !ids["claude"] || ids["vectors"] || ids["private"] != wantPrivate {
			t.Fatalf("listed %v (embeddings endpoints are not Messages models)", ids)
		}
	}
}
