package router

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"

	"google.golang.org/grpc"

	inferencev1 "github.com/tollgate/tollgate/gen/go/tollgate/inference/v1"
	provideradapterv1 "github.com/tollgate/tollgate/gen/go/tollgate/provideradapter/v1"
	"github.com/tollgate/tollgate/services/kit/errs"
	"github.com/tollgate/tollgate/services/kit/wire/gemini"
	"github.com/tollgate/tollgate/services/router/facade"
)

// geminiConfig has one endpoint per kind of answer the Gemini stub gives
// (by served entity name): a Gemini provider's raw frames, canonical
// answers (a provider of another dialect), a failing provider and a stream
// that breaks after its first chunks; plus embeddings both ways.
const geminiConfig = `
endpoints:
  - name: gem
    task: chat
    served_entities: [{name: gemini, provider: fake, model: gemini-up}]
    permissions: [{group: users, level: CAN_QUERY}]
  - name: other
    task: chat
    served_entities: [{name: canonical, provider: fake, model: other-up}]
    permissions: [{group: users, level: CAN_QUERY}]
  - name: down
    task: chat
    served_entities: [{name: down, provider: fake, model: m-down}]
    permissions: [{group: users, level: CAN_QUERY}]
  - name: midfail
    task: chat
    served_entities: [{name: midfail, provider: fake, model: m-mid}]
    permissions: [{group: users, level: CAN_QUERY}]
  - name: limited
    task: chat
    served_entities: [{name: canonical, provider: fake, model: other-up}]
    permissions: [{group: users, level: CAN_QUERY}]
  - name: private
    task: chat
    served_entities: [{name: canonical, provider: fake, model: other-up}]
    permissions: [{principal: alice, level: CAN_QUERY}]
  - name: vectors
    task: embeddings
    served_entities: [{name: canonical, provider: fake, model: e-other}]
    permissions: [{group: users, level: CAN_QUERY}]
  - name: gem-vectors
    task: embeddings
    served_entities: [{name: gemini, provider: fake, model: e-gemini}]
    permissions: [{group: users, level: CAN_QUERY}]
principals:
  - {name: alice}
  - {name: bob}
groups: []
tokens:
  - {principal: alice, sha256: 9c220f200955d76c0a38d308225e0ef10c5f971acaf2f8d1d8f732affa5bd1dc}
  - {principal: bob, sha256: 97dd3707015dcf069cf73022ed7173b1165db6eff24b441cb57fd069a8c4e525}
`

// The raw answers of the stub's Gemini provider: a thought, text with a
// thought signature, and a function call with an id and a signature.
const geminiUnaryRaw = `{"candidates":[{"content":{"parts":[{"text":"hi from gemini","thoughtSignature":"c2lnLTE="}],"role":"model"},"finishReason":"STOP","index":0}],"usageMetadata":{"promptTokenCount":7,"candidatesTokenCount":3,"totalTokenCount":10},"modelVersion":"gemini-up","responseId":"resp-up"}`

var geminiStreamRaw = []string{
	`{"candidates":[{"content":{"parts":[{"text":"pondering","thought":true}],"role":"model"},"index":0}],"usageMetadata":{"promptTokenCount":7,"totalTokenCount":7},"modelVersion":"gemini-up","responseId":"resp-up"}`,
	`{"candidates":[{"content":{"parts":[{"functionCall":{"id":"fc-up-1","name":"get_weather","args":{"city":"Paris"}},"thoughtSignature":"c2lnLTI="}],"role":"model"},"finishReason":"STOP","index":0}],"usageMetadata":{"promptTokenCount":7,"candidatesTokenCount":4,"thoughtsTokenCount":2,"totalTokenCount":13},"modelVersion":"gemini-up","responseId":"resp-up"}`,
}

// geminiStub is a provider adapter whose answers depend on the served
// entity, as the real adapter's would on the provider's dialect.
type geminiStub struct {
	provideradapterv1.UnimplementedProviderAdapterServiceServer
	mu     sync.Mutex
	chats  []*inferencev1.ChatRequest
	embeds []*inferencev1.EmbeddingsRequest
}

