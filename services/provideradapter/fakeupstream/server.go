// Package fakeupstream is a fake OpenAI and Anthropic API server: the
// upstream of the end-to-end tests and the benchmark. It serves Chat
// Completions, Embeddings and the Responses API under /v1 (OpenAI base URL
// ROOT/v1) and Anthropic Messages at /v1/messages (Anthropic base URL ROOT);
// Gemini, Azure OpenAI, Amazon Bedrock Converse and Cohere chat v2 are in
// gemini.go, azure.go, bedrock.go and cohere.go (base URL ROOT for each).
// It speaks each documented wire format on its own terms (it shares no code
// with Tollgate's translators, so tests against it check them against the
// format, not against themselves),
// answers instantly and deterministically from pre-encoded parts, and records
// the requests it received so tests can check what the gateway sent.
//
// The requested model name selects a behaviour:
//
//	fail-500  500 with an OpenAI error body
//	fail-429  429 with Retry-After: 2
//	fail-401  401 invalid_api_key
//	fail-400  400 naming the param "messages"
//	slow      waits SlowDelay (30s) or until the client disconnects, then answers
//	overloaded  529 overloaded_error (Anthropic), 503 (Bedrock, Cohere)
//	anything else: an immediate answer (Reply), or a tool call when tools are
//	offered and the last user message mentions "weather" or asks to "read
//	the file PATH" (see script.go: the client's own file-reading tool is
//	called, and its result is quoted in the next answer)
package fakeupstream

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"time"
)

// Models with special behaviour.
const (
	ModelFail500 = "fail-500"
	ModelFail429 = "fail-429"
	ModelFail401 = "fail-401"
	ModelFail400 = "fail-400"
	ModelSlow    = "slow"
)

// Reply is the text of every chat answer; streams send it in ReplyPieces.
const Reply = "Hello from the fake upstream."

// ReplyPieces are the content deltas of a streamed answer, in order.
var ReplyPieces = []string{"Hello", " from", " the", " fake", " upstream."}

// ToolArguments are the arguments of the fake's weather tool call.
const ToolArguments = `{"location":"Paris"}`

// Created is the "created" time of every answer, for deterministic output.
const Created = 1700000000

// Defaults.
const (
	DefaultHistory   = 256
	DefaultSlowDelay = 30 * time.Second
)

// Request is one recorded request.
type Request struct {
	Method string
	Path   string
	Header http.Header
	Body   []byte
	Time   time.Time
}

// Server is the fake upstream; it is an http.Handler.
type Server struct {
	slowDelay time.Duration
	models    []string

	mu      sync.Mutex
	history []Request // ring buffer of the last len(history) requests
	next    int
	count   int
}

// Option configures a Server.
type Option func(*Server)

// WithHistory keeps the last n requests (default 256).
func WithHistory(n int) Option {
	return func(s *Server) {
		if n > 0 {
			s.history = make([]Request, n)
		}
	}
}

// WithSlowDelay changes how long the "slow" model waits (default 30s).
func WithSlowDelay(d time.Duration) Option { return func(s *Server) { s.slowDelay = d } }

// New makes a fake upstream.
func New(opts ...Option) *Server {
	s := &Server{
		slowDelay: DefaultSlowDelay,
		history:   make([]Request, DefaultHistory),
		models:    []string{"fake-gpt", "fake-embedding", ModelFail500, ModelFail429, ModelFail401, ModelFail400, ModelSlow},
	}
	for _, o := range opts {
		o(s)
	}
	return s
}

// ServeHTTP routes a request.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	path := strings.TrimPrefix(r.URL.Path, "/v1")
	switch {
	case r.Method == http.MethodPost && path == "/chat/completions":
		s.chat(w, r)
	case r.Method == http.MethodPost && path == "/embeddings":
		s.embeddings(w, r)
	case r.Method == http.MethodPost && path == "/messages":
		s.messages(w, r)
	case r.Method == http.MethodPost && path == "/messages/count_tokens":
		s.countTokens(w, r)
	case r.Method == http.MethodPost && path == "/responses":
		s.responses(w, r)
	case r.Method == http.MethodPost && isGeminiPath(r.URL.Path):
		s.gemini(w, r)
	case r.Method == http.MethodPost && isAzurePath(r.URL.Path):
		s.azure(w, r)
	case r.Method == http.MethodPost && strings.HasPrefix(r.URL.Path, "/model/"):
		s.bedrock(w, r)
	case r.Method == http.MethodPost && r.URL.Path == "/v2/chat":
		s.cohereChat(w, r)
	case r.Method == http.MethodPost && r.URL.Path == StructuredPrefix+"/v1/chat/completions":
		s.structuredChat(w, r)
	case r.Method == http.MethodGet && path == "/models":
		s.record(r, nil)
		s.listModels(w)
	case r.Method == http.MethodGet && r.URL.Path == "/_fake/requests":
		s.serveRequests(w)
	case r.Method == http.MethodDelete && r.URL.Path == "/_fake/requests":
		s.Reset()
		w.WriteHeader(http.StatusNoContent)
	default:
		writeError(w, http.StatusNotFound, "Unknown request URL: "+r.Method+" "+r.URL.Path, "invalid_request_error", "", "unknown_url")
	}
}

