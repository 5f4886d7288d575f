package fakeupstream

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
)

// geminiReply is the part of a GenerateContentResponse these tests read.
type geminiReply struct {
	Candidates []struct {
		Content struct {
			Role  string `json:"role"`
			Parts []struct {
				Text             *string `json:"text"`
				Thought          bool    `json:"thought"`
				ThoughtSignature string  `json:"thoughtSignature"`
				FunctionCall     *struct {
					ID   string            `json:"id"`
					Name string            `json:"name"`
					Args map[string]string `json:"args"`
				} `json:"functionCall"`
			} `json:"parts"`
		} `json:"content"`
		FinishReason string `json:"finishReason"`
	} `json:"candidates"`
	UsageMetadata struct {
		PromptTokenCount     int `json:"promptTokenCount"`
		CandidatesTokenCount int `json:"candidatesTokenCount"`
		ThoughtsTokenCount   int `json:"thoughtsTokenCount"`
		TotalTokenCount      int `json:"totalTokenCount"`
	} `json:"usageMetadata"`
	ModelVersion string `json:"modelVersion"`
	Error        *struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
		Status  string `json:"status"`
	} `json:"error"`
}

func (r *geminiReply) text() string {
	var b strings.Builder
	for _, c := range r.Candidates {
		for _, p := range c.Content.Parts {
			if p.Text != nil && !p.Thought {
				b.WriteString(*p.Text)
			}
		}
	}
	return b.String()
}

const geminiTools = `"tools":[{"functionDeclarations":[{"name":"list_directory"},{"name":"read_file"}]}]`

func geminiPost(t *testing.T, url, body string) *http.Response {
	t.Helper()
	return post(t, url, body, "x-goog-api-key", "k")
}

func TestGeminiGenerateContentScript(t *testing.T) {
	s, root := start(t)
	u := root + "/v1beta/models/gemini-x:generateContent"

	resp := geminiPost(t, u, `{"contents":[{"role":"user","parts":[{"text":"hi"}]}]}`)
	r := decode[geminiReply](t, resp.Body)
	if resp.StatusCode != 200 || r.text() != Reply || r.Candidates[0].FinishReason != "STOP" || r.Candidates[0].Content.Role != "model" ||
		r.ModelVersion != "gemini-x" || r.UsageMetadata.TotalTokenCount != r.UsageMetadata.PromptTokenCount+r.UsageMetadata.CandidatesTokenCount {
		t.Fatalf("%d %+v", resp.StatusCode, r)
	}

	// A read request gets a signed call to read_file; thoughts first when asked.
	ask := `{"contents":[{"role":"user","parts":[{"text":"context"},{"text":"please read the file notes.txt."}]}],` + geminiTools +
		`,"generationConfig":{"thinkingConfig":{"includeThoughts":true}}}`
	r = decode[geminiReply](t, geminiPost(t, u, ask).Body)
	parts := r.Candidates[0].Content.Parts
	if len(parts) != 2 || !parts[0].Thought || *parts[0].Text != GeminiThought || parts[1].FunctionCall == nil {
		t.Fatalf("%+v", r)
	}
	fc := parts[1].FunctionCall
	if fc.Name != "read_file" || fc.Args["file_path"] != "notes.txt" || !strings.Contains(fc.ID, ReadCallMarker) ||
		parts[1].ThoughtSignature != GeminiThoughtSignature || r.UsageMetadata.ThoughtsTokenCount == 0 {
		t.Fatalf("call %+v", parts[1])
	}

	history := func(sig string) string {
		return `{"contents":[{"role":"user","parts":[{"text":"read the file notes.txt"}]},` +
			`{"role":"model","parts":[{"functionCall":{"id":"` + fc.ID + `","name":"read_file","args":{"file_path":"notes.txt"}}` + sig + `}]},` +
			`{"role":"user","parts":[{"functionResponse":{"id":"` + fc.ID + `","name":"read_file","response":{"output":"42\n"}}}]}],` + geminiTools + `}`
	}
	for sig, want := range map[string]string{
		`,"thoughtSignature":"` + GeminiThoughtSignature + `"`: ReadResultPrefix + "42",
		`,"thoughtSignature":"` + GeminiDummySignature + `"`:   ReadResultPrefix + "42",
		`,"thoughtSignature":"other"`:                          Reply,
	} {
		if got := decode[geminiReply](t, geminiPost(t, u, history(sig)).Body); got.text() != want {
			t.Fatalf("signature %s: %q, want %q", sig, got.text(), want)
		}
	}
	resp = geminiPost(t, u, history(""))
	if e := decode[geminiReply](t, resp.Body).Error; resp.StatusCode != 400 || e == nil || e.Status != "INVALID_ARGUMENT" || !strings.Contains(e.Message, "thought_signature") {
		t.Fatalf("unsigned call: %d %+v", resp.StatusCode, e)
	}

	if got := s.Requests(); len(got) != 6 || got[0].Path != "/v1beta/models/gemini-x:generateContent" || got[0].Header.Get("X-Goog-Api-Key") != "k" {
		t.Fatalf("recorded %d requests", len(got))
	}
}

