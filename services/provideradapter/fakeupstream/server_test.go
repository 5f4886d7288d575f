package fakeupstream

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func start(t *testing.T, opts ...Option) (*Server, string) {
	t.Helper()
	s := New(opts...)
	hs := httptest.NewServer(s)
	t.Cleanup(hs.Close)
	return s, hs.URL
}

func post(t *testing.T, url, body string, header ...string) *http.Response {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

func decode[T any](t *testing.T, r io.Reader) T {
	t.Helper()
	var v T
	if err := json.NewDecoder(r).Decode(&v); err != nil {
		t.Fatal(err)
	}
	return v
}

type completion struct {
	Object  string `json:"object"`
	Model   string `json:"model"`
	Choices []struct {
		Message struct {
			Content   *string `json:"content"`
			ToolCalls []struct {
				ID       string `json:"id"`
				Function struct{ Name, Arguments string }
			} `json:"tool_calls"`
		} `json:"message"`
		Delta struct {
			Content *string `json:"content"`
		} `json:"delta"`
		FinishReason *string `json:"finish_reason"`
	} `json:"choices"`
	Usage *struct {
		PromptTokens     int `json:"prompt_tokens"`
		CompletionTokens int `json:"completion_tokens"`
		TotalTokens      int `json:"total_tokens"`
	} `json:"usage"`
}

func TestUnaryChat(t *testing.T) {
	_, url := start(t)
	resp := post(t, url+"/v1/chat/completions", `{"model":"gpt-x","messages":[{"role":"user","content":"12345678"}]}`)
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("status %d", resp.StatusCode)
	}
	c := decode[completion](t, resp.Body)
	if c.Object != "chat.completion" || c.Model != "gpt-x" || *c.Choices[0].Message.Content != Reply || *c.Choices[0].FinishReason != "stop" {
		t.Fatalf("%+v", c)
	}
	if c.Usage.PromptTokens != 2 || c.Usage.TotalTokens != c.Usage.PromptTokens+c.Usage.CompletionTokens {
		t.Fatalf("usage %+v", c.Usage)
	}
}

func TestToolCall(t *testing.T) {
	_, url := start(t)
	body := `{"model":"m","tools":[{"type":"function","function":{"name":"get_weather"}}],
	  "messages":[{"role":"user","content":[{"type":"text","text":"What is the Weather?"}]}]}`
	c := decode[completion](t, post(t, url+"/v1/chat/completions", body).Body)
	tc := c.Choices[0].Message.ToolCalls
	if c.Choices[0].Message.Content != nil || len(tc) != 1 || tc[0].Function.Name != "get_weather" || tc[0].Function.Arguments != ToolArguments ||
		*c.Choices[0].FinishReason != "tool_calls" {
		t.Fatalf("%+v", c)
	}
}

func readEvents(t *testing.T, r io.Reader) []string {
	t.Helper()
	var events []string
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		line := sc.Text()
		if line == "" {
			continue
		}
		data, ok := strings.CutPrefix(line, "data: ")
		if !ok {
			t.Fatalf("unexpected line %q", line)
		}
		events = append(events, data)
	}
	return events
}

func TestStreamChat(t *testing.T) {
	_, url := start(t)
	for _, includeUsage := range []bool{false, true} {
		body := `{"model":"m","stream":true,"messages":[{"role":"user","content":"hi"}]}`
		if includeUsage {
			body = `{"model":"m","stream":true,"stream_options":{"include_usage":true},"messages":[{"role":"user","content":"hi"}]}`
		}
		resp := post(t, url+"/v1/chat/completions", body)
		if resp.Header.Get("Content-Type") != "text/event-stream" {
			t.Fatalf("content type %q", resp.Header.Get("Content-Type"))
		}
		events := readEvents(t, resp.Body)
		if events[len(events)-1] != "[DONE]" {
			t.Fatalf("stream does not end with [DONE]: %q", events[len(events)-1])
		}
		var text strings.Builder
		var usageChunks int
		for _, e := range events[:len(events)-1] {
			var raw map[string]json.RawMessage
			if err := json.Unmarshal([]byte(e), &raw); err != nil {
				t.Fatalf("event %q: %v", e, err)
			}
			if _, has := raw["usage"]; has != includeUsage {
				t.Fatalf("include_usage=%v but event %s", includeUsage, e)
			}
			var c completion
			_ = json.Unmarshal([]byte(e), &c)
			if c.Usage != nil {
				usageChunks++
				if len(c.Choices) != 0 {
					t.Fatalf("usage chunk with choices: %s", e)
				}
			}
			for _, ch := range c.Choices {
				if ch.Delta.Content != nil {
					text.WriteString(*ch.Delta.Content)
				}
			}
		}
		if text.String() != Reply || usageChunks != map[bool]int{false: 0, true: 1}[includeUsage] {
			t.Fatalf("text %q, %d usage chunks", text.String(), usageChunks)
		}
	}
}

