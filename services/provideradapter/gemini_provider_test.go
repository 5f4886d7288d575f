package provideradapter

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http/httptest"
	"strings"
	"testing"

	inferencev1 "github.com/tollgate/tollgate/gen/go/tollgate/inference/v1"
	provideradapterv1 "github.com/tollgate/tollgate/gen/go/tollgate/provideradapter/v1"
	"github.com/tollgate/tollgate/services/kit/config"
	"github.com/tollgate/tollgate/services/kit/errs"
	"github.com/tollgate/tollgate/services/kit/wire/gemini"
	"github.com/tollgate/tollgate/services/kit/wire/openai"
	"github.com/tollgate/tollgate/services/provideradapter/fakeupstream"
)

const geminiKeyEnv, geminiKey = "TG_TEST_GEMINI_KEY", "gk-test-7d1e"

// geminiConfig serves, from the fake upstream at root: "gem" (Gemini API),
// "vtx" (Vertex AI), "compat" (OpenAI-compatible with structured output),
// "fake" (the built-in fake), and embeddings "gem-vectors" and
// "compat-vectors". model picks the fake's behaviour for gem and vtx.
func geminiConfig(root, model string) string {
	return fmt.Sprintf(`
endpoints:
  - name: gem
    task: chat
    served_entities:
      - {name: up, provider: gemini, model: %[2]s, base_url: %[1]q, api_key: {env: %[3]s}, timeout: 5s}
  - name: vtx
    task: chat
    served_entities:
      - {name: up, provider: vertex, model: %[2]s, base_url: "%[1]s/v1/projects/proj-1/locations/us-central1", api_key: {env: %[3]s}, timeout: 5s}
  - name: compat
    task: chat
    served_entities:
      - {name: up, provider: openai_compatible, model: gpt-up, base_url: "%[1]s/structured/v1", api_key: {env: %[3]s}, timeout: 5s}
  - name: fake
    task: chat
    served_entities:
      - {name: up, provider: fake, model: fake-1}
  - name: gem-vectors
    task: embeddings
    served_entities:
      - {name: up, provider: gemini, model: embed-up, base_url: %[1]q, api_key: {env: %[3]s}, timeout: 5s}
  - name: compat-vectors
    task: embeddings
    served_entities:
      - {name: up, provider: openai_compatible, model: text-embed-up, base_url: "%[1]s/v1", api_key: {env: %[3]s}, timeout: 5s}
`, root, model, geminiKeyEnv)
}

// startGemini runs the fake upstream and an adapter over geminiConfig.
func startGemini(t *testing.T, model string) (*fakeupstream.Server, *Server) {
	t.Helper()
	t.Setenv(geminiKeyEnv, geminiKey)
	fake := fakeupstream.New()
	hs := httptest.NewServer(fake)
	t.Cleanup(hs.Close)
	srv, _ := newTestServer(t, geminiConfig(hs.URL, model))
	return fake, srv
}

// Gemini CLI's read_file declaration, trimmed.
const geminiReadTool = `"tools":[{"functionDeclarations":[{"name":"read_file","description":"Reads a file.","parametersJsonSchema":{"type":"object","properties":{"file_path":{"type":"string"}},"required":["file_path"]}}]}]`

func geminiAsk(text string) string {
	return `{"contents":[{"role":"user","parts":[{"text":` + quoteJSON(text) + `}]}],` + geminiReadTool +
		`,"generationConfig":{"temperature":1,"thinkingConfig":{"includeThoughts":true}}}`
}

// geminiToolResult is the next request of a Gemini client: the call (with
// its id and signature, as the client echoes them) and its result.
func geminiToolResult(id, signature, output string) string {
	sig := ""
	if signature != "" {
		sig = `,"thoughtSignature":` + quoteJSON(signature)
	}
	return `{"contents":[{"role":"user","parts":[{"text":"read the file notes.txt"}]},` +
		`{"role":"model","parts":[{"functionCall":{"id":` + quoteJSON(id) + `,"name":"read_file","args":{"file_path":"notes.txt"}}` + sig + `}]},` +
		`{"role":"user","parts":[{"functionResponse":{"id":` + quoteJSON(id) + `,"name":"read_file","response":{"output":` + quoteJSON(output) + `}}}]}],` +
		geminiReadTool + `}`
}