// readBody reads and records the request body.
func (s *Server) readBody(w http.ResponseWriter, r *http.Request) ([]byte, bool) {
	size := int64(4096)
	if r.ContentLength > 0 {
		size = r.ContentLength + 1
	}
	buf := bytes.NewBuffer(make([]byte, 0, size))
	if _, err := buf.ReadFrom(r.Body); err != nil {
		writeError(w, http.StatusBadRequest, "could not read the request body", "invalid_request_error", "", "")
		return nil, false
	}
	body := buf.Bytes()
	s.record(r, body)
	return body, true
}

func (s *Server) record(r *http.Request, body []byte) {
	req := Request{Method: r.Method, Path: r.URL.Path, Header: r.Header.Clone(), Body: body, Time: time.Now()}
	s.mu.Lock()
	s.history[s.next] = req
	s.next = (s.next + 1) % len(s.history)
	s.count++
	s.mu.Unlock()
}

// Requests returns the recorded requests, oldest first.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := min(s.count, len(s.history))
	out := make([]Request, 0, n)
	start := (s.next - n + len(s.history)) % len(s.history)
	for i := range n {
		out = append(out, s.history[(start+i)%len(s.history)])
	}
	return out
}

// Reset forgets the recorded requests.
func (s *Server) Reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	clear(s.history)
	s.next, s.count = 0, 0
}

// recordedRequest is the JSON view of a Request for GET /_fake/requests.
type recordedRequest struct {
	Method string              `json:"method"`
	Path   string              `json:"path"`
	Header map[string][]string `json:"header"`
	Body   string              `json:"body"`
	Time   time.Time           `json:"time"`
}

func (s *Server) serveRequests(w http.ResponseWriter) {
	reqs := s.Requests()
	out := make([]recordedRequest, len(reqs))
	for i, r := range reqs {
		out[i] = recordedRequest{Method: r.Method, Path: r.Path, Header: r.Header, Body: string(r.Body), Time: r.Time}
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(out)
}

func (s *Server) listModels(w http.ResponseWriter) {
	type model struct {
		ID      string `json:"id"`
		Object  string `json:"object"`
		Created int64  `json:"created"`
		OwnedBy string `json:"owned_by"`
	}
	list := struct {
		Object string  `json:"object"`
		Data   []model `json:"data"`
	}{Object: "list"}
	for _, id := range s.models {
		list.Data = append(list.Data, model{ID: id, Object: "model", Created: Created, OwnedBy: "fake-upstream"})
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(list)
}

// failByModel answers the failure models; it reports whether it did.
func (s *Server) failByModel(w http.ResponseWriter, r *http.Request, model string) bool {
	switch model {
	case ModelFail500:
		writeError(w, http.StatusInternalServerError, "The server had an error while processing your request. Sorry about that!", "server_error", "", "")
	case ModelFail429:
		w.Header().Set("Retry-After", "2")
		writeError(w, http.StatusTooManyRequests, "Rate limit reached for requests. Please try again in 2s.", "requests", "", "rate_limit_exceeded")
	case ModelFail401:
		writeError(w, http.StatusUnauthorized, "Incorrect API key provided: "+maskedKey(r.Header.Get("Authorization"))+".", "invalid_request_error", "", "invalid_api_key")
	case ModelFail400:
		writeError(w, http.StatusBadRequest, "Invalid 'messages': the fake was told to reject them.", "invalid_request_error", "messages", "invalid_value")
	case ModelSlow:
		t := time.NewTimer(s.slowDelay)
		defer t.Stop()
		select {
		case <-t.C:
			return false
		case <-r.Context().Done():
			return true
		}
	default:
		return false
	}
	return true
}

// maskedKey shows a key the way OpenAI does in its 401 message: the ends only.
func maskedKey(auth string) string {
	k := strings.TrimPrefix(auth, "Bearer ")
	if len(k) <= 8 {
		return "***"
	}
	return k[:3] + "***" + k[len(k)-4:]
}

func writeError(w http.ResponseWriter, status int, message, typ, param, code string) {
	var b bytes.Buffer
	b.WriteString(`{"error":{"message":`)
	writeJSONString(&b, message)
	b.WriteString(`,"type":`)
	writeJSONString(&b, typ)
	b.WriteString(`,"param":`)
	writeNullable(&b, param)
	b.WriteString(`,"code":`)
	writeNullable(&b, code)
	b.WriteString("}}\n")
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(b.Bytes())
}

func writeJSONString(b *bytes.Buffer, s string) {
	q, _ := json.Marshal(s)
	b.Write(q)
}

func writeNullable(b *bytes.Buffer, s string) {
	if s == "" {
		b.WriteString("null")
		return
	}
	writeJSONString(b, s)
}

// estimateTokens is a token per four characters, rounded up.
func estimateTokens(chars int) int { return (chars + 3) / 4 }
