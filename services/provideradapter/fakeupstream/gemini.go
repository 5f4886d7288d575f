package fakeupstream

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// Gemini API (POST ROOT/v1beta/models/{model}:{method}, base URL ROOT, or
// any prefix before /v1beta) and
// Vertex AI (POST …/projects/P/locations/L/publishers/google/models/
// {model}:{method}), answered in Google's documented shapes:
// generateContent, streamGenerateContent (server-sent events with
// ?alt=sse, CRLF-framed like Google's servers; a JSON array of responses
// otherwise), countTokens, embedContent and batchEmbedContents. The key
// must come as x-goog-api-key, ?key= or a bearer token (Vertex AI).
// Failures use Google's {"error":{"code","message","status"}} envelope.
//
// Tool turns follow the shared script (script.go). Besides, like Gemini 3:
//   - a function call the fake makes carries GeminiThoughtSignature, and a
//     request whose history has a model turn with function calls but no
//     thoughtSignature on its first call is rejected with 400 (Google's
//     dummy signature, GeminiDummySignature, is accepted), and a read
//     result is quoted only when the call it answers still carries the
//     fake's signature or the dummy;
//   - with thinkingConfig.includeThoughts the answer starts with a thought
//     part (GeminiThought);
//   - with responseMimeType application/json and a response schema
//     (responseSchema or responseJsonSchema) the answer is JSON made to
//     match the schema (Gemini CLI's routing call needs one).

// ModelGeminiStreamBreak streams one text frame, then Google's error body
// as a frame (503 UNAVAILABLE), as a stream that fails midway does.
const ModelGeminiStreamBreak = "fail-midstream"

// GeminiThoughtSignature is the thoughtSignature of the fake's function
// calls; GeminiDummySignature is the one Google documents for calls that
// have none.
const (
	GeminiThoughtSignature = "ZmFrZS1nZW1pbmktc2lnbmF0dXJl"
	GeminiDummySignature   = "skip_thought_signature_validator"
)

// GeminiThought is the text of the thought part sent when thoughts were asked for.
const GeminiThought = "Thinking about the request."

// GeminiResponseID is the responseId of every Gemini answer.
const GeminiResponseID = "fake-gemini-response"

// isGeminiPath reports a Gemini API or Vertex AI model method path, under
// any prefix (a base URL may have a path).
func isGeminiPath(p string) bool {
	return strings.Contains(p, "/v1beta/models/") || strings.Contains(p, "/v1/models/") ||
		strings.Contains(p, "/publishers/google/models/")
}

// geminiModelMethod splits …/models/{model}:{method}.
func geminiModelMethod(p string) (model, method string) {
	rest := p[strings.LastIndex(p, "/models/")+len("/models/"):]
	i := strings.LastIndexByte(rest, ':')
	if i < 0 {
		return rest, ""
	}
	model, err := url.PathUnescape(rest[:i])
	if err != nil {
		model = rest[:i]
	}
	return model, rest[i+1:]
}

// geminiRequest is the part of a generateContent body the fake reads.
type geminiRequest struct {
	Contents          []geminiContent `json:"contents"`
	SystemInstruction *geminiContent  `json:"systemInstruction"`
	Tools             []struct {
		FunctionDeclarations []struct {
			Name string `json:"name"`
		} `json:"functionDeclarations"`
	} `json:"tools"`
	GenerationConfig *struct {
		ResponseMimeType   string          `json:"responseMimeType"`
		ResponseSchema     json.RawMessage `json:"responseSchema"`
		ResponseJSONSchema json.RawMessage `json:"responseJsonSchema"`
		ThinkingConfig     *struct {
			IncludeThoughts bool `json:"includeThoughts"`
		} `json:"thinkingConfig"`
	} `json:"generationConfig"`
	// GenerateContentRequest is countTokens' wrapped form.
	GenerateContentRequest *geminiRequest `json:"generateContentRequest"`
}

type geminiContent struct {
	Role  string       `json:"role"`
	Parts []geminiPart `json:"parts"`
}