func TestGeminiStructuredAnswer(t *testing.T) {
	_, root := start(t)
	// Gemini CLI's routing call, as captured.
	body := `{"contents":[{"role":"user","parts":[{"text":"read hello.txt"}]}],"generationConfig":{"responseMimeType":"application/json",` +
		`"responseJsonSchema":{"type":"OBJECT","properties":{"complexity_reasoning":{"type":"STRING"},"complexity_score":{"type":"INTEGER"}},"required":["complexity_reasoning","complexity_score"]},` +
		`"thinkingConfig":{"includeThoughts":true,"thinkingLevel":"HIGH"}}}`
	r := decode[geminiReply](t, geminiPost(t, root+"/v1beta/models/gemini-3.5-flash-lite:generateContent", body).Body)
	var verdict struct {
		Reasoning string `json:"complexity_reasoning"`
		Score     int    `json:"complexity_score"`
	}
	if err := json.Unmarshal([]byte(r.text()), &verdict); err != nil || verdict.Reasoning == "" || verdict.Score != 1 {
		t.Fatalf("structured answer %q: %v", r.text(), err)
	}

	// The structured OpenAI-compatible API does the same for response_format.
	chat := `{"model":"m","messages":[{"role":"user","content":"x"}],"response_format":{"type":"json_schema","json_schema":{"name":"v","schema":` +
		`{"type":"object","properties":{"ok":{"type":"boolean"},"tags":{"type":"array","items":{"type":"string","enum":["a","b"]}},"n":{"type":["null","integer"],"minimum":5}}}}}}`
	c := decode[completion](t, post(t, root+StructuredPrefix+"/v1/chat/completions", chat).Body)
	if got := *c.Choices[0].Message.Content; got != `{"n":5,"ok":true,"tags":["a"]}` {
		t.Fatalf("structured chat %s", got)
	}
	// Without response_format it is the plain fake.
	c = decode[completion](t, post(t, root+StructuredPrefix+"/v1/chat/completions", `{"model":"m","messages":[{"role":"user","content":"x"}]}`).Body)
	if got := *c.Choices[0].Message.Content; got != Reply {
		t.Fatalf("plain chat %s", got)
	}
	resp := post(t, root+StructuredPrefix+"/v1/chat/completions", `{"model":"m","stream":true,"messages":[{"role":"user","content":"x"}],"response_format":{"type":"json_object"}}`)
	b, _ := io.ReadAll(resp.Body)
	if !strings.Contains(string(b), `"content":"{}"`) || !strings.HasSuffix(string(b), "data: [DONE]\n\n") {
		t.Fatalf("streamed structured chat %s", b)
	}
	for schema, want := range map[string]string{"": "{}", "not json": "{}", `{"type":"STRING"}`: `"fake"`, `{"anyOf":[{"type":"number"}]}`: "1"} {
		if got := SchemaExample(json.RawMessage(schema)); got != want {
			t.Errorf("SchemaExample(%s) = %s, want %s", schema, got, want)
		}
	}
}

