package fakeupstream

import (
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
)

func sseEventNames(t *testing.T, body string) ([]string, []string) {
	t.Helper()
	var names, datas []string
	for _, block := range strings.Split(strings.TrimSpace(body), "\n\n") {
		var name, data string
		for _, line := range strings.Split(block, "\n") {
			if v, ok := strings.CutPrefix(line, "event: "); ok {
				name = v
			} else if v, ok := strings.CutPrefix(line, "data: "); ok {
				data = v
			}
		}
		var typed struct {
			Type string `json:"type"`
		}
		if json.Unmarshal([]byte(data), &typed) != nil || typed.Type != name {
			t.Fatalf("event %q has data %s", name, data)
		}
		names, datas = append(names, name), append(datas, data)
	}
	return names, datas
}

func readBody(t *testing.T, resp *http.Response) string {
	t.Helper()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

var anthropicHeaders = []string{"x-api-key", "k", "anthropic-version", "2023-06-01"}

func TestMessagesUnaryAndValidation(t *testing.T) {
	s, url := start(t)
	resp := post(t, url+"/v1/messages", `{"model":"m","max_tokens":10,"messages":[{"role":"user","content":"hi"}]}`, anthropicHeaders...)
	body := readBody(t, resp)
	if resp.StatusCode != 200 || !strings.Contains(body, `"type":"message"`) || !strings.Contains(body, quote(Reply)) || !strings.Contains(body, `"stop_reason":"end_turn"`) {
		t.Fatalf("%d %s", resp.StatusCode, body)
	}
	if got := s.Requests()[0]; got.Path != "/v1/messages" || got.Header.Get("X-Api-Key") != "k" {
		t.Fatalf("recorded %+v", got)
	}
	for _, tc := range []struct {
		body    string
		headers []string
		status  int
		typ     string
	}{
		{`{"model":"m","messages":[{"role":"user","content":"hi"}]}`, anthropicHeaders, 400, "invalid_request_error"},
		{`{"model":"m","max_tokens":1,"messages":[{"role":"user","content":"hi"}]}`, []string{"anthropic-version", "2023-06-01"}, 401, "authentication_error"},
		{`{"model":"overloaded","max_tokens":1,"messages":[{"role":"user","content":"hi"}]}`, anthropicHeaders, 529, "overloaded_error"},
		{`{"model":"fail-429","max_tokens":1,"messages":[{"role":"user","content":"hi"}]}`, anthropicHeaders, 429, "rate_limit_error"},
	} {
		resp := post(t, url+"/v1/messages", tc.body, tc.headers...)
		var e struct {
			Type  string                `json:"type"`
			Error struct{ Type string } `json:"error"`
		}
		if resp.StatusCode != tc.status || json.NewDecoder(resp.Body).Decode(&e) != nil || e.Type != "error" || e.Error.Type != tc.typ {
			t.Fatalf("%s: %d %+v", tc.body, resp.StatusCode, e)
		}
	}
}

func TestMessagesStreamScriptsAFileRead(t *testing.T) {
	_, url := start(t)
	first := `{"model":"m","max_tokens":10,"stream":true,"tools":[{"name":"Bash","input_schema":{}},{"name":"Read","input_schema":{}}],` +
		`"messages":[{"role":"user","content":[{"type":"text","text":"<reminder/>"},{"type":"text","text":"Please read the file /tmp/x/notes.txt."}]}]}`
	body := readBody(t, post(t, url+"/v1/messages", first, anthropicHeaders...))
	names, datas := sseEventNames(t, body)
	want := "message_start,content_block_start,ping,content_block_delta,content_block_delta,content_block_stop,message_delta,message_stop"
	if strings.Join(names, ",") != want {
		t.Fatalf("events %v", names)
	}
	if !strings.Contains(datas[1], `"id":"toolu_fake_read","name":"Read"`) || !strings.Contains(datas[6], `"stop_reason":"tool_use"`) {
		t.Fatalf("tool call: %s", body)
	}
	var args string
	for _, d := range datas[3:5] {
		var ev struct {
			Delta struct {
				PartialJSON string `json:"partial_json"`
			}
		}
		_ = json.Unmarshal([]byte(d), &ev)
		args += ev.Delta.PartialJSON
	}
	if args != `{"file_path":"/tmp/x/notes.txt"}` {
		t.Fatalf("arguments %s", args)
	}

	second := `{"model":"m","max_tokens":10,"stream":true,"tools":[{"name":"Read","input_schema":{}}],"messages":[` +
		`{"role":"user","content":"Please read the file /tmp/x/notes.txt"},` +
		`{"role":"assistant","content":[{"type":"tool_use","id":"toolu_fake_read","name":"Read","input":{"file_path":"/tmp/x/notes.txt"}}]},` +
		`{"role":"user","content":[{"type":"tool_result","tool_use_id":"toolu_fake_read","content":"1\tmarker-123\n"}]}]}`
	body = readBody(t, post(t, url+"/v1/messages", second, anthropicHeaders...))
	var text strings.Builder
	_, datas = sseEventNames(t, body)
	for _, d := range datas {
		var ev struct{ Delta struct{ Text string } }
		_ = json.Unmarshal([]byte(d), &ev)
		text.WriteString(ev.Delta.Text)
	}
	if text.String() != ReadResultPrefix+"1\tmarker-123" {
		t.Fatalf("final text %q", text.String())
	}

	// A result whose id is not the fake's (a gateway lost the id) is not quoted.
	lost := strings.ReplaceAll(second, `"tool_use_id":"toolu_fake_read"`, `"tool_use_id":"toolu_other"`)
	if body := readBody(t, post(t, url+"/v1/messages", strings.Replace(lost, `"stream":true,`, "", 1), anthropicHeaders...)); strings.Contains(body, "marker-123") {
		t.Fatalf("quoted a result of an unknown call: %s", body)
	}
}

func TestResponsesStreamScriptsACommand(t *testing.T) {
	_, url := start(t)
	first := `{"model":"m","stream":true,"tools":[{"type":"function","name":"exec_command","parameters":{}},{"type":"namespace","name":"ns","tools":[{"type":"function","name":"x"}]}],` +
		`"input":[{"type":"message","role":"developer","content":[{"type":"input_text","text":"be good"}]},{"type":"message","role":"user","content":[{"type":"input_text","text":"read the file /tmp/y.txt"}]}]}`
	body := readBody(t, post(t, url+"/v1/responses", first))
	names, datas := sseEventNames(t, body)
	want := "response.created,response.in_progress,response.output_item.added,response.function_call_arguments.delta," +
		"response.function_call_arguments.delta,response.function_call_arguments.done,response.output_item.done,response.completed"
	if strings.Join(names, ",") != want {
		t.Fatalf("events %v", names)
	}
	if !strings.Contains(datas[5], `"arguments":"{\"cmd\":\"cat /tmp/y.txt\"}"`) || !strings.Contains(datas[7], `"call_id":"call_fake_read"`) {
		t.Fatalf("tool call: %s", body)
	}
	for i, d := range datas {
		if !strings.Contains(d, `"sequence_number":`+strconv.Itoa(i)+`,`) {
			t.Fatalf("event %d lacks its sequence number: %s", i, d)
		}
	}
	second := `{"model":"m","input":[{"type":"message","role":"user","content":"read the file /tmp/y.txt"},` +
		`{"type":"function_call","call_id":"call_fake_read","name":"exec_command","arguments":"{}"},` +
		`{"type":"function_call_output","call_id":"call_fake_read","output":"Output:\nmarker-9\n"}]}`
	resp := post(t, url+"/v1/responses", second)
	var r struct {
		Object string
		Status string
		Output []struct {
			Type    string
			Content []struct{ Text string }
		}
		Usage struct {
			InputTokens int `json:"input_tokens"`
		}
	}
	if err := json.NewDecoder(resp.Body).Decode(&r); err != nil || r.Object != "response" || r.Status != "completed" ||
		len(r.Output) != 1 || r.Output[0].Content[0].Text != ReadResultPrefix+"Output:\nmarker-9" || r.Usage.InputTokens == 0 {
		t.Fatalf("%v %+v", err, r)
	}
}

func TestChatScriptsAFileReadAndQuotesTheResult(t *testing.T) {
	_, url := start(t)
	first := `{"model":"m","tools":[{"type":"function","function":{"name":"Read"}}],"messages":[{"role":"user","content":"read the file /a/b.txt"}]}`
	c := decode[completion](t, post(t, url+"/v1/chat/completions", first).Body)
	if len(c.Choices) != 1 || len(c.Choices[0].Message.ToolCalls) != 1 || c.Choices[0].Message.ToolCalls[0].ID != "call_fake_read" ||
		c.Choices[0].Message.ToolCalls[0].Function.Arguments != `{"file_path":"/a/b.txt"}` {
		t.Fatalf("%+v", c)
	}
	second := `{"model":"m","stream":true,"messages":[{"role":"user","content":"read the file /a/b.txt"},` +
		`{"role":"assistant","tool_calls":[{"id":"call_fake_read","type":"function","function":{"name":"Read","arguments":"{}"}}]},` +
		`{"role":"tool","tool_call_id":"call_fake_read","content":"the content"}]}`
	body := readBody(t, post(t, url+"/v1/chat/completions", second))
	var text strings.Builder
	for _, line := range strings.Split(body, "\n") {
		data, ok := strings.CutPrefix(line, "data: ")
		if !ok || data == "[DONE]" {
			continue
		}
		var ch struct {
			Choices []struct{ Delta struct{ Content string } }
		}
		_ = json.Unmarshal([]byte(data), &ch)
		for _, c := range ch.Choices {
			text.WriteString(c.Delta.Content)
		}
	}
	if text.String() != ReadResultPrefix+"the content" {
		t.Fatalf("streamed %q", text.String())
	}
}
