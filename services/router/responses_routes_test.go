package router

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	inferencev1 "github.com/tollgate/tollgate/gen/go/tollgate/inference/v1"
)

func responsesBody(model, extra string) string {
	return `{"model":"` + model + `","input":[{"type":"message","role":"user","content":[{"type":"input_text","text":"hi"}]}]` + extra + `}`
}

const responsesTools = `,"tools":[{"type":"function","name":"get_weather","parameters":{"type":"object","properties":{"city":{"type":"string"}}}}]`

func bearerHeader(token string) map[string]string {
	return map[string]string{"Authorization": "Bearer " + token}
}

func TestResponsesUnaryPassthroughAndTranslation(t *testing.T) {
	f := newDialectFixture(t)
	for _, path := range []string{"/v1/responses", "/openai/v1/responses", "/codex/v1/responses"} {
		resp, body := request(t, http.MethodPost, f.url+path, bearerHeader(aliceToken), responsesBody("codex", ""))
		if resp.StatusCode != 200 || body != responsesUnaryRaw {
			t.Fatalf("%s: %d %s; want the provider's body untouched", path, resp.StatusCode, body)
		}
	}
	if src := f.adapter.last().GetSource(); src.GetDialect() != inferencev1.Dialect_DIALECT_OPENAI_RESPONSES || string(src.GetOriginalBody()) != responsesBody("codex", "") {
		t.Fatalf("source %v", src)
	}

	// Another provider's tool call becomes a function_call output item.
	resp, body := request(t, http.MethodPost, f.url+"/v1/responses", bearerHeader(aliceToken), responsesBody("other", responsesTools))
	var r struct {
		Object string `json:"object"`
		Status string `json:"status"`
		Output []struct {
			Type      string `json:"type"`
			CallID    string `json:"call_id"`
			Name      string `json:"name"`
			Arguments string `json:"arguments"`
		} `json:"output"`
		Usage struct {
			InputTokens  int `json:"input_tokens"`
			OutputTokens int `json:"output_tokens"`
		} `json:"usage"`
	}
	if resp.StatusCode != 200 || json.Unmarshal([]byte(body), &r) != nil {
		t.Fatalf("%d %s", resp.StatusCode, body)
	}
	if r.Object != "response" || r.Status != "completed" || len(r.Output) != 1 || r.Output[0].Type != "function_call" ||
		r.Output[0].CallID != "call_42" || r.Output[0].Name != "get_weather" || r.Output[0].Arguments != `{"city":"Paris"}` ||
		r.Usage.InputTokens != 4 || r.Usage.OutputTokens != 2 {
		t.Fatalf("translated response: %s", body)
	}
}

func TestResponsesStreamPassthroughIsByteFaithful(t *testing.T) {
	f := newDialectFixture(t)
	resp, body := request(t, http.MethodPost, f.url+"/v1/responses", bearerHeader(aliceToken), responsesBody("codex", `,"stream":true`))
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
		t.Fatalf("%d %s", resp.StatusCode, body)
	}
	var want strings.Builder
	for _, ev := range responsesStreamRaw {
		want.WriteString("event: " + ev[0] + "\ndata: " + ev[1] + "\n\n")
	}
	if body != want.String() {
		t.Fatalf("stream\n%s\nwant\n%s", body, want.String())
	}
	if ev := f.usage.eventFor(t, resp); ev.GetInputTokenCount() != 5 || ev.GetOutputTokenCount() != 3 {
		t.Fatalf("usage %+v", ev)
	}
}

func TestResponsesStreamFromAnotherDialect(t *testing.T) {
	f := newDialectFixture(t)
	resp, body := request(t, http.MethodPost, f.url+"/v1/responses", bearerHeader(aliceToken), responsesBody("other", `,"stream":true`))
	if resp.StatusCode != 200 {
		t.Fatalf("%d %s", resp.StatusCode, body)
	}
	frames := parseSSE(t, body)
	want := "response.created,response.in_progress,response.output_item.added,response.content_part.added," +
		"response.output_text.delta,response.output_text.delta,response.output_text.done,response.content_part.done," +
		"response.output_item.done,response.completed"
	if got := eventNames(frames); got != want {
		t.Fatalf("events %s\nwant %s", got, want)
	}
	for i, fr := range frames {
		var ev struct {
			Type string `json:"type"`
			Seq  *int   `json:"sequence_number"`
		}
		if json.Unmarshal([]byte(fr.data), &ev) != nil || ev.Type != fr.event || ev.Seq == nil || *ev.Seq != i {
			t.Fatalf("frame %d %q: %s", i, fr.event, fr.data)
		}
	}
	if !strings.Contains(frames[len(frames)-1].data, `"text":"hello"`) || !strings.Contains(frames[len(frames)-1].data, `"input_tokens":4`) {
		t.Fatalf("response.completed lacks the output or usage: %s", frames[len(frames)-1].data)
	}

	resp, body = request(t, http.MethodPost, f.url+"/v1/responses", bearerHeader(aliceToken), responsesBody("other", `,"stream":true`+responsesTools))
	frames = parseSSE(t, body)
	want = "response.created,response.in_progress,response.output_item.added,response.function_call_arguments.delta," +
		"response.function_call_arguments.delta,response.function_call_arguments.done,response.output_item.done,response.completed"
	if resp.StatusCode != 200 || eventNames(frames) != want {
		t.Fatalf("tool stream events %s\n%s", eventNames(frames), body)
	}
	if !strings.Contains(frames[2].data, `"call_id":"call_42"`) || !strings.Contains(frames[5].data, `"arguments":"{\"city\":\"Paris\"}"`) {
		t.Fatalf("tool call frames: %s", body)
	}
}

func TestResponsesErrors(t *testing.T) {
	f := newDialectFixture(t)
	cases := []struct {
		name, token, body string
		status            int
		code              string
	}{
		{"no token", "", responsesBody("codex", ""), 401, "invalid_api_key"},
		{"no permission", bobToken, responsesBody("private", ""), 403, "permission_denied"},
		{"unknown endpoint", aliceToken, responsesBody("ghost", ""), 404, "model_not_found"},
		{"rate limited", aliceToken, responsesBody("limited", `,"stream":true`), 429, "rate_limit_exceeded"},
		{"invalid json", aliceToken, `{"model":`, 400, ""},
		{"provider down", aliceToken, responsesBody("down", `,"stream":true`), 502, "upstream_error"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			resp, body := post(t, f.url+"/v1/responses", tc.token, tc.body)
			e := wantError(t, resp, body, tc.status)
			if tc.code != "" && (e.Error.Code == nil || *e.Error.Code != tc.code) {
				t.Fatalf("code %v, want %s: %s", e.Error.Code, tc.code, body)
			}
		})
	}

	// A stream that breaks after it started ends with response.failed and an error event.
	resp, body := post(t, f.url+"/v1/responses", aliceToken, responsesBody("midfail", `,"stream":true`))
	frames := parseSSE(t, body)
	if resp.StatusCode != 200 || len(frames) < 3 || frames[0].event != "response.created" {
		t.Fatalf("%d %s", resp.StatusCode, body)
	}
	n := len(frames)
	if frames[n-2].event != "response.failed" || frames[n-1].event != "error" || !strings.Contains(frames[n-1].data, "connection broke") {
		t.Fatalf("failed stream ends with %s: %s", eventNames(frames[n-2:]), body)
	}
}