func quoteJSON(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

func decodeGeminiReq(t *testing.T, endpoint, body string, stream bool) *inferencev1.ChatRequest {
	t.Helper()
	r, err := gemini.DecodeRequest(endpoint, []byte(body), stream)
	if err != nil {
		t.Fatalf("decode: %v", err)
	}
	return r
}

func geminiChat(t *testing.T, srv *Server, endpoint string, req *inferencev1.ChatRequest) (*inferencev1.ChatResponse, error) {
	t.Helper()
	resp, err := srv.Chat(context.Background(), &provideradapterv1.ChatRequest{Target: target(endpoint, "up"), Request: req})
	return resp.GetResponse(), err
}

// streamAll runs ChatStream over gRPC and returns the chunks and the final
// error, typed again.
func streamAll(t *testing.T, srv *Server, endpoint string, req *inferencev1.ChatRequest) ([]*inferencev1.ChatChunk, error) {
	t.Helper()
	st, err := startGRPC(t, srv).ChatStream(context.Background(), &provideradapterv1.ChatStreamRequest{Target: target(endpoint, "up"), Request: req})
	if err != nil {
		return nil, errs.From(err)
	}
	var out []*inferencev1.ChatChunk
	for {
		m, err := st.Recv()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return out, errs.From(err)
		}
		out = append(out, chunksOf(m)...)
	}
}

// lastRequest is the newest request the fake recorded.
func lastRequest(t *testing.T, fake *fakeupstream.Server) fakeupstream.Request {
	t.Helper()
	reqs := fake.Requests()
	if len(reqs) == 0 {
		t.Fatal("the fake upstream got no request")
	}
	return reqs[len(reqs)-1]
}

// summary is what a response or stream said.
type summary struct {
	text, reasoning, callID, callName, args, signature string
	finish                                             inferencev1.FinishReason
	usage                                              *inferencev1.Usage
}

func summarizeResponse(r *inferencev1.ChatResponse) summary {
	var s summary
	ch := r.GetChoices()[0]
	for _, p := range ch.GetMessage().GetContent() {
		s.text += p.GetText()
		s.reasoning += p.GetReasoning().GetText()
	}
	if tcs := ch.GetMessage().GetToolCalls(); len(tcs) > 0 {
		s.callID, s.callName, s.args, s.signature = tcs[0].GetId(), tcs[0].GetName(), tcs[0].GetArgumentsJson(), tcs[0].GetSignature()
	}
	s.finish, s.usage = ch.GetFinishReason(), r.GetUsage()
	return s
}

func summarizeChunks(chunks []*inferencev1.ChatChunk) summary {
	var s summary
	for _, c := range chunks {
		for _, d := range c.GetDeltas() {
			s.text += d.GetText()
			s.reasoning += d.GetReasoning()
			for _, tc := range d.GetToolCalls() {
				if tc.GetId() != "" {
					s.callID = tc.GetId()
				}
				if tc.GetName() != "" {
					s.callName = tc.GetName()
				}
				if tc.GetSignature() != "" {
					s.signature = tc.GetSignature()
				}
				s.args += tc.GetArgumentsJson()
			}
			if d.GetFinishReason() != inferencev1.FinishReason_FINISH_REASON_UNSPECIFIED {
				s.finish = d.GetFinishReason()
			}
		}
		if c.GetUsage() != nil {
			s.usage = c.GetUsage()
		}
	}
	return s
}