func (a *geminiStub) lastChat() *inferencev1.ChatRequest {
	a.mu.Lock()
	defer a.mu.Unlock()
	if len(a.chats) == 0 {
		return nil
	}
	return a.chats[len(a.chats)-1]
}

func (a *geminiStub) lastEmbed() *inferencev1.EmbeddingsRequest {
	a.mu.Lock()
	defer a.mu.Unlock()
	if len(a.embeds) == 0 {
		return nil
	}
	return a.embeds[len(a.embeds)-1]
}

var errGeminiStubDown = &errs.Error{Kind: errs.KindUpstream, Code: "upstream_error", Message: "provider returned 500", UpstreamStatus: 500, Retryable: true}

func (a *geminiStub) Chat(_ context.Context, req *provideradapterv1.ChatRequest) (*provideradapterv1.ChatResponse, error) {
	a.mu.Lock()
	a.chats = append(a.chats, req.GetRequest())
	a.mu.Unlock()
	switch req.GetTarget().GetServedEntityName() {
	case "gemini":
		resp, err := gemini.ParseResponse([]byte(geminiUnaryRaw))
		if err != nil {
			return nil, err
		}
		resp.Raw, resp.RawDialect = []byte(geminiUnaryRaw), inferencev1.Dialect_DIALECT_GEMINI
		return &provideradapterv1.ChatResponse{Provider: "stub", Response: resp}, nil
	case "canonical", "midfail":
		return &provideradapterv1.ChatResponse{Provider: "stub", Response: canonicalGeminiAnswer(req.GetRequest())}, nil
	}
	return nil, errGeminiStubDown
}

// canonicalGeminiAnswer answers with a tool call when tools were offered,
// with text otherwise.
func canonicalGeminiAnswer(r *inferencev1.ChatRequest) *inferencev1.ChatResponse {
	msg := &inferencev1.Message{Role: inferencev1.Role_ROLE_ASSISTANT}
	finish := inferencev1.FinishReason_FINISH_REASON_STOP
	if len(r.GetTools()) > 0 {
		msg.ToolCalls = []*inferencev1.ToolCall{{Id: "call_42", Name: r.GetTools()[0].GetName(), ArgumentsJson: `{"city":"Paris"}`}}
		finish = inferencev1.FinishReason_FINISH_REASON_TOOL_CALLS
	} else {
		msg.Content = []*inferencev1.ContentPart{{Part: &inferencev1.ContentPart_Text{Text: "hello"}}}
	}
	return &inferencev1.ChatResponse{Id: "chatcmpl-1", Model: "other-up", Created: 1700000000,
		Choices: []*inferencev1.Choice{{Message: msg, FinishReason: finish}},
		Usage:   &inferencev1.Usage{InputTokens: 4, OutputTokens: 2, TotalTokens: 6}}
}

func canonicalGeminiChunks(r *inferencev1.ChatRequest) []*inferencev1.ChatChunk {
	head := func(d ...*inferencev1.ChoiceDelta) *inferencev1.ChatChunk {
		return &inferencev1.ChatChunk{Id: "chatcmpl-1", Model: "other-up", Created: 1700000000, Deltas: d}
	}
	out := []*inferencev1.ChatChunk{head(&inferencev1.ChoiceDelta{Role: inferencev1.Role_ROLE_ASSISTANT})}
	finish := inferencev1.FinishReason_FINISH_REASON_STOP
	if len(r.GetTools()) > 0 {
		name := r.GetTools()[0].GetName()
		out = append(out,
			head(&inferencev1.ChoiceDelta{ToolCalls: []*inferencev1.ToolCallDelta{{Index: 0, Id: "call_42", Name: name}}}),
			head(&inferencev1.ChoiceDelta{ToolCalls: []*inferencev1.ToolCallDelta{{Index: 0, ArgumentsJson: `{"city":`}}}),
			head(&inferencev1.ChoiceDelta{ToolCalls: []*inferencev1.ToolCallDelta{{Index: 0, ArgumentsJson: `"Paris"}`}}}))
		finish = inferencev1.FinishReason_FINISH_REASON_TOOL_CALLS
	} else {
		out = append(out, head(&inferencev1.ChoiceDelta{Text: "hel"}), head(&inferencev1.ChoiceDelta{Text: "lo"}))
	}
	out = append(out, head(&inferencev1.ChoiceDelta{FinishReason: finish}))
	last := head()
	last.Usage = &inferencev1.Usage{InputTokens: 4, OutputTokens: 2, TotalTokens: 6}
	return append(out, last)
}

