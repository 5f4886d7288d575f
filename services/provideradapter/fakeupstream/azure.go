package fakeupstream

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
)

// Azure OpenAI, base URL ROOT (the resource endpoint), answered as Azure
// answers: the deployments API (POST /openai/deployments/{deployment}/
// chat/completions and …/embeddings, ?api-version= required) and the v1
// API (POST /openai/v1/chat/completions, …/embeddings, …/responses; the
// deployment named as the body's model), plus /openai/responses?api-version=.
// The key must come as api-key or as a bearer token (Microsoft Entra ID);
// failures use Azure's {"error":{"code","message"}} envelope. On the
// deployments API the deployment, not the body's model, picks the fake's
// behaviour, and a chat stream starts, like Azure's, with a chunk that has
// no choices and carries prompt_filter_results.

// AzurePromptFilterChunk is the first event of every Azure chat stream.
const AzurePromptFilterChunk = `{"choices":[],"created":0,"id":"","model":"","object":"","prompt_filter_results":[{"prompt_index":0,"content_filter_results":{"hate":{"filtered":false,"severity":"safe"},"self_harm":{"filtered":false,"severity":"safe"},"sexual":{"filtered":false,"severity":"safe"},"violence":{"filtered":false,"severity":"safe"}}}]}`

// isAzurePath reports an Azure OpenAI data-plane path.
func isAzurePath(p string) bool { return strings.HasPrefix(p, "/openai/") }

func (s *Server) azure(w http.ResponseWriter, r *http.Request) {
	auth := r.Header.Get("Api-Key")
	if auth == "" {
		auth, _ = strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	}
	if auth == "" {
		s.record(r, nil)
		writeAzureError(w, http.StatusUnauthorized, "401", "Access denied due to invalid subscription key or wrong API endpoint. Make sure to provide a valid key for an active subscription and use a correct regional API endpoint for your resource.")
		return
	}
	p := r.URL.Path
	if op, ok := strings.CutPrefix(p, "/openai/v1/"); ok {
		switch op {
		case "chat/completions":
			s.azureChat(w, r, "")
			return
		case "embeddings":
			s.embeddings(w, r)
			return
		case "responses":
			s.responses(w, r)
			return
		}
	}
	if r.URL.Query().Get("api-version") == "" {
		s.record(r, nil)
		writeAzureError(w, http.StatusNotFound, "404", "Resource not found")
		return
	}
	if p == "/openai/responses" {
		s.responses(w, r)
		return
	}
	if rest, ok := strings.CutPrefix(p, "/openai/deployments/"); ok {
		deployment, op, _ := strings.Cut(rest, "/")
		if d, err := url.PathUnescape(deployment); err == nil && d != "" {
			switch op {
			case "chat/completions":
				s.azureChat(w, r, d)
				return
			case "embeddings":
				s.embeddings(w, r)
				return
			}
		}
	}
	s.record(r, nil)
	writeAzureError(w, http.StatusNotFound, "404", "Resource not found")
}

// azureChat answers Chat Completions; deployment, when set, stands for the
// body's model.
func (s *Server) azureChat(w http.ResponseWriter, r *http.Request, deployment string) {
	body, ok := s.readBody(w, r)
	if !ok {
		return
	}
	var req chatRequest
	if err := json.Unmarshal(body, &req); err != nil {
		writeAzureError(w, http.StatusBadRequest, "BadRequest", "We could not parse the JSON body of your request.")
		return
	}
	model := deployment
	if model == "" {
		model = req.Model
	}
	switch {
	case model == "":
		writeAzureError(w, http.StatusBadRequest, "BadRequest", "model is required")
		return
	case len(req.Messages) == 0:
		writeError(w, http.StatusBadRequest, "Invalid 'messages': empty array.", "invalid_request_error", "messages", "empty_array")
		return
	}
	if s.failByModel(w, r, model) {
		return
	}
	promptTokens := estimateTokens(req.promptChars())
	a := req.conversation().decide()
	if req.Stream {
		includeUsage := req.StreamOptions != nil && req.StreamOptions.IncludeUsage
		streamChat(&promptFilterWriter{ResponseWriter: w}, model, a, includeUsage, promptTokens)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(unaryChat(model, a, promptTokens))
}

// promptFilterWriter puts Azure's prompt filter chunk first in a stream.
type promptFilterWriter struct {
	http.ResponseWriter
}

func (p *promptFilterWriter) WriteHeader(status int) {
	p.ResponseWriter.WriteHeader(status)
	_, _ = p.ResponseWriter.Write([]byte("data: " + AzurePromptFilterChunk + "\n\n"))
}

func (p *promptFilterWriter) Flush() {
	if f, ok := p.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

func writeAzureError(w http.ResponseWriter, status int, code, message string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write([]byte(`{"error":{"code":` + quote(code) + `,"message":` + quote(message) + "}}\n"))
}