func TestGeminiPassthroughIsByteFaithful(t *testing.T) {
	fake, srv := startGemini(t, "gemini-up")
	ask := geminiAsk("please read the file notes.txt")

	// Unary: the body goes as sent, to the served entity's model URL, with
	// the key as x-goog-api-key; the answer comes back raw.
	resp, err := geminiChat(t, srv, "gem", decodeGeminiReq(t, "gem", ask, false))
	if err != nil {
		t.Fatal(err)
	}
	got := lastRequest(t, fake)
	if string(got.Body) != ask || got.Path != "/v1beta/models/gemini-up:generateContent" ||
		got.Header.Get("X-Goog-Api-Key") != geminiKey || got.Header.Get("Authorization") != "" {
		t.Fatalf("upstream got %s %v %s", got.Path, got.Header, got.Body)
	}
	if resp.GetRawDialect() != inferencev1.Dialect_DIALECT_GEMINI || !strings.Contains(string(resp.GetRaw()), `"thoughtSignature":"`+fakeupstream.GeminiThoughtSignature+`"`) {
		t.Fatalf("raw answer %s", resp.GetRaw())
	}
	s := summarizeResponse(resp)
	if s.callName != "read_file" || !strings.HasPrefix(s.callID, fakeupstream.ReadCallMarker) || s.signature != fakeupstream.GeminiThoughtSignature ||
		s.reasoning != fakeupstream.GeminiThought || s.finish != inferencev1.FinishReason_FINISH_REASON_TOOL_CALLS || s.usage.GetInputTokens() == 0 {
		t.Fatalf("parsed answer %+v", s)
	}

	// Stream: every frame raw, in order; usage parsed.
	chunks, err := streamAll(t, srv, "gem", decodeGeminiReq(t, "gem", ask, true))
	if err != nil {
		t.Fatal(err)
	}
	if got := lastRequest(t, fake); string(got.Body) != ask || got.Path != "/v1beta/models/gemini-up:streamGenerateContent" {
		t.Fatalf("upstream got %s %s", got.Path, got.Body)
	}
	if len(chunks) != 2 {
		t.Fatalf("chunks %v", chunks)
	}
	for _, c := range chunks {
		if c.GetRawDialect() != inferencev1.Dialect_DIALECT_GEMINI || !json.Valid(c.GetRaw()) || c.GetRaw()[0] != '{' {
			t.Fatalf("chunk raw %q", c.GetRaw())
		}
	}
	if s := summarizeChunks(chunks); s.callID != resp.GetChoices()[0].GetMessage().GetToolCalls()[0].GetId() || s.usage.GetTotalTokens() == 0 ||
		!strings.Contains(string(chunks[1].GetRaw()), `"id":"`+s.callID+`"`) {
		t.Fatalf("stream %+v", s)
	}

	// The client's next turn echoes the call's id and signature: the
	// upstream sees them unchanged and quotes the result.
	next := geminiToolResult(s.callID, fakeupstream.GeminiThoughtSignature, "contents of notes")
	chunks, err = streamAll(t, srv, "gem", decodeGeminiReq(t, "gem", next, true))
	if err != nil {
		t.Fatal(err)
	}
	if got := lastRequest(t, fake); string(got.Body) != next {
		t.Fatalf("upstream got %s", got.Body)
	}
	if s := summarizeChunks(chunks); s.text != fakeupstream.ReadResultPrefix+"contents of notes" || s.finish != inferencev1.FinishReason_FINISH_REASON_STOP {
		t.Fatalf("final answer %+v", s)
	}
	// Without the signature the upstream refuses, as Gemini 3 does.
	_, err = geminiChat(t, srv, "gem", decodeGeminiReq(t, "gem", geminiToolResult(s.callID, "", "x"), false))
	if e := mustKind(t, err, errs.KindInvalidArgument); e.UpstreamStatus != 400 || !strings.Contains(e.Message, "thought_signature") {
		t.Fatalf("unsigned call: %+v", e)
	}
}