func (a *geminiStub) ChatStream(req *provideradapterv1.ChatStreamRequest, out grpc.ServerStreamingServer[provideradapterv1.ChatStreamResponse]) error {
	a.mu.Lock()
	a.chats = append(a.chats, req.GetRequest())
	a.mu.Unlock()
	var chunks []*inferencev1.ChatChunk
	switch req.GetTarget().GetServedEntityName() {
	case "gemini":
		p := gemini.NewStreamParser()
		for _, data := range geminiStreamRaw {
			cs, err := p.Parse("", []byte(data))
			if err != nil {
				return err
			}
			chunks = append(chunks, cs...)
		}
	case "canonical":
		chunks = canonicalGeminiChunks(req.GetRequest())
	case "midfail":
		chunks = canonicalGeminiChunks(req.GetRequest())[:3]
		chunks = append(chunks, &inferencev1.ChatChunk{Error: &inferencev1.StreamError{Code: "upstream_error", Message: "the provider connection broke", Retryable: true}})
	default:
		return errGeminiStubDown
	}
	for _, c := range chunks {
		if err := out.Send(&provideradapterv1.ChatStreamResponse{Chunk: c}); err != nil {
			return err
		}
	}
	return nil
}

// geminiEmbedRaw is the stub Gemini provider's raw answer to embedContent.
const geminiEmbedRaw = `{"embedding":{"values":[0.5,-0.25]}}`

func (a *geminiStub) Embed(_ context.Context, req *provideradapterv1.EmbedRequest) (*provideradapterv1.EmbedResponse, error) {
	a.mu.Lock()
	a.embeds = append(a.embeds, req.GetRequest())
	a.mu.Unlock()
	resp := &inferencev1.EmbeddingsResponse{Model: "e-up"}
	for i := range req.GetRequest().GetInputs() {
		resp.Embeddings = append(resp.Embeddings, &inferencev1.Embedding{Index: int32(i), Values: []float32{float32(i + 1), 0}})
	}
	if req.GetTarget().GetServedEntityName() == "gemini" {
		resp.Raw, resp.RawDialect = []byte(geminiEmbedRaw), inferencev1.Dialect_DIALECT_GEMINI
	}
	return &provideradapterv1.EmbedResponse{Provider: "stub", Response: resp}, nil
}

type geminiFixture struct {
	url     string
	adapter *geminiStub
	usage   *recordingSink
}

func newGeminiFixture(t *testing.T) *geminiFixture {
	t.Helper()
	f := &geminiFixture{adapter: &geminiStub{}, usage: &recordingSink{}}
	f.url = serveRouter(t, geminiConfig, f.adapter, "limited", f.usage)
	return f
}

// geminiKey says how a request carries its key.
type geminiKey int

const (
	keyHeader geminiKey = iota // x-goog-api-key, as Gemini CLI and the genai SDKs send it
	keyQuery                   // ?key=
	keyNone
)