type geminiPart struct {
	Text             *string `json:"text"`
	Thought          bool    `json:"thought"`
	ThoughtSignature string  `json:"thoughtSignature"`
	FunctionCall     *struct {
		ID   string          `json:"id"`
		Name string          `json:"name"`
		Args json.RawMessage `json:"args"`
	} `json:"functionCall"`
	FunctionResponse *struct {
		ID       string          `json:"id"`
		Name     string          `json:"name"`
		Response json.RawMessage `json:"response"`
	} `json:"functionResponse"`
}

func (c *geminiContent) text() string {
	var b strings.Builder
	for _, p := range c.Parts {
		if p.Text != nil && !p.Thought {
			b.WriteString(*p.Text)
		}
	}
	return b.String()
}

func (r *geminiRequest) promptChars() int {
	n := 0
	if r.SystemInstruction != nil {
		n += len(r.SystemInstruction.text())
	}
	for i := range r.Contents {
		n += len(r.Contents[i].text())
		for _, p := range r.Contents[i].Parts {
			if p.FunctionResponse != nil {
				n += len(p.FunctionResponse.Response)
			}
			if p.FunctionCall != nil {
				n += len(p.FunctionCall.Args)
			}
		}
	}
	return n
}

// validate checks what Google checks and reports the first problem.
func (r *geminiRequest) validate() string {
	if len(r.Contents) == 0 {
		return "* GenerateContentRequest.contents: contents is not specified"
	}
	for i := range r.Contents {
		c := &r.Contents[i]
		if c.Role != "" && c.Role != "user" && c.Role != "model" {
			return "Please use a valid role: user, model."
		}
		if len(c.Parts) == 0 {
			return "* GenerateContentRequest.contents[" + strconv.Itoa(i) + "].parts: contents.parts must not be empty."
		}
		if c.Role != "model" {
			continue
		}
		for j, p := range c.Parts {
			if p.FunctionCall == nil {
				continue
			}
			if p.ThoughtSignature == "" {
				return "Function call is missing a thought_signature in functionCall parts. This is required for tools to work correctly, and missing thought_signature may lead to degraded model performance. Additional data, function call `default_api:" +
					p.FunctionCall.Name + "` , position " + strconv.Itoa(j+1) + ". Please refer to https://ai.google.dev/gemini-api/docs/thought-signatures for more details."
			}
			break // only the first call of a step must be signed
		}
	}
	return ""
}

// conversation reads the request for the shared script.
func (r *geminiRequest) conversation() *conversation {
	c := &conversation{}
	for _, t := range r.Tools {
		for _, d := range t.FunctionDeclarations {
			c.tools = append(c.tools, d.Name)
		}
	}
	if len(r.Contents) == 0 {
		return c
	}
	last := &r.Contents[len(r.Contents)-1]
	for _, p := range last.Parts {
		if fr := p.FunctionResponse; fr != nil {
			c.hasToolResult, c.toolResult = true, responseText(fr.Response)
			if r.signedCall(fr.ID) {
				c.toolResultID = fr.ID
			}
			return c
		}
	}
	if last.Role == "user" || last.Role == "" {
		c.lastUserText = last.text()
	}
	return c
}

// signedCall reports whether the history's function call with id still
// carries the fake's signature (or Google's dummy, or it was not the first
// call of its turn, which needs none).
func (r *geminiRequest) signedCall(id string) bool {
	for i := range r.Contents {
		first := true
		for _, p := range r.Contents[i].Parts {
			if p.FunctionCall == nil {
				continue
			}
			if p.FunctionCall.ID == id {
				sig := p.ThoughtSignature
				return !first || sig == GeminiThoughtSignature || sig == GeminiDummySignature
			}
			first = false
		}
	}
	return false
}

// responseText is a function response's text: its "output" (or "error")
// when that is a string, the whole response JSON otherwise.
func responseText(raw json.RawMessage) string {
	var m map[string]json.RawMessage
	if json.Unmarshal(raw, &m) == nil {
		for _, k := range [...]string{"output", "error", "content"} {
			var s string
			if json.Unmarshal(m[k], &s) == nil && s != "" {
				return s
			}
		}
	}
	return string(raw)
}