func TestGeminiClientToOpenAIUpstream(t *testing.T) {
	fake, srv := startGemini(t, "gemini-up")
	ask := geminiAsk("read the file notes.txt")
	for _, stream := range []bool{false, true} {
		t.Run(fmt.Sprintf("stream=%v", stream), func(t *testing.T) {
			var s summary
			if stream {
				chunks, err := streamAll(t, srv, "compat", decodeGeminiReq(t, "compat", ask, true))
				if err != nil {
					t.Fatal(err)
				}
				for _, c := range chunks {
					if len(c.GetRaw()) > 0 {
						t.Fatalf("a translated chunk carries raw bytes: %s", c.GetRaw())
					}
				}
				s = summarizeChunks(chunks)
			} else {
				resp, err := geminiChat(t, srv, "compat", decodeGeminiReq(t, "compat", ask, false))
				if err != nil {
					t.Fatal(err)
				}
				if len(resp.GetRaw()) > 0 {
					t.Fatalf("a translated answer carries raw bytes")
				}
				s = summarizeResponse(resp)
			}
			sent := lastRequest(t, fake)
			if sent.Path != "/structured/v1/chat/completions" || sent.Header.Get("Authorization") != "Bearer "+geminiKey ||
				!strings.Contains(string(sent.Body), `"name":"read_file"`) || !strings.Contains(string(sent.Body), `"model":"gpt-up"`) {
				t.Fatalf("upstream got %s %s", sent.Path, sent.Body)
			}
			var args map[string]string
			if s.callName != "read_file" || !strings.Contains(s.callID, fakeupstream.ReadCallMarker) ||
				json.Unmarshal([]byte(s.args), &args) != nil || args["file_path"] != "notes.txt" || s.finish != inferencev1.FinishReason_FINISH_REASON_TOOL_CALLS {
				t.Fatalf("tool call %+v", s)
			}

			// The Gemini client's next turn carries the call id back; the
			// upstream sees it as the tool message's tool_call_id and quotes
			// the result.
			next := decodeGeminiReq(t, "compat", geminiToolResult(s.callID, "", "contents of notes"), stream)
			var final summary
			if stream {
				chunks, err := streamAll(t, srv, "compat", next)
				if err != nil {
					t.Fatal(err)
				}
				final = summarizeChunks(chunks)
			} else {
				resp, err := geminiChat(t, srv, "compat", next)
				if err != nil {
					t.Fatal(err)
				}
				final = summarizeResponse(resp)
			}
			if body := string(lastRequest(t, fake).Body); !strings.Contains(body, `"tool_call_id":"`+s.callID+`"`) {
				t.Fatalf("tool result sent as %s", body)
			}
			if final.text != fakeupstream.ReadResultPrefix+"contents of notes" || final.usage.GetTotalTokens() == 0 {
				t.Fatalf("final answer %+v", final)
			}
		})
	}

	// Gemini CLI's routing call asks for JSON matching a schema; the
	// structured upstream answers such JSON through the translation.
	routing := `{"contents":[{"role":"user","parts":[{"text":"read hello.txt"}]}],"generationConfig":{"responseMimeType":"application/json",` +
		`"responseJsonSchema":{"type":"OBJECT","properties":{"complexity_reasoning":{"type":"STRING"},"complexity_score":{"type":"INTEGER"}},"required":["complexity_reasoning","complexity_score"]}}}`
	resp, err := geminiChat(t, srv, "compat", decodeGeminiReq(t, "compat", routing, false))
	if err != nil {
		t.Fatal(err)
	}
	var verdict struct {
		Reasoning *string `json:"complexity_reasoning"`
		Score     *int    `json:"complexity_score"`
	}
	if text := summarizeResponse(resp).text; json.Unmarshal([]byte(text), &verdict) != nil || verdict.Reasoning == nil || verdict.Score == nil {
		t.Fatalf("routing answer %q", text)
	}
	if body := string(lastRequest(t, fake).Body); !strings.Contains(body, `"response_format":{"type":"json_schema"`) {
		t.Fatalf("routing call sent as %s", body)
	}
}