// geminiPost posts body to path (which may carry a query) with token sent
// the way key says.
func geminiPost(t *testing.T, base, path, token string, key geminiKey, body string) (*http.Response, string) {
	t.Helper()
	u := base + path
	if key == keyQuery {
		sep := "?"
		if strings.Contains(path, "?") {
			sep = "&"
		}
		u += sep + "key=" + token
	}
	req, _ := http.NewRequest(http.MethodPost, u, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if key == keyHeader && token != "" {
		req.Header.Set("x-goog-api-key", token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp, string(b)
}

// googleError is Google's error envelope.
type googleError struct {
	Error struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
		Status  string `json:"status"`
	} `json:"error"`
}

func wantGoogleError(t *testing.T, resp *http.Response, body string, status int, name string) googleError {
	t.Helper()
	if resp.StatusCode != status {
		t.Fatalf("status %d, want %d; body %s", resp.StatusCode, status, body)
	}
	var e googleError
	if err := json.Unmarshal([]byte(body), &e); err != nil || e.Error.Message == "" {
		t.Fatalf("not a Google error body: %s", body)
	}
	if e.Error.Code != status || e.Error.Status != name {
		t.Fatalf("error code %d status %q, want %d %q: %s", e.Error.Code, e.Error.Status, status, name, body)
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Fatalf("error content type %q", ct)
	}
	return e
}

const geminiHello = `{"contents":[{"role":"user","parts":[{"text":"hi"}]}]}`

const geminiWithTools = `{"contents":[{"role":"user","parts":[{"text":"weather in Paris?"}]}],
"tools":[{"functionDeclarations":[{"name":"get_weather","description":"Weather of a city","parameters":{"type":"OBJECT","properties":{"city":{"type":"STRING"}},"required":["city"]}}]}]}`

// geminiResponse is the part of a GenerateContentResponse the tests read.
type geminiResponse struct {
	Candidates []struct {
		Content struct {
			Role  string `json:"role"`
			Parts []struct {
				Text             string `json:"text"`
				Thought          bool   `json:"thought"`
				ThoughtSignature string `json:"thoughtSignature"`
				FunctionCall     *struct {
					ID   string          `json:"id"`
					Name string          `json:"name"`
					Args json.RawMessage `json:"args"`
				} `json:"functionCall"`
			} `json:"parts"`
		} `json:"content"`
		FinishReason string `json:"finishReason"`
	} `json:"candidates"`
	UsageMetadata *struct {
		PromptTokenCount     int64 `json:"promptTokenCount"`
		CandidatesTokenCount int64 `json:"candidatesTokenCount"`
		TotalTokenCount      int64 `json:"totalTokenCount"`
	} `json:"usageMetadata"`
	ModelVersion string `json:"modelVersion"`
	Error        *struct {
		Code   int    `json:"code"`
		Status string `json:"status"`
	} `json:"error"`
}

func decodeGemini(t *testing.T, data string) geminiResponse {
	t.Helper()
	var r geminiResponse
	if err := json.Unmarshal([]byte(data), &r); err != nil {
		t.Fatalf("not a GenerateContentResponse: %v: %s", err, data)
	}
	return r
}

// geminiSSE splits a Gemini event stream (CRLF line ends, unnamed events)
// into the data of its events.
func geminiSSE(t *testing.T, body string) []string {
	t.Helper()
	if !strings.HasSuffix(body, "\r\n\r\n") {
		t.Fatalf("stream does not end with a blank CRLF line: %q", body)
	}
	var out []string
	for _, block := range strings.Split(strings.TrimSuffix(body, "\r\n\r\n"), "\r\n\r\n") {
		if !strings.HasPrefix(block, "data: ") || strings.ContainsAny(block, "\r\n") {
			t.Fatalf("unexpected event %q in %q", block, body)
		}
		out = append(out, strings.TrimPrefix(block, "data: "))
	}
	return out
}

func TestGeminiGenerateContentUnary(t *testing.T) {
	f := newGeminiFixture(t)
	// A Gemini provider's answer goes back byte for byte, on both paths.
	for _, path := range []string{"/gemini/v1beta/models/gem:generateContent", "/v1beta/models/gem:generateContent"} {
		resp, body := geminiPost(t, f.url, path, aliceToken, keyHeader, geminiHello)
		if resp.StatusCode != 200 || body != geminiUnaryRaw {
			t.Fatalf("%s: %d %s", path, resp.StatusCode, body)
		}
		if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
			t.Fatalf("content type %q", ct)
		}
	}
	sent := f.adapter.lastChat()
	if sent.GetStream() || sent.GetModel() != "gemini-up" || sent.GetSource().GetDialect() != inferencev1.Dialect_DIALECT_GEMINI ||
		string(sent.GetSource().GetOriginalBody()) != geminiHello || sent.GetSource().GetClientModel() != "gem" {
		t.Fatalf("adapter got %v", sent)
	}

	// Another dialect's answer is rendered as Gemini's.
	resp, body := geminiPost(t, f.url, "/gemini/v1beta/models/other:generateContent", aliceToken, keyQuery, geminiHello)
	if resp.StatusCode != 200 {
		t.Fatalf("%d %s", resp.StatusCode, body)
	}
	r := decodeGemini(t, body)
	if len(r.Candidates) != 1 || r.Candidates[0].Content.Parts[0].Text != "hello" || r.Candidates[0].FinishReason != "STOP" ||
		r.Candidates[0].Content.Role != "model" || r.UsageMetadata == nil || r.UsageMetadata.PromptTokenCount != 4 || r.UsageMetadata.TotalTokenCount != 6 {
		t.Fatalf("rendered answer %s", body)
	}
	ev := f.usage.eventFor(t, resp)
	if ev.GetInputTokenCount() != 4 || ev.GetOutputTokenCount() != 2 || ev.GetRequestStreaming() || ev.GetEndpointName() != "other" {
		t.Fatalf("usage %+v", ev)
	}

	// Tool calls come back as function calls.
	resp, body = geminiPost(t, f.url, "/v1beta/models/other:generateContent", aliceToken, keyHeader, geminiWithTools)
	r = decodeGemini(t, body)
	if resp.StatusCode != 200 || len(r.Candidates) != 1 || len(r.Candidates[0].Content.Parts) != 1 {
		t.Fatalf("%d %s", resp.StatusCode, body)
	}
	fc := r.Candidates[0].Content.Parts[0].FunctionCall
	if fc == nil || fc.Name != "get_weather" || fc.ID != "call_42" || string(fc.Args) != `{"city":"Paris"}` || r.Candidates[0].FinishReason != "STOP" {
		t.Fatalf("function call %s", body)
	}
	if tools := f.adapter.lastChat().GetTools(); len(tools) != 1 || tools[0].GetName() != "get_weather" {
		t.Fatalf("tools sent %v", tools)
	}
}

func TestGeminiStreamSSE(t *testing.T) {
	f := newGeminiFixture(t)
	// A Gemini provider's frames go back byte for byte.
	resp, body := geminiPost(t, f.url, "/gemini/v1beta/models/gem:streamGenerateContent?alt=sse", aliceToken, keyHeader, geminiHello)
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
		t.Fatalf("%d %s %s", resp.StatusCode, resp.Header.Get("Content-Type"), body)
	}
	if frames := geminiSSE(t, body); len(frames) != 2 || frames[0] != geminiStreamRaw[0] || frames[1] != geminiStreamRaw[1] {
		t.Fatalf("passthrough frames %q", frames)
	}
	if sent := f.adapter.lastChat(); !sent.GetStream() || !sent.GetIncludeUsage() {
		t.Fatalf("adapter got stream=%v include_usage=%v", sent.GetStream(), sent.GetIncludeUsage())
	}
	ev := f.usage.eventFor(t, resp)
	if !ev.GetRequestStreaming() || ev.GetInputTokenCount() != 7 || ev.GetOutputTokenCount() != 6 {
		t.Fatalf("usage %+v", ev)
	}

	// Canonical chunks become partial responses, the last with the finish
	// reason and the usage.
	resp, body = geminiPost(t, f.url, "/v1beta/models/other:streamGenerateContent?alt=sse", aliceToken, keyQuery, geminiHello)
	if resp.StatusCode != 200 {
		t.Fatalf("%d %s", resp.StatusCode, body)
	}
	frames := geminiSSE(t, body)
	var text strings.Builder
	for _, fr := range frames {
		for _, c := range decodeGemini(t, fr).Candidates {
			for _, p := range c.Content.Parts {
				text.WriteString(p.Text)
			}
		}
	}
	last := decodeGemini(t, frames[len(frames)-1])
	if text.String() != "hello" || len(last.Candidates) != 1 || last.Candidates[0].FinishReason != "STOP" ||
		last.UsageMetadata == nil || last.UsageMetadata.TotalTokenCount != 6 || last.ModelVersion == "" {
		t.Fatalf("translated stream %q", frames)
	}

	// A streamed tool call arrives whole in the last frame.
	resp, body = geminiPost(t, f.url, "/v1beta/models/other:streamGenerateContent?alt=sse", aliceToken, keyHeader, geminiWithTools)
	frames = geminiSSE(t, body)
	last = decodeGemini(t, frames[len(frames)-1])
	if resp.StatusCode != 200 || len(last.Candidates) != 1 || len(last.Candidates[0].Content.Parts) != 1 {
		t.Fatalf("%d %q", resp.StatusCode, frames)
	}
	if fc := last.Candidates[0].Content.Parts[0].FunctionCall; fc == nil || fc.ID != "call_42" || fc.Name != "get_weather" || string(fc.Args) != `{"city":"Paris"}` {
		t.Fatalf("streamed call %q", frames)
	}
}

