package gemini

import (
	"bytes"
	"encoding/json"
	"sort"
	"strings"
	"testing"

	"github.com/tollgate/tollgate/services/kit/wire/internal/capture"

	inferencev1 "github.com/tollgate/tollgate/gen/go/tollgate/inference/v1"
	"github.com/tollgate/tollgate/services/kit/wire/openai"
)

// fixture is one captured client request and the reply it accepted.
type fixture = capture.Exchange

func loadFixtures(t testing.TB) []fixture { return capture.Load(t, "testdata/fixtures") }

// capturedRequest is the part of a captured body the tests compare against
// the decoded canonical request.
type capturedRequest struct {
	Contents []struct {
		Role  string            `json:"role"`
		Parts []json.RawMessage `json:"parts"`
	} `json:"contents"`
	SystemInstruction *struct {
		Parts []struct {
			Text string `json:"text"`
		} `json:"parts"`
	} `json:"systemInstruction"`
	Tools []struct {
		FunctionDeclarations []struct {
			Name string `json:"name"`
		} `json:"functionDeclarations"`
	} `json:"tools"`
	GenerationConfig *struct {
		Temperature        *float64        `json:"temperature"`
		TopP               *float64        `json:"topP"`
		TopK               *int32          `json:"topK"`
		ResponseMimeType   string          `json:"responseMimeType"`
		ResponseJSONSchema json.RawMessage `json:"responseJsonSchema"`
		ThinkingConfig     *struct {
			IncludeThoughts bool   `json:"includeThoughts"`
			ThinkingLevel   string `json:"thinkingLevel"`
		} `json:"thinkingConfig"`
	} `json:"generationConfig"`
}

// TestFixtureRequests: every captured generateContent request decodes into
// a sensible canonical request, re-encodes for an OpenAI provider and for
// a Gemini one (and that body decodes to the same conversation), is fully
// translatable, and passes through byte for byte.
func TestFixtureRequests(t *testing.T) {
	n := 0
	for _, f := range loadFixtures(t) {
		model, method, ok := ParseModelPath(f.Path)
		if !ok {
			t.Fatalf("%s: path %q names no model method", f.Source, f.Path)
		}
		if method != MethodGenerateContent && method != MethodStreamGenerateContent {
			continue
		}
		n++
		t.Run(f.Source, func(t *testing.T) {
			stream := method == MethodStreamGenerateContent
			var want capturedRequest
			if err := json.Unmarshal(f.Body, &want); err != nil {
				t.Fatal(err)
			}
			r, err := DecodeRequest(model, f.Body, stream)
			if err != nil {
				t.Fatalf("decode: %v", err)
			}
			checkDecodedFixture(t, r, &want, model, stream, f.Body)
			if note := CheckTranslatable(r); note != nil {
				t.Errorf("CheckTranslatable: %v", note)
			}

			if _, err := openai.BuildChatRequest(r, "gpt-4o", openai.BuildOptions{}); err != nil {
				t.Errorf("openai.BuildChatRequest: %v", err)
			}
			rebuilt, err := BuildRequest(r, "gemini-upstream")
			if err != nil {
				t.Fatalf("BuildRequest: %v", err)
			}
			again, err := DecodeRequest("gemini-upstream", rebuilt, stream)
			if err != nil {
				t.Fatalf("the built body does not decode: %v\n%s", err, rebuilt)
			}
			if got, want := conversationText(again), conversationText(r); got != want {
				t.Errorf("BuildRequest changed the conversation:\n got %q\nwant %q", clip(got), clip(want))
			}
			if len(again.GetTools()) != len(r.GetTools()) {
				t.Errorf("BuildRequest kept %d of %d tools", len(again.GetTools()), len(r.GetTools()))
			}

			out, err := RewriteForUpstream(f.Body, "gemini-upstream")
			if err != nil || !bytes.Equal(out, f.Body) {
				t.Errorf("RewriteForUpstream changed a generateContent body (err %v)", err)
			}
		})
	}
	if n < 10 {
		t.Fatalf("only %d generateContent fixtures", n)
	}
}