func TestOpenAIClientToGeminiUpstream(t *testing.T) {
	fake, srv := startGemini(t, "gemini-up")
	const tools = `"tools":[{"type":"function","function":{"name":"read_file","description":"Reads a file.","parameters":{"type":"object","properties":{"file_path":{"type":"string"}},"required":["file_path"]}}}]`
	ask := `{"model":"gem","messages":[{"role":"system","content":"be brief"},{"role":"user","content":"read the file notes.txt"}],` + tools + `}`
	req, err := openai.DecodeChatRequest([]byte(ask))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := geminiChat(t, srv, "gem", req)
	if err != nil {
		t.Fatal(err)
	}
	sent := lastRequest(t, fake)
	var body struct {
		SystemInstruction struct {
			Parts []struct{ Text string } `json:"parts"`
		} `json:"systemInstruction"`
		Tools []struct {
			FunctionDeclarations []struct{ Name string } `json:"functionDeclarations"`
		} `json:"tools"`
		Model *string `json:"model"`
	}
	if err := json.Unmarshal(sent.Body, &body); err != nil || sent.Path != "/v1beta/models/gemini-up:generateContent" || body.Model != nil ||
		len(body.SystemInstruction.Parts) != 1 || body.SystemInstruction.Parts[0].Text != "be brief" ||
		len(body.Tools) != 1 || body.Tools[0].FunctionDeclarations[0].Name != "read_file" {
		t.Fatalf("upstream got %s %s", sent.Path, sent.Body)
	}
	if len(resp.GetRaw()) > 0 {
		t.Fatalf("a translated answer carries raw bytes")
	}
	s := summarizeResponse(resp)
	if s.callName != "read_file" || !strings.HasPrefix(s.callID, fakeupstream.ReadCallMarker) || s.finish != inferencev1.FinishReason_FINISH_REASON_TOOL_CALLS {
		t.Fatalf("tool call %+v", s)
	}

	// The OpenAI client's next turn: the call (its signature lost in
	// OpenAI's format) and the tool message. Gemini gets the call id back
	// and Google's dummy signature, and quotes the result, streamed.
	next := `{"model":"gem","stream":true,"messages":[{"role":"user","content":"read the file notes.txt"},` +
		`{"role":"assistant","content":null,"tool_calls":[{"id":"` + s.callID + `","type":"function","function":{"name":"read_file","arguments":` + quoteJSON(s.args) + `}}]},` +
		`{"role":"tool","tool_call_id":"` + s.callID + `","content":"contents of notes"}],` + tools + `}`
	req, err = openai.DecodeChatRequest([]byte(next))
	if err != nil {
		t.Fatal(err)
	}
	chunks, err := streamAll(t, srv, "gem", req)
	if err != nil {
		t.Fatal(err)
	}
	sentBody := string(lastRequest(t, fake).Body)
	if !strings.Contains(sentBody, `"id":"`+s.callID+`"`) || !strings.Contains(sentBody, fakeupstream.GeminiDummySignature) {
		t.Fatalf("history sent as %s", sentBody)
	}
	final := summarizeChunks(chunks)
	if final.text != fakeupstream.ReadResultPrefix+"contents of notes" || final.finish != inferencev1.FinishReason_FINISH_REASON_STOP ||
		final.usage.GetInputTokens() == 0 || final.usage.GetOutputTokens() == 0 {
		t.Fatalf("final answer %+v", final)
	}
	for _, c := range chunks {
		if len(c.GetRaw()) > 0 {
			t.Fatalf("a translated chunk carries raw bytes: %s", c.GetRaw())
		}
	}
}

func TestGeminiUpstreamErrors(t *testing.T) {
	for _, tc := range []struct {
		model     string
		kind      errs.Kind
		retryable bool
	}{
		{fakeupstream.ModelFail429, errs.KindRateLimited, true},
		{fakeupstream.ModelFail500, errs.KindUpstream, true},
		{fakeupstream.ModelFail401, errs.KindUpstream, true}, // Google's 400 API_KEY_INVALID blames the gateway's key
		{fakeupstream.ModelFail400, errs.KindInvalidArgument, false},
	} {
		t.Run(tc.model, func(t *testing.T) {
			_, srv := startGemini(t, tc.model)
			for _, stream := range []bool{false, true} {
				var err error
				if stream {
					_, err = streamAll(t, srv, "gem", decodeGeminiReq(t, "gem", geminiAsk("hi"), true))
				} else {
					_, err = geminiChat(t, srv, "gem", decodeGeminiReq(t, "gem", geminiAsk("hi"), false))
				}
				e := mustKind(t, err, tc.kind)
				if Retryable(e) != tc.retryable || strings.Contains(e.Message, geminiKey) {
					t.Fatalf("stream=%v: %+v", stream, e)
				}
				if tc.model == fakeupstream.ModelFail429 && e.Retry.Seconds() != 2 {
					t.Fatalf("retry %v, want 2s", e.Retry)
				}
			}
		})
	}

	// A stream that breaks after its first frame ends with an error chunk.
	_, srv := startGemini(t, fakeupstream.ModelGeminiStreamBreak)
	chunks, err := streamAll(t, srv, "gem", decodeGeminiReq(t, "gem", geminiAsk("hi"), true))
	if err != nil || len(chunks) < 2 {
		t.Fatalf("chunks %v, err %v", chunks, err)
	}
	last := chunks[len(chunks)-1]
	if e := last.GetError(); e == nil || e.GetCode() != "UNAVAILABLE" || !e.GetRetryable() || len(last.GetRaw()) == 0 {
		t.Fatalf("last chunk %v", last)
	}
}