func TestGeminiStreamJSONArray(t *testing.T) {
	f := newGeminiFixture(t)
	for _, tc := range []struct{ model, query string }{{"gem", ""}, {"other", ""}, {"other", "?alt=json"}} {
		resp, body := geminiPost(t, f.url, "/gemini/v1beta/models/"+tc.model+":streamGenerateContent"+tc.query, aliceToken, keyHeader, geminiHello)
		if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
			t.Fatalf("%s%s: %d %s %s", tc.model, tc.query, resp.StatusCode, resp.Header.Get("Content-Type"), body)
		}
		var elems []json.RawMessage
		if err := json.Unmarshal([]byte(body), &elems); err != nil || len(elems) < 2 {
			t.Fatalf("%s: not a JSON array of responses: %v: %s", tc.model, err, body)
		}
		last := decodeGemini(t, string(elems[len(elems)-1]))
		if len(last.Candidates) != 1 || last.Candidates[0].FinishReason == "" || last.UsageMetadata == nil {
			t.Fatalf("%s: last element %s", tc.model, elems[len(elems)-1])
		}
		if tc.model == "gem" && (string(elems[0]) != geminiStreamRaw[0] || string(elems[1]) != geminiStreamRaw[1]) {
			t.Fatalf("passthrough elements %s", body)
		}
	}
	// A failure after the first element ends the array with an error element.
	resp, body := geminiPost(t, f.url, "/v1beta/models/midfail:streamGenerateContent", aliceToken, keyHeader, geminiHello)
	var elems []json.RawMessage
	if err := json.Unmarshal([]byte(body), &elems); resp.StatusCode != 200 || err != nil || len(elems) == 0 {
		t.Fatalf("%d %v %s", resp.StatusCode, err, body)
	}
	if e := decodeGemini(t, string(elems[len(elems)-1])).Error; e == nil || e.Code < 500 || e.Status == "" {
		t.Fatalf("last element is not an error: %s", body)
	}
}