func checkDecodedFixture(t *testing.T, r *inferencev1.ChatRequest, want *capturedRequest, model string, stream bool, body []byte) {
	t.Helper()
	src := r.GetSource()
	if src.GetDialect() != inferencev1.Dialect_DIALECT_GEMINI || src.GetClientModel() != model ||
		!bytes.Equal(src.GetOriginalBody(), body) || r.GetModel() != model {
		t.Errorf("source = %v %q (model %q)", src.GetDialect(), src.GetClientModel(), r.GetModel())
	}
	if r.GetStream() != stream || r.GetIncludeUsage() != stream {
		t.Errorf("stream = %v, include usage %v; want %v", r.GetStream(), r.GetIncludeUsage(), stream)
	}
	msgs := r.GetMessages()
	wantMsgs := len(want.Contents)
	if want.SystemInstruction != nil {
		wantMsgs++
		if msgs[0].GetRole() != inferencev1.Role_ROLE_SYSTEM || msgs[0].GetContent()[0].GetText() != want.SystemInstruction.Parts[0].Text {
			t.Errorf("system message = %v", msgs[0].GetRole())
		}
		msgs = msgs[1:]
	}
	if len(r.GetMessages()) != wantMsgs {
		t.Fatalf("%d messages, want %d", len(r.GetMessages()), wantMsgs)
	}
	for i, c := range want.Contents {
		wantRole := inferencev1.Role_ROLE_USER
		if c.Role == "model" {
			wantRole = inferencev1.Role_ROLE_ASSISTANT
		}
		if msgs[i].GetRole() != wantRole {
			t.Errorf("message %d role %v, want %v", i, msgs[i].GetRole(), wantRole)
		}
	}
	fns := 0
	for _, tool := range want.Tools {
		fns += len(tool.FunctionDeclarations)
	}
	if len(r.GetTools()) != fns {
		t.Errorf("%d tools, want %d", len(r.GetTools()), fns)
	}
	for _, tool := range r.GetTools() {
		if !json.Valid([]byte(tool.GetParametersJson())) || strings.Contains(tool.GetParametersJson(), `"OBJECT"`) {
			t.Errorf("tool %s parameters %s", tool.GetName(), clip(tool.GetParametersJson()))
		}
	}
	gc := want.GenerationConfig
	if gc == nil {
		return
	}
	s := r.GetSampling()
	if gc.Temperature != nil && s.GetTemperature() != *gc.Temperature || gc.TopK != nil && s.GetTopK() != *gc.TopK ||
		gc.TopP != nil && s.GetTopP() != *gc.TopP {
		t.Errorf("sampling = %v", s)
	}
	if tc := gc.ThinkingConfig; tc != nil {
		if rs := r.GetReasoning(); rs.GetEnabled() != tc.IncludeThoughts || rs.GetEffort() != strings.ToLower(tc.ThinkingLevel) {
			t.Errorf("reasoning = %v", rs)
		}
	}
	if len(gc.ResponseJSONSchema) > 0 {
		rf := r.GetResponseFormat()
		if rf.GetType() != "json_schema" || !strings.Contains(rf.GetSchemaJson(), `"type":"object"`) ||
			strings.Contains(rf.GetSchemaJson(), "OBJECT") || strings.Contains(rf.GetSchemaJson(), "INTEGER") {
			t.Errorf("response format = %v", rf)
		}
	}
}

// conversationText flattens what a request says, for comparisons.
func conversationText(r *inferencev1.ChatRequest) string {
	var b strings.Builder
	for _, m := range r.GetMessages() {
		b.WriteString(m.GetRole().String())
		b.WriteByte(':')
		for _, p := range m.GetContent() {
			b.WriteString(p.GetText())
			b.WriteString(p.GetReasoning().GetText())
			for _, q := range p.GetToolResult().GetContent() {
				b.WriteString("result(" + p.GetToolResult().GetToolCallId() + "):" + q.GetText())
			}
		}
		for _, tc := range m.GetToolCalls() {
			b.WriteString("call(" + tc.GetId() + "):" + tc.GetName() + tc.GetArgumentsJson())
		}
		b.WriteByte('|')
	}
	return b.String()
}

func clip(s string) string {
	if len(s) > 300 {
		return s[:300] + "…"
	}
	return s
}