func TestGeminiStreams(t *testing.T) {
	_, root := start(t)
	u := root + "/gemini-prefix/v1beta/models/gemini-x:streamGenerateContent"
	body := `{"contents":[{"role":"user","parts":[{"text":"hi"}]}]}`

	// SSE: CRLF-framed data events, the last finishing with the totals.
	resp := geminiPost(t, u+"?alt=sse", body)
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("%d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	events := strings.Split(strings.TrimSuffix(string(b), "\r\n\r\n"), "\r\n\r\n")
	if len(events) != len(ReplyPieces) {
		t.Fatalf("events %q", b)
	}
	var text strings.Builder
	for i, ev := range events {
		var r geminiReply
		if !strings.HasPrefix(ev, "data: ") || json.Unmarshal([]byte(ev[6:]), &r) != nil {
			t.Fatalf("event %q", ev)
		}
		text.WriteString(r.text())
		last := i == len(events)-1
		if (r.Candidates[0].FinishReason == "STOP") != last || (r.UsageMetadata.CandidatesTokenCount > 0) != last {
			t.Fatalf("event %d: %q", i, ev)
		}
	}
	if text.String() != Reply {
		t.Fatalf("text %q", text.String())
	}

	// Without alt=sse: one JSON array of the same responses.
	resp = geminiPost(t, u, body)
	var arr []geminiReply
	if err := json.NewDecoder(resp.Body).Decode(&arr); err != nil || len(arr) != len(ReplyPieces) || arr[len(arr)-1].Candidates[0].FinishReason != "STOP" {
		t.Fatalf("array stream: %v %+v", err, arr)
	}

	// A stream that breaks: one frame, then Google's error body.
	resp = geminiPost(t, root+"/v1beta/models/"+ModelGeminiStreamBreak+":streamGenerateContent?alt=sse", body)
	b, _ = io.ReadAll(resp.Body)
	events = strings.Split(strings.TrimSuffix(string(b), "\r\n\r\n"), "\r\n\r\n")
	var last geminiReply
	if len(events) != 2 || json.Unmarshal([]byte(strings.TrimPrefix(events[1], "data: ")), &last) != nil || last.Error == nil || last.Error.Status != "UNAVAILABLE" {
		t.Fatalf("broken stream %q", b)
	}
}

func TestGeminiOtherMethodsAndFailures(t *testing.T) {
	_, root := start(t)
	base := root + "/v1beta/models/"

	var count struct{ TotalTokens int }
	if err := json.NewDecoder(geminiPost(t, base+"g:countTokens", `{"generateContentRequest":{"contents":[{"parts":[{"text":"12345678"}]}]}}`).Body).Decode(&count); err != nil || count.TotalTokens != 2 {
		t.Fatalf("countTokens %+v %v", count, err)
	}

	var one struct{ Embedding struct{ Values []float32 } }
	if err := json.NewDecoder(geminiPost(t, base+"e:embedContent", `{"content":{"parts":[{"text":"a"},{"text":"b"}]},"outputDimensionality":3}`).Body).Decode(&one); err != nil ||
		len(one.Embedding.Values) != 3 || one.Embedding.Values[0] != Vector("a\nb", 3)[0] {
		t.Fatalf("embedContent %+v %v", one, err)
	}
	var batch struct{ Embeddings []struct{ Values []float32 } }
	resp := geminiPost(t, base+"e:batchEmbedContents", `{"requests":[{"model":"models/e","content":{"parts":[{"text":"a"}]}},{"model":"models/e","content":{"parts":[{"text":"b"}]}}]}`)
	if err := json.NewDecoder(resp.Body).Decode(&batch); err != nil || len(batch.Embeddings) != 2 || batch.Embeddings[1].Values[0] != Vector("b", DefaultDimensions)[0] {
		t.Fatalf("batchEmbedContents %+v %v", batch, err)
	}

	// Vertex AI paths and bearer tokens work too.
	resp = post(t, root+"/v1/projects/p/locations/l/publishers/google/models/g:generateContent", `{"contents":[{"parts":[{"text":"hi"}]}]}`, "Authorization", "Bearer t")
	if resp.StatusCode != 200 {
		t.Fatalf("vertex %d", resp.StatusCode)
	}

	for _, tc := range []struct {
		path, body, status string
		code               int
		header             string
	}{
		{base + "e:batchEmbedContents", `{"requests":[{"model":"models/other","content":{"parts":[{"text":"a"}]}}]}`, "INVALID_ARGUMENT", 400, ""},
		{base + "g:generateContent", `{"contents":[]}`, "INVALID_ARGUMENT", 400, ""},
		{base + "g:generateContent", `{"contents":[{"role":"assistant","parts":[{"text":"a"}]}]}`, "INVALID_ARGUMENT", 400, ""},
		{base + "g:predict", `{}`, "NOT_FOUND", 404, ""},
		{base + ModelFail429 + ":generateContent", `{}`, "RESOURCE_EXHAUSTED", 429, ""},
		{base + ModelFail500 + ":streamGenerateContent?alt=sse", `{}`, "INTERNAL", 500, ""},
		{base + ModelFail401 + ":generateContent", `{}`, "INVALID_ARGUMENT", 400, ""},
		{base + ModelFail400 + ":generateContent", `{}`, "INVALID_ARGUMENT", 400, ""},
		{base + "g:generateContent", `{}`, "PERMISSION_DENIED", 403, "none"},
	} {
		var resp *http.Response
		if tc.header == "none" {
			resp = post(t, tc.path, tc.body)
		} else {
			resp = geminiPost(t, tc.path, tc.body)
		}
		e := decode[geminiReply](t, resp.Body).Error
		if resp.StatusCode != tc.code || e == nil || e.Code != tc.code || e.Status != tc.status || e.Message == "" {
			t.Errorf("%s %s: %d %+v", tc.path, tc.body, resp.StatusCode, e)
		}
	}
}