func TestGeminiVertexAndURLs(t *testing.T) {
	fake, srv := startGemini(t, "gemini-up")
	if _, err := geminiChat(t, srv, "vtx", decodeGeminiReq(t, "vtx", geminiAsk("hi"), false)); err != nil {
		t.Fatal(err)
	}
	got := lastRequest(t, fake)
	if got.Path != "/v1/projects/proj-1/locations/us-central1/publishers/google/models/gemini-up:generateContent" ||
		got.Header.Get("Authorization") != "Bearer "+geminiKey || got.Header.Get("X-Goog-Api-Key") != "" {
		t.Fatalf("vertex request %s %v", got.Path, got.Header)
	}

	for _, tc := range []struct {
		se         config.ServedEntity
		unary, sse string
	}{
		{config.ServedEntity{Provider: config.ProviderGemini, Model: "gemini-2.5-flash"},
			"https://generativelanguage.googleapis.com/v1beta/models/gemini-2.5-flash:generateContent",
			"https://generativelanguage.googleapis.com/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse"},
		{config.ServedEntity{Provider: config.ProviderVertex, Model: "gemini-2.5-pro", Project: "p1", Location: "europe-west4"},
			"https://europe-west4-aiplatform.googleapis.com/v1/projects/p1/locations/europe-west4/publishers/google/models/gemini-2.5-pro:generateContent",
			"https://europe-west4-aiplatform.googleapis.com/v1/projects/p1/locations/europe-west4/publishers/google/models/gemini-2.5-pro:streamGenerateContent?alt=sse"},
		{config.ServedEntity{Provider: config.ProviderGemini, Model: "models/m", BaseURL: "http://127.0.0.1:9/v1alpha/"},
			"http://127.0.0.1:9/v1alpha/models/m:generateContent", "http://127.0.0.1:9/v1alpha/models/m:streamGenerateContent?alt=sse"},
	} {
		p := newGeminiProvider(&tc.se, nil, nil)
		if p.unaryURL != tc.unary || p.streamURL != tc.sse {
			t.Errorf("%+v: %s %s", tc.se, p.unaryURL, p.streamURL)
		}
	}
}

// TestGeminiConfigRules checks the config rules the Gemini providers rely
// on: a Vertex AI entity names its location (a host name part) safely.
func TestGeminiConfigRules(t *testing.T) {
	entity := func(fields string) string {
		return "endpoints:\n  - name: e\n    task: chat\n    served_entities:\n      - {name: up, model: m, " + fields + "}\n"
	}
	for fields, want := range map[string]string{
		"provider: gemini": "",
		"provider: vertex, project: p-1, location: us-central1": "",
		"provider: vertex, base_url: 'http://127.0.0.1:9/v1/x'": "",
		"provider: vertex":                                               "needs base_url, or project and location",
		"provider: vertex, project: p":                                   "needs base_url, or project and location",
		"provider: vertex, project: p, location: 'evil.com/x'":           "is not a Vertex AI location name",
		"provider: gemini, project: p":                                   "only provider vertex takes project and location",
		"provider: gemini, base_url: 'ftp://x'":                          "is not an http(s) URL",
		"provider: openai_compatible, base_url: 'http://x', location: l": "only provider vertex takes project and location",
	} {
		_, err := config.Parse([]byte(entity(fields)))
		if want == "" && err != nil || want != "" && (err == nil || !strings.Contains(err.Error(), want)) {
			t.Errorf("%s: %v, want %q", fields, err, want)
		}
	}
}