// TestFixtureToolRoundTrip: Gemini CLI's second turn (a call with its id
// and thought signature, and the function's response) keeps ids, names and
// signatures through the canonical model, for OpenAI and for Gemini.
func TestFixtureToolRoundTrip(t *testing.T) {
	f := fixtureBySource(t, "gemini-cli/tool-roundtrip-read_file/0004")
	r, err := DecodeRequest("gemini-3.8-flash", f.Body, true)
	if err != nil {
		t.Fatal(err)
	}
	var call *inferencev1.ToolCall
	var result *inferencev1.ToolResult
	for _, m := range r.GetMessages() {
		if len(m.GetToolCalls()) > 0 {
			call = m.GetToolCalls()[0]
		}
		for _, p := range m.GetContent() {
			if p.GetToolResult() != nil {
				result = p.GetToolResult()
			}
		}
	}
	const id = "read_file_1795557551974_0"
	if call.GetId() != id || call.GetName() != "read_file" || call.GetSignature() != DummyThoughtSignature ||
		call.GetArgumentsJson() != `{"file_path":"hello.txt"}` {
		t.Fatalf("call = %v", call)
	}
	if result.GetToolCallId() != id || result.GetName() != "read_file" || result.GetIsError() ||
		result.GetContent()[0].GetText() != "capture-fixture-content 42\n" {
		t.Fatalf("result = %v", result)
	}

	oa, err := openai.BuildChatRequest(r, "gpt-4o", openai.BuildOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var chat openai.ChatCompletionRequest
	if err := json.Unmarshal(oa, &chat); err != nil {
		t.Fatal(err)
	}
	var sawCall, sawResult bool
	for _, m := range chat.Messages {
		for _, tc := range m.ToolCalls {
			sawCall = sawCall || tc.ID == id && tc.Function.Name == "read_file"
		}
		sawResult = sawResult || m.Role == "tool" && m.ToolCallID == id && *m.Content.Text == "capture-fixture-content 42\n"
	}
	if !sawCall || !sawResult {
		t.Errorf("OpenAI body lost the call or its result: %s", clip(string(oa[len(oa)-600:])))
	}

	built, err := BuildRequest(r, "gemini-3.8-flash")
	if err != nil {
		t.Fatal(err)
	}
	var w GenerateContentRequest
	if err := json.Unmarshal(built, &w); err != nil {
		t.Fatal(err)
	}
	model, user := w.Contents[1], w.Contents[2]
	fc, fr := model.Parts[0], user.Parts[0]
	if model.Role != "model" || fc.FunctionCall.ID != id || fc.ThoughtSignature != DummyThoughtSignature ||
		string(fc.FunctionCall.Args) != `{"file_path":"hello.txt"}` {
		t.Errorf("model turn = %+v", model)
	}
	if user.Role != "user" || fr.FunctionResponse.ID != id || fr.FunctionResponse.Name != "read_file" ||
		string(fr.FunctionResponse.Response) != `{"output":"capture-fixture-content 42\n"}` {
		t.Errorf("user turn = %s", fr.FunctionResponse.Response)
	}
}

func fixtureBySource(t *testing.T, prefix string) fixture {
	t.Helper()
	for _, f := range loadFixtures(t) {
		if strings.HasPrefix(f.Source, prefix) {
			return f
		}
	}
	t.Fatalf("no fixture %s", prefix)
	return fixture{}
}

// sseData splits an SSE body into its data payloads.
func sseData(t *testing.T, body string) [][]byte {
	t.Helper()
	var out [][]byte
	body = strings.ReplaceAll(body, "\r\n", "\n") // Google ends events with CRLF
	for _, event := range strings.Split(body, "\n\n") {
		event = strings.TrimSpace(event)
		if event == "" {
			continue
		}
		data, ok := strings.CutPrefix(event, "data: ")
		if !ok || strings.Contains(event, "\nevent:") || strings.HasPrefix(event, "event:") {
			t.Fatalf("unexpected SSE event %q", event)
		}
		out = append(out, []byte(data))
	}
	return out
}

// TestFixtureReplies: every accepted reply parses (unary or stream) into
// the answer it holds, with its usage.
func TestFixtureReplies(t *testing.T) {
	for _, f := range loadFixtures(t) {
		_, method, _ := ParseModelPath(f.Path)
		switch method {
		case MethodGenerateContent:
			t.Run(f.Source, func(t *testing.T) {
				r, err := ParseResponse([]byte(f.ResponseBody))
				if err != nil {
					t.Fatal(err)
				}
				ch := r.GetChoices()[0]
				if ch.GetMessage().GetContent()[0].GetText() == "" || ch.GetFinishReason() != inferencev1.FinishReason_FINISH_REASON_STOP {
					t.Errorf("choice = %v", ch)
				}
				if u := r.GetUsage(); u.GetInputTokens() == 0 || u.GetOutputTokens() != 3 || u.GetTotalTokens() != u.GetInputTokens()+3 {
					t.Errorf("usage = %v", u)
				}
				// Re-encoded for a Gemini client, the answer says the same.
				again, err := ParseResponse(EncodeResponse(r, "alias"))
				if err != nil || conversationOfResponse(again) != conversationOfResponse(r) ||
					again.GetUsage().GetTotalTokens() != r.GetUsage().GetTotalTokens() {
					t.Errorf("re-encoded answer differs: %v", err)
				}
			})
		case MethodStreamGenerateContent:
			t.Run(f.Source, func(t *testing.T) {
				p := NewStreamParser()
				var text strings.Builder
				var calls []*inferencev1.ToolCallDelta
				var finish inferencev1.FinishReason
				var usage *inferencev1.Usage
				for _, data := range sseData(t, f.ResponseBody) {
					chunks, err := p.Parse("", data)
					if err != nil {
						t.Fatal(err)
					}
					c := chunks[0]
					if !bytes.Equal(c.GetRaw(), data) || c.GetRawDialect() != inferencev1.Dialect_DIALECT_GEMINI {
						t.Errorf("raw frame not kept")
					}
					for _, d := range c.GetDeltas() {
						text.WriteString(d.GetText())
						calls = append(calls, d.GetToolCalls()...)
						if d.GetFinishReason() != inferencev1.FinishReason_FINISH_REASON_UNSPECIFIED {
							finish = d.GetFinishReason()
						}
					}
					if c.GetUsage() != nil {
						usage = c.GetUsage()
					}
				}
				switch {
				case len(calls) > 0:
					if finish != inferencev1.FinishReason_FINISH_REASON_TOOL_CALLS || calls[0].GetName() != "read_file" ||
						calls[0].GetArgumentsJson() != `{"file_path":"hello.txt"}` || !strings.HasPrefix(calls[0].GetId(), "call_") {
						t.Errorf("finish %v, calls %v", finish, calls)
					}
				case text.Len() == 0 || finish != inferencev1.FinishReason_FINISH_REASON_STOP:
					t.Errorf("text %q, finish %v", text.String(), finish)
				}
				if !strings.HasPrefix(f.Source, "minimal-accepted") && (usage == nil || usage.GetOutputTokens() != 3) {
					t.Errorf("usage = %v", usage)
				}
			})
		}
	}
}

func conversationOfResponse(r *inferencev1.ChatResponse) string {
	var b strings.Builder
	for _, c := range r.GetChoices() {
		b.WriteString(c.GetFinishReason().String())
		for _, p := range c.GetMessage().GetContent() {
			b.WriteString(p.GetText())
		}
		for _, tc := range c.GetMessage().GetToolCalls() {
			b.WriteString(tc.GetName() + tc.GetArgumentsJson())
		}
	}
	return b.String()
}

// TestFixtureStreamShape: what the stream encoder writes for a canonical
// answer has every member the smallest accepted Gemini streams have, in
// unnamed data frames, with the finish reason on the last.
func TestFixtureStreamShape(t *testing.T) {
	for _, f := range loadFixtures(t) {
		if !strings.HasPrefix(f.Source, "minimal-accepted") || !strings.Contains(f.Path, MethodStreamGenerateContent) {
			continue
		}
		t.Run(f.Source, func(t *testing.T) {
			frames := sseData(t, f.ResponseBody)
			want := keyPaths(t, frames[len(frames)-1])

			enc := NewStreamEncoder("gemini-alias")
			var got []Frame
			for _, c := range []*inferencev1.ChatChunk{
				{Id: "resp-1", Deltas: []*inferencev1.ChoiceDelta{{Role: inferencev1.Role_ROLE_ASSISTANT, Text: "hello "}}},
				{Id: "resp-1", Deltas: []*inferencev1.ChoiceDelta{{Text: "from capture"}}},
				{Id: "resp-1", Deltas: []*inferencev1.ChoiceDelta{{FinishReason: inferencev1.FinishReason_FINISH_REASON_STOP}}},
				{Id: "resp-1", Usage: &inferencev1.Usage{InputTokens: 10, OutputTokens: 3, TotalTokens: 13}},
			} {
				got = append(got, enc.Encode(c)...)
			}
			got = append(got, enc.Finish()...)
			var text strings.Builder
			for i, fr := range got {
				if fr.Event != "" {
					t.Errorf("frame %d names event %q", i, fr.Event)
				}
				var w GenerateContentResponse
				if err := json.Unmarshal(fr.Data, &w); err != nil {
					t.Fatalf("frame %d: %v: %s", i, err, fr.Data)
				}
				for _, p := range w.Candidates[0].Content.Parts {
					text.WriteString(*p.Text)
				}
				if last := i == len(got)-1; last != (w.Candidates[0].FinishReason != "") {
					t.Errorf("frame %d finish reason %q", i, w.Candidates[0].FinishReason)
				}
			}
			if text.String() != "hello from capture" {
				t.Errorf("text = %q", text.String())
			}
			have := keyPaths(t, got[len(got)-1].Data)
			for _, k := range want {
				if !contains(have, k) {
					t.Errorf("last frame lacks %s; has %v", k, have)
				}
			}
			for _, k := range []string{"usageMetadata.promptTokenCount", "responseId", "modelVersion"} {
				if !contains(have, k) {
					t.Errorf("last frame lacks %s", k)
				}
			}
		})
	}
}

// keyPaths lists the member paths of a JSON document (arrays flattened).
func keyPaths(t *testing.T, data []byte) []string {
	t.Helper()
	var v any
	if err := json.Unmarshal(data, &v); err != nil {
		t.Fatal(err)
	}
	set := map[string]bool{}
	var walk func(prefix string, v any)
	walk = func(prefix string, v any) {
		switch x := v.(type) {
		case map[string]any:
			for k, child := range x {
				p := k
				if prefix != "" {
					p = prefix + "." + k
				}
				set[p] = true
				walk(p, child)
			}
		case []any:
			for _, child := range x {
				walk(prefix, child)
			}
		}
	}
	walk("", v)
	out := make([]string, 0, len(set))
	for k := range set {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// TestFixtureCountTokensAndEmbeddings: the SDK's countTokens and
// batchEmbedContents calls decode, and their answers encode and parse.
func TestFixtureCountTokensAndEmbeddings(t *testing.T) {
	ct := fixtureBySource(t, "genai-node-sdk/all-calls/0004")
	model, method, _ := ParseModelPath(ct.Path)
	if method != MethodCountTokens {
		t.Fatalf("method %q", method)
	}
	r, err := DecodeCountTokensRequest(model, ct.Body)
	if err != nil {
		t.Fatal(err)
	}
	if n := EstimateInputTokens(r); n < 2 || n > 20 {
		t.Errorf("estimate %d for %q", n, conversationText(r))
	}
	if got := string(EncodeCountTokensResponse(15)); got != ct.ResponseBody {
		t.Errorf("count tokens answer %s, want %s", got, ct.ResponseBody)
	}

	em := fixtureBySource(t, "genai-node-sdk/all-calls/0005")
	model, method, _ = ParseModelPath(em.Path)
	if method != MethodBatchEmbedContents {
		t.Fatalf("method %q", method)
	}
	er, err := DecodeBatchEmbedContentsRequest(model, em.Body)
	if err != nil {
		t.Fatal(err)
	}
	if er.GetModel() != "gemini-embedding-001" || strings.Join(er.GetInputs(), ",") != "hello,world" ||
		er.GetSource().GetDialect() != inferencev1.Dialect_DIALECT_GEMINI {
		t.Errorf("embeddings request = %v", er)
	}
	rewritten, err := RewriteForUpstream(em.Body, "text-embedding-005")
	if err != nil || strings.Count(string(rewritten), `"models/text-embedding-005"`) != 2 ||
		len(rewritten) != len(em.Body)+2*(len("text-embedding-005")-len("gemini-embedding-001")) {
		t.Errorf("rewritten embeddings body %s (%v)", rewritten, err)
	}
	resp, err := ParseEmbeddingsResponse([]byte(em.ResponseBody))
	if err != nil || len(resp.GetEmbeddings()) != 2 {
		t.Fatalf("parse: %v", err)
	}
	if got := string(EncodeBatchEmbedContentsResponse(resp)); got != em.ResponseBody {
		t.Errorf("embeddings answer\n got %s\nwant %s", got, em.ResponseBody)
	}
	if _, err := openai.BuildEmbeddingsRequest(er, "text-embedding-3-small"); err != nil {
		t.Error(err)
	}
}