func TestGeminiStreamErrorFrame(t *testing.T) {
	f := newGeminiFixture(t)
	resp, body := geminiPost(t, f.url, "/gemini/v1beta/models/midfail:streamGenerateContent?alt=sse", aliceToken, keyHeader, geminiHello)
	if resp.StatusCode != 200 {
		t.Fatalf("%d %s", resp.StatusCode, body)
	}
	frames := geminiSSE(t, body)
	if len(frames) < 2 || !strings.Contains(frames[0], `"hel"`) {
		t.Fatalf("frames before the failure %q", frames)
	}
	var e googleError
	if err := json.Unmarshal([]byte(frames[len(frames)-1]), &e); err != nil || e.Error.Code != 502 || e.Error.Status != "UNAVAILABLE" ||
		!strings.Contains(e.Error.Message, "connection broke") {
		t.Fatalf("error frame %q", frames[len(frames)-1])
	}
	if ev := f.usage.eventFor(t, resp); ev.GetStatusCode() < 500 {
		t.Fatalf("usage status %d", ev.GetStatusCode())
	}
}

func TestGeminiErrorsHaveGoogleShape(t *testing.T) {
	f := newGeminiFixture(t)
	cases := []struct {
		name, path, token string
		key               geminiKey
		body              string
		status            int
		googleStatus      string
	}{
		{"no key", "/gemini/v1beta/models/other:generateContent", "", keyNone, geminiHello, 401, "UNAUTHENTICATED"},
		{"bad key", "/v1beta/models/other:generateContent", "nope", keyHeader, geminiHello, 401, "UNAUTHENTICATED"},
		{"bad query key, stream", "/v1beta/models/other:streamGenerateContent?alt=sse", "nope", keyQuery, geminiHello, 401, "UNAUTHENTICATED"},
		{"no permission", "/gemini/v1beta/models/private:generateContent", bobToken, keyHeader, geminiHello, 403, "PERMISSION_DENIED"},
		{"unknown model", "/gemini/v1beta/models/ghost:streamGenerateContent?alt=sse", aliceToken, keyHeader, geminiHello, 404, "NOT_FOUND"},
		{"rate limited", "/v1beta/models/limited:generateContent", aliceToken, keyHeader, geminiHello, 429, "RESOURCE_EXHAUSTED"},
		{"invalid json", "/v1beta/models/other:generateContent", aliceToken, keyHeader, `{"contents":`, 400, "INVALID_ARGUMENT"},
		{"no contents", "/gemini/v1beta/models/other:generateContent", aliceToken, keyHeader, `{}`, 400, "INVALID_ARGUMENT"},
		{"wrong task", "/gemini/v1beta/models/vectors:generateContent", aliceToken, keyHeader, geminiHello, 400, "INVALID_ARGUMENT"},
		{"provider down", "/gemini/v1beta/models/down:generateContent", aliceToken, keyHeader, geminiHello, 502, "UNAVAILABLE"},
		{"provider down, stream", "/gemini/v1beta/models/down:streamGenerateContent?alt=sse", aliceToken, keyHeader, geminiHello, 502, "UNAVAILABLE"},
		{"count tokens, no key", "/gemini/v1beta/models/other:countTokens", "", keyNone, geminiHello, 401, "UNAUTHENTICATED"},
		{"count tokens, no permission", "/v1beta/models/private:countTokens", bobToken, keyHeader, geminiHello, 403, "PERMISSION_DENIED"},
		{"count tokens, unknown model", "/v1beta/models/ghost:countTokens", aliceToken, keyHeader, geminiHello, 404, "NOT_FOUND"},
		{"embed, no key", "/gemini/v1beta/models/vectors:embedContent", "", keyNone, `{"content":{"parts":[{"text":"a"}]}}`, 401, "UNAUTHENTICATED"},
		{"embed, chat endpoint", "/gemini/v1beta/models/other:embedContent", aliceToken, keyHeader, `{"content":{"parts":[{"text":"a"}]}}`, 400, "INVALID_ARGUMENT"},
		{"batch embed, unknown model", "/v1beta/models/ghost:batchEmbedContents", aliceToken, keyHeader, `{"requests":[{"content":{"parts":[{"text":"a"}]}}]}`, 404, "NOT_FOUND"},
		{"unknown method", "/gemini/v1beta/models/other:predict", aliceToken, keyHeader, geminiHello, 404, "NOT_FOUND"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			resp, body := geminiPost(t, f.url, tc.path, tc.token, tc.key, tc.body)
			wantGoogleError(t, resp, body, tc.status, tc.googleStatus)
			if tc.status == 429 && resp.Header.Get("Retry-After") != "2" {
				t.Fatalf("Retry-After %q, want 2", resp.Header.Get("Retry-After"))
			}
			if strings.Contains(body, aliceToken) || strings.Contains(body, "nope") {
				t.Fatalf("error echoes the key: %s", body)
			}
		})
	}
}