func TestGeminiEmbeddings(t *testing.T) {
	fake, srv := startGemini(t, "gemini-up")
	embed := func(endpoint string, req *inferencev1.EmbeddingsRequest) *inferencev1.EmbeddingsResponse {
		t.Helper()
		resp, err := srv.Embed(context.Background(), &provideradapterv1.EmbedRequest{Target: target(endpoint, "up"), Request: req})
		if err != nil {
			t.Fatalf("%s: %v", endpoint, err)
		}
		return resp.GetResponse()
	}
	one := `{"content":{"parts":[{"text":"hello"}]},"taskType":"RETRIEVAL_QUERY","outputDimensionality":4}`
	er, err := gemini.DecodeEmbedContentRequest("gem-vectors", []byte(one))
	if err != nil {
		t.Fatal(err)
	}
	resp := embed("gem-vectors", er)
	got := lastRequest(t, fake)
	if got.Path != "/v1beta/models/embed-up:embedContent" || string(got.Body) != one || resp.GetRawDialect() != inferencev1.Dialect_DIALECT_GEMINI ||
		!strings.HasPrefix(string(resp.GetRaw()), `{"embedding":`) || len(resp.GetEmbeddings()) != 1 || len(resp.GetEmbeddings()[0].GetValues()) != 4 {
		t.Fatalf("embedContent passthrough: %s %s → %s", got.Path, got.Body, resp.GetRaw())
	}

	// A batch names the model inside: it is rewritten to the served
	// entity's, which the upstream insists on.
	batch := `{"requests":[{"model":"models/gem-vectors","content":{"parts":[{"text":"one"}]}},{"model":"models/gem-vectors","content":{"parts":[{"text":"two"}]}}]}`
	er, err = gemini.DecodeBatchEmbedContentsRequest("gem-vectors", []byte(batch))
	if err != nil {
		t.Fatal(err)
	}
	resp = embed("gem-vectors", er)
	got = lastRequest(t, fake)
	if got.Path != "/v1beta/models/embed-up:batchEmbedContents" || string(got.Body) != strings.ReplaceAll(batch, "models/gem-vectors", "models/embed-up") ||
		len(resp.GetEmbeddings()) != 2 || len(resp.GetRaw()) == 0 {
		t.Fatalf("batch passthrough: %s %s → %s", got.Path, got.Body, resp.GetRaw())
	}
	if want := fakeupstream.Vector("two", fakeupstream.DefaultDimensions); fmt.Sprint(resp.GetEmbeddings()[1].GetValues()) != fmt.Sprint(want) {
		t.Fatalf("second vector %v, want %v", resp.GetEmbeddings()[1].GetValues(), want)
	}

	// An OpenAI client's inputs go as one batch; the answer is canonical.
	oer, err := openai.DecodeEmbeddingsRequest([]byte(`{"model":"gem-vectors","input":["a","b"],"dimensions":3}`))
	if err != nil {
		t.Fatal(err)
	}
	resp = embed("gem-vectors", oer)
	if got := lastRequest(t, fake); got.Path != "/v1beta/models/embed-up:batchEmbedContents" || len(resp.GetRaw()) != 0 ||
		len(resp.GetEmbeddings()) != 2 || len(resp.GetEmbeddings()[0].GetValues()) != 3 {
		t.Fatalf("translated batch: %s %s", got.Path, got.Body)
	}

	// A Gemini client's texts reach an OpenAI upstream as inputs.
	er, _ = gemini.DecodeBatchEmbedContentsRequest("compat-vectors", []byte(batch))
	resp = embed("compat-vectors", er)
	if got := lastRequest(t, fake); got.Path != "/v1/embeddings" || !strings.Contains(string(got.Body), `"input":["one","two"]`) ||
		len(resp.GetEmbeddings()) != 2 || len(resp.GetRaw()) != 0 {
		t.Fatalf("gemini to openai embeddings: %s %s", got.Path, got.Body)
	}
}

func TestGeminiUntranslatableIsRefused(t *testing.T) {
	fake, srv := startGemini(t, "gemini-up")
	cached := `{"cachedContent":"cachedContents/abc","contents":[{"role":"user","parts":[{"text":"hi"}]}]}`
	for _, endpoint := range []string{"compat", "fake"} {
		before := len(fake.Requests())
		_, err := geminiChat(t, srv, endpoint, decodeGeminiReq(t, endpoint, cached, false))
		if e := mustKind(t, err, errs.KindInvalidArgument); e.Param != "cachedContent" {
			t.Fatalf("%s: param %q", endpoint, e.Param)
		}
		_, err = streamAll(t, srv, endpoint, decodeGeminiReq(t, endpoint, cached, true))
		mustKind(t, err, errs.KindInvalidArgument)
		if len(fake.Requests()) != before {
			t.Fatalf("%s: an untranslatable request reached the upstream", endpoint)
		}
	}
	// A Gemini provider takes the request as it is.
	if _, err := geminiChat(t, srv, "gem", decodeGeminiReq(t, "gem", cached, false)); err != nil {
		t.Fatal(err)
	}
	if got := lastRequest(t, fake); string(got.Body) != cached {
		t.Fatalf("upstream got %s", got.Body)
	}
}