func (s *Server) gemini(w http.ResponseWriter, r *http.Request) {
	body, ok := s.readBody(w, r)
	if !ok {
		return
	}
	model, method := geminiModelMethod(r.URL.Path)
	if r.Header.Get("X-Goog-Api-Key") == "" && r.URL.Query().Get("key") == "" && !strings.HasPrefix(r.Header.Get("Authorization"), "Bearer ") {
		writeGeminiError(w, http.StatusForbidden, "PERMISSION_DENIED", "Method doesn't allow unregistered callers (callers without established identity). Please use API Key or other form of API consumer identity to call this API.", "")
		return
	}
	if s.geminiFailure(w, r, model) {
		return
	}
	switch method {
	case "generateContent", "streamGenerateContent", "countTokens":
		var req geminiRequest
		if err := json.Unmarshal(body, &req); err != nil {
			writeGeminiError(w, http.StatusBadRequest, "INVALID_ARGUMENT", "Invalid JSON payload received. "+err.Error(), "")
			return
		}
		if method == "countTokens" {
			if req.GenerateContentRequest != nil {
				req = *req.GenerateContentRequest
			}
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write([]byte(`{"totalTokens":` + strconv.Itoa(estimateTokens(req.promptChars())) + "}\n"))
			return
		}
		if msg := req.validate(); msg != "" {
			writeGeminiError(w, http.StatusBadRequest, "INVALID_ARGUMENT", msg, "")
			return
		}
		frames := geminiAnswer(&req, model)
		if method == "generateContent" {
			w.Header().Set("Content-Type", "application/json; charset=UTF-8")
			_, _ = w.Write(frames.unary())
			return
		}
		streamGemini(w, frames, r.URL.Query().Get("alt") == "sse")
	case "embedContent", "batchEmbedContents":
		s.geminiEmbed(w, body, model, method == "batchEmbedContents")
	default:
		writeGeminiError(w, http.StatusNotFound, "NOT_FOUND", "models/"+model+" is not found for API version v1beta, or is not supported for "+method+".", "")
	}
}

// geminiFailure answers the failure models; it reports whether it did.
func (s *Server) geminiFailure(w http.ResponseWriter, r *http.Request, model string) bool {
	switch model {
	case ModelFail500:
		writeGeminiError(w, http.StatusInternalServerError, "INTERNAL", "An internal error has occurred. Please retry or report in https://developers.generativeai.google/guide/troubleshooting", "")
	case ModelFail429:
		writeGeminiError(w, http.StatusTooManyRequests, "RESOURCE_EXHAUSTED", "You exceeded your current quota, please check your plan and billing details.",
			`{"@type":"type.googleapis.com/google.rpc.RetryInfo","retryDelay":"2s"}`)
	case ModelFail401:
		writeGeminiError(w, http.StatusBadRequest, "INVALID_ARGUMENT", "API key not valid. Please pass a valid API key.",
			`{"@type":"type.googleapis.com/google.rpc.ErrorInfo","reason":"API_KEY_INVALID","domain":"googleapis.com"}`)
	case ModelFail400:
		writeGeminiError(w, http.StatusBadRequest, "INVALID_ARGUMENT", "* GenerateContentRequest.contents: the fake was told to reject them",
			`{"@type":"type.googleapis.com/google.rpc.BadRequest","fieldViolations":[{"field":"contents","description":"the fake was told to reject them"}]}`)
	case ModelSlow:
		return s.waitSlow(r)
	default:
		return false
	}
	return true
}

// writeGeminiError writes Google's error envelope; detail, when given, is
// one JSON object for "details".
func writeGeminiError(w http.ResponseWriter, code int, status, message, detail string) {
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	w.WriteHeader(code)
	_, _ = w.Write(geminiErrorBody(code, status, message, detail))
}

func geminiErrorBody(code int, status, message, detail string) []byte {
	var b bytes.Buffer
	b.WriteString(`{"error":{"code":`)
	b.WriteString(strconv.Itoa(code))
	b.WriteString(`,"message":`)
	writeJSONString(&b, message)
	b.WriteString(`,"status":`)
	writeJSONString(&b, status)
	if detail != "" {
		b.WriteString(`,"details":[` + detail + `]`)
	}
	b.WriteString("}}\n")
	return b.Bytes()
}