func TestGeminiCountTokens(t *testing.T) {
	f := newGeminiFixture(t)
	bodies := []string{geminiWithTools, `{"generateContentRequest":{"model":"models/other","contents":[{"role":"user","parts":[{"text":"hi there"}]}],"systemInstruction":{"parts":[{"text":"be brief"}]}}}`}
	for _, body := range bodies {
		resp, got := geminiPost(t, f.url, "/gemini/v1beta/models/other:countTokens", aliceToken, keyQuery, body)
		if resp.StatusCode != 200 {
			t.Fatalf("%d %s", resp.StatusCode, got)
		}
		cr, err := gemini.DecodeCountTokensRequest("other", []byte(body))
		if err != nil {
			t.Fatal(err)
		}
		want := gemini.EstimateInputTokens(cr)
		var r struct {
			TotalTokens int64 `json:"totalTokens"`
		}
		if err := json.Unmarshal([]byte(got), &r); err != nil || r.TotalTokens != want || want <= 0 {
			t.Fatalf("count %s, want %d", got, want)
		}
	}
	if n := len(f.adapter.chats); n != 0 {
		t.Fatalf("countTokens called the provider %d times", n)
	}
}

func TestGeminiEmbeddings(t *testing.T) {
	f := newGeminiFixture(t)
	resp, body := geminiPost(t, f.url, "/gemini/v1beta/models/vectors:embedContent", aliceToken, keyHeader,
		`{"content":{"parts":[{"text":"hello"},{"text":"world"}]},"outputDimensionality":2,"taskType":"RETRIEVAL_QUERY"}`)
	if resp.StatusCode != 200 || body != `{"embedding":{"values":[1,0]}}` {
		t.Fatalf("embedContent: %d %s", resp.StatusCode, body)
	}
	sent := f.adapter.lastEmbed()
	if len(sent.GetInputs()) != 1 || sent.GetInputs()[0] != "hello\nworld" || sent.GetDimensions() != 2 ||
		sent.GetModel() != "e-other" || sent.GetSource().GetDialect() != inferencev1.Dialect_DIALECT_GEMINI {
		t.Fatalf("adapter got %v", sent)
	}
	if ev := f.usage.eventFor(t, resp); ev.GetEndpointName() != "vectors" || ev.GetStatusCode() != 200 {
		t.Fatalf("usage %+v", ev)
	}

	resp, body = geminiPost(t, f.url, "/v1beta/models/vectors:batchEmbedContents", aliceToken, keyQuery,
		`{"requests":[{"model":"models/vectors","content":{"parts":[{"text":"one"}]}},{"model":"models/vectors","content":{"parts":[{"text":"two"}]}}]}`)
	if resp.StatusCode != 200 || body != `{"embeddings":[{"values":[1,0]},{"values":[2,0]}]}` {
		t.Fatalf("batchEmbedContents: %d %s", resp.StatusCode, body)
	}
	if in := f.adapter.lastEmbed().GetInputs(); len(in) != 2 || in[0] != "one" || in[1] != "two" {
		t.Fatalf("batch inputs %q", in)
	}

	// A Gemini provider's answer goes back raw.
	resp, body = geminiPost(t, f.url, "/v1beta/models/gem-vectors:embedContent", aliceToken, keyHeader, `{"content":{"parts":[{"text":"hi"}]}}`)
	if resp.StatusCode != 200 || body != geminiEmbedRaw {
		t.Fatalf("raw embedContent: %d %s", resp.StatusCode, body)
	}
	resp, body = geminiPost(t, f.url, "/v1beta/models/vectors:embedContent", aliceToken, keyHeader, `{"content":{"parts":[{"inlineData":{"mimeType":"image/png","data":"AAAA"}}]}}`)
	e := wantGoogleError(t, resp, body, 400, "INVALID_ARGUMENT")
	if !strings.Contains(e.Error.Message, "text") {
		t.Fatalf("message %q", e.Error.Message)
	}
}

func TestAltSSE(t *testing.T) {
	for q, want := range map[string]bool{"": false, "alt=sse": true, "key=k&alt=sse": true, "alt=json": false, "salt=sse": false, "alt=sse%": false} {
		if got := facade.AltSSE(q); got != want {
			t.Errorf("AltSSE(%q) = %v, want %v", q, got, want)
		}
	}
}

func BenchmarkGeminiStreamFrames(b *testing.B) {
	chunk := &inferencev1.ChatChunk{Id: "r", Model: "m", Deltas: []*inferencev1.ChoiceDelta{{Text: "hello there"}}}
	b.ReportAllocs()
	for b.Loop() {
		g := geminiDoor{sse: true}.newStream(nil, "m")
		_ = g.chunk(chunk)
		_ = g.end()
	}
}