func TestEmbeddings(t *testing.T) {
	_, url := start(t)
	type list struct {
		Data []struct {
			Index     int             `json:"index"`
			Embedding json.RawMessage `json:"embedding"`
		} `json:"data"`
	}
	floats := decode[list](t, post(t, url+"/v1/embeddings", `{"model":"e","input":["ab","cd"],"dimensions":5}`).Body)
	var vec []float32
	if err := json.Unmarshal(floats.Data[1].Embedding, &vec); err != nil || len(vec) != 5 || vec[0] != Vector("cd", 5)[0] {
		t.Fatalf("float embedding %s: %v", floats.Data[1].Embedding, err)
	}
	b64 := decode[list](t, post(t, url+"/v1/embeddings", `{"model":"e","input":"ab","encoding_format":"base64"}`).Body)
	var s string
	_ = json.Unmarshal(b64.Data[0].Embedding, &s)
	raw, err := base64.StdEncoding.DecodeString(s)
	if err != nil || len(raw) != 4*DefaultDimensions {
		t.Fatalf("base64 embedding %q: %v", s, err)
	}
	if got := math.Float32frombits(binary.LittleEndian.Uint32(raw)); got != Vector("ab", DefaultDimensions)[0] {
		t.Fatalf("first value %v", got)
	}
	if resp := post(t, url+"/v1/embeddings", `{"model":"e","input":[]}`); resp.StatusCode != 400 {
		t.Fatalf("empty input answered %d", resp.StatusCode)
	}
}

func TestFailureModels(t *testing.T) {
	_, url := start(t)
	cases := map[string]int{ModelFail500: 500, ModelFail429: 429, ModelFail401: 401, ModelFail400: 400}
	for model, status := range cases {
		resp := post(t, url+"/v1/chat/completions", `{"model":"`+model+`","messages":[{"role":"user","content":"x"}]}`, "Authorization", "Bearer sk-abcdefghijkl")
		if resp.StatusCode != status {
			t.Fatalf("%s answered %d", model, resp.StatusCode)
		}
		body := decode[struct {
			Error struct {
				Message string  `json:"message"`
				Type    string  `json:"type"`
				Param   *string `json:"param"`
				Code    *string `json:"code"`
			} `json:"error"`
		}](t, resp.Body)
		if body.Error.Message == "" || body.Error.Type == "" {
			t.Fatalf("%s error body %+v", model, body)
		}
		if model == ModelFail429 && resp.Header.Get("Retry-After") != "2" {
			t.Fatal("fail-429 must send Retry-After: 2")
		}
		if model == ModelFail401 && strings.Contains(body.Error.Message, "abcdefghijkl") {
			t.Fatal("the 401 message shows the whole key")
		}
	}
}

func TestSlowModel(t *testing.T) {
	_, url := start(t, WithSlowDelay(50*time.Millisecond))
	started := time.Now()
	resp := post(t, url+"/v1/chat/completions", `{"model":"slow","messages":[{"role":"user","content":"x"}]}`)
	if resp.StatusCode != 200 || time.Since(started) < 50*time.Millisecond {
		t.Fatalf("slow answered %d after %v", resp.StatusCode, time.Since(started))
	}

	s, url := start(t) // the default 30s delay: the client gives up first
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, url+"/v1/chat/completions",
		strings.NewReader(`{"model":"slow","messages":[{"role":"user","content":"x"}]}`))
	if _, err := http.DefaultClient.Do(req); err == nil {
		t.Fatal("expected the client deadline to end the slow request")
	}
	if len(s.Requests()) != 1 {
		t.Fatal("the slow request should be recorded")
	}
}

func TestRecordsRequests(t *testing.T) {
	s, url := start(t, WithHistory(2))
	for _, m := range []string{"a", "b", "c"} {
		post(t, url+"/v1/chat/completions", `{"model":"`+m+`","messages":[{"role":"user","content":"x"}]}`, "Authorization", "Bearer key-"+m)
	}
	reqs := s.Requests()
	if len(reqs) != 2 || !bytes.Contains(reqs[0].Body, []byte(`"b"`)) || reqs[1].Header.Get("Authorization") != "Bearer key-c" {
		t.Fatalf("kept %d requests: %+v", len(reqs), reqs)
	}

	resp, err := http.Get(url + "/_fake/requests")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	seen := decode[[]struct {
		Method string              `json:"method"`
		Path   string              `json:"path"`
		Header map[string][]string `json:"header"`
		Body   string              `json:"body"`
	}](t, resp.Body)
	if len(seen) != 2 || seen[1].Path != "/v1/chat/completions" || seen[1].Header["Authorization"][0] != "Bearer key-c" ||
		!strings.Contains(seen[1].Body, `"model":"c"`) {
		t.Fatalf("GET /_fake/requests = %+v", seen)
	}

	req, _ := http.NewRequest(http.MethodDelete, url+"/_fake/requests", nil)
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != 204 {
		t.Fatalf("delete: %v", err)
	}
	if len(s.Requests()) != 0 {
		t.Fatal("reset did not forget the requests")
	}
}

func TestModelsAndUnknownPaths(t *testing.T) {
	_, url := start(t)
	resp, err := http.Get(url + "/v1/models")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	list := decode[struct {
		Object string `json:"object"`
		Data   []struct{ ID, Object string }
	}](t, resp.Body)
	if list.Object != "list" || len(list.Data) == 0 || list.Data[0].Object != "model" {
		t.Fatalf("%+v", list)
	}
	if resp := post(t, url+"/v1/unknown", `{}`); resp.StatusCode != 404 {
		t.Fatalf("unknown path answered %d", resp.StatusCode)
	}
}

func TestRunPrintsOneLine(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() { done <- Run(ctx, []string{"--addr", "127.0.0.1:0"}, pw, io.Discard) }()
	line, err := bufio.NewReader(pr).ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	base, ok := strings.CutPrefix(strings.TrimSuffix(line, "\n"), "listening on http://127.0.0.1:")
	if !ok || base == "" {
		t.Fatalf("first line %q", line)
	}
	resp, err := http.Get("http://127.0.0.1:" + base + "/v1/models")
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("serving: %v", err)
	}
	resp.Body.Close()
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("run: %v", err)
	}
}