// geminiFrames is one answer as the partial responses of a stream; unary
// merges them.
type geminiFrames struct {
	model                  string
	parts                  [][]string // JSON parts of each frame
	promptTokens, outputTk int
	thoughtTokens          int
	broken                 bool // end with an error frame instead of a finish
}

// geminiAnswer scripts the answer to req.
func geminiAnswer(req *geminiRequest, model string) *geminiFrames {
	f := &geminiFrames{model: model, promptTokens: estimateTokens(req.promptChars()), broken: model == ModelGeminiStreamBreak}
	gc := req.GenerationConfig
	if gc != nil && gc.ThinkingConfig != nil && gc.ThinkingConfig.IncludeThoughts {
		f.parts = append(f.parts, []string{`{"text":` + quote(GeminiThought) + `,"thought":true}`})
		f.thoughtTokens = estimateTokens(len(GeminiThought))
	}
	if gc != nil && strings.HasPrefix(gc.ResponseMimeType, "application/json") {
		schema := gc.ResponseJSONSchema
		if len(schema) == 0 {
			schema = gc.ResponseSchema
		}
		text := SchemaExample(schema)
		f.parts = append(f.parts, []string{`{"text":` + quote(text) + `}`})
		f.outputTk = estimateTokens(len(text))
		return f
	}
	a := req.conversation().decide()
	if a.isTool() {
		id := "fake_call_weather"
		if a.readCall {
			id = ReadCallMarker + "_1"
		}
		f.parts = append(f.parts, []string{`{"functionCall":{"id":` + quote(id) + `,"name":` + quote(a.toolName) + `,"args":` + a.args + `},"thoughtSignature":"` + GeminiThoughtSignature + `"}`})
		f.outputTk = estimateTokens(len(a.toolName) + len(a.args))
		return f
	}
	for _, p := range pieces(a.text) {
		f.parts = append(f.parts, []string{`{"text":` + quote(p) + `}`})
	}
	f.outputTk = estimateTokens(len(a.text))
	return f
}

// usage writes usageMetadata: the prompt alone on partial frames, the
// totals on the last, as Google does.
func (f *geminiFrames) usage(b []byte, final bool) []byte {
	b = append(b, `,"usageMetadata":{"promptTokenCount":`...)
	b = strconv.AppendInt(b, int64(f.promptTokens), 10)
	total := f.promptTokens
	if final {
		b = append(b, `,"candidatesTokenCount":`...)
		b = strconv.AppendInt(b, int64(f.outputTk), 10)
		if f.thoughtTokens > 0 {
			b = append(b, `,"thoughtsTokenCount":`...)
			b = strconv.AppendInt(b, int64(f.thoughtTokens), 10)
		}
		total += f.outputTk + f.thoughtTokens
	}
	b = append(b, `,"totalTokenCount":`...)
	b = strconv.AppendInt(b, int64(total), 10)
	return append(b, '}')
}

// response writes one GenerateContentResponse holding parts.
func (f *geminiFrames) response(parts []string, final bool) []byte {
	b := make([]byte, 0, 256)
	b = append(b, `{"candidates":[{"content":{"parts":[`...)
	b = append(b, strings.Join(parts, ",")...)
	b = append(b, `],"role":"model"}`...)
	if final {
		b = append(b, `,"finishReason":"STOP"`...)
	}
	b = append(b, `,"index":0}]`...)
	b = f.usage(b, final)
	b = append(b, `,"modelVersion":`...)
	b = append(b, quote(f.model)...)
	b = append(b, `,"responseId":"`+GeminiResponseID+`"}`...)
	return b
}

// unary is the whole answer as one response.
func (f *geminiFrames) unary() []byte {
	var all []string
	for _, p := range f.parts {
		all = append(all, p...)
	}
	return append(f.response(all, true), '\n')
}

// stream is the answer as partial responses, the last finishing.
func (f *geminiFrames) stream() [][]byte {
	out := make([][]byte, 0, len(f.parts)+1)
	for i, p := range f.parts {
		if f.broken && i > 0 {
			break
		}
		out = append(out, f.response(p, !f.broken && i == len(f.parts)-1))
	}
	if f.broken {
		out = append(out, bytes.TrimSpace(geminiErrorBody(http.StatusServiceUnavailable, "UNAVAILABLE", "The model is overloaded. Please try again later.", "")))
	}
	return out
}

// streamGemini writes frames as server-sent events (sse) or as one JSON
// array, flushing each.
func streamGemini(w http.ResponseWriter, f *geminiFrames, sse bool) {
	if sse {
		w.Header().Set("Content-Type", "text/event-stream")
	} else {
		w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	}
	w.WriteHeader(http.StatusOK)
	flusher, _ := w.(http.Flusher)
	buf := make([]byte, 0, 512)
	for i, frame := range f.stream() {
		buf = buf[:0]
		switch {
		case sse:
			buf = append(buf, "data: "...)
			buf = append(buf, frame...)
			buf = append(buf, "\r\n\r\n"...)
		case i == 0:
			buf = append(buf, '[')
			buf = append(buf, frame...)
		default:
			buf = append(buf, "\n,\r\n"...)
			buf = append(buf, frame...)
		}
		_, _ = w.Write(buf)
		if flusher != nil {
			flusher.Flush()
		}
	}
	if !sse {
		_, _ = w.Write([]byte("\n]"))
	}
}

// geminiEmbedRequest is one EmbedContentRequest.
type geminiEmbedRequest struct {
	Model   string `json:"model"`
	Content *struct {
		Parts []geminiPart `json:"parts"`
	} `json:"content"`
	OutputDimensionality int `json:"outputDimensionality"`
}

func (s *Server) geminiEmbed(w http.ResponseWriter, body []byte, model string, batch bool) {
	var reqs []geminiEmbedRequest
	if batch {
		var wrapper struct {
			Requests []geminiEmbedRequest `json:"requests"`
		}
		if err := json.Unmarshal(body, &wrapper); err != nil || len(wrapper.Requests) == 0 {
			writeGeminiError(w, http.StatusBadRequest, "INVALID_ARGUMENT", "* BatchEmbedContentsRequest.requests: at least one request is required", "")
			return
		}
		for i, r := range wrapper.Requests {
			if r.Model != "models/"+model {
				writeGeminiError(w, http.StatusBadRequest, "INVALID_ARGUMENT",
					"Model name in requests["+strconv.Itoa(i)+"] "+strconv.Quote(r.Model)+" must match the model in the URL, models/"+model+".", "")
				return
			}
		}
		reqs = wrapper.Requests
	} else {
		var one geminiEmbedRequest
		if err := json.Unmarshal(body, &one); err != nil {
			writeGeminiError(w, http.StatusBadRequest, "INVALID_ARGUMENT", "Invalid JSON payload received. "+err.Error(), "")
			return
		}
		reqs = []geminiEmbedRequest{one}
	}
	b := make([]byte, 0, 256)
	if batch {
		b = append(b, `{"embeddings":[`...)
	} else {
		b = append(b, `{"embedding":`...)
	}
	for i, r := range reqs {
		if r.Content == nil || len(r.Content.Parts) == 0 {
			writeGeminiError(w, http.StatusBadRequest, "INVALID_ARGUMENT", "* EmbedContentRequest.content: content is not specified", "")
			return
		}
		var text strings.Builder
		for _, p := range r.Content.Parts {
			if p.Text != nil {
				if text.Len() > 0 {
					text.WriteByte('\n')
				}
				text.WriteString(*p.Text)
			}
		}
		dims := DefaultDimensions
		if r.OutputDimensionality > 0 {
			dims = r.OutputDimensionality
		}
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"values":[`...)
		for j, v := range Vector(text.String(), dims) {
			if j > 0 {
				b = append(b, ',')
			}
			b = strconv.AppendFloat(b, float64(v), 'g', -1, 32)
		}
		b = append(b, `]}`...)
	}
	if batch {
		b = append(b, ']')
	}
	b = append(b, "}\n"...)
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	_, _ = w.Write(b)
}
