package fakeupstream

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"sort"
	"strings"
)

// StructuredPrefix is the root of an OpenAI-compatible API (base URL
// ROOT+StructuredPrefix+"/v1") that also honours structured output: a
// Chat Completions request with response_format json_schema (or
// json_object) gets JSON made to match the schema as its answer, unary or
// streamed; every other request is answered as on /v1. Gemini CLI's
// routing call, translated to Chat Completions, asks for such JSON and
// retries until it gets it.
const StructuredPrefix = "/structured"

// structuredChat serves POST /structured/v1/chat/completions.
func (s *Server) structuredChat(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		writeError(w, http.StatusBadRequest, "could not read the request body", "invalid_request_error", "", "")
		return
	}
	var req struct {
		chatRequest
		ResponseFormat *struct {
			Type       string `json:"type"`
			JSONSchema *struct {
				Schema json.RawMessage `json:"schema"`
			} `json:"json_schema"`
		} `json:"response_format"`
	}
	if json.Unmarshal(body, &req) != nil || req.ResponseFormat == nil ||
		(req.ResponseFormat.Type != "json_schema" && req.ResponseFormat.Type != "json_object") {
		r.Body = io.NopCloser(bytes.NewReader(body))
		s.chat(w, r) // not structured: the plain fake's answer (it records the request)
		return
	}
	rf := req.ResponseFormat
	s.record(r, body)
	var schema json.RawMessage
	if rf.JSONSchema != nil {
		schema = rf.JSONSchema.Schema
	}
	a := answer{text: SchemaExample(schema)}
	promptTokens := estimateTokens(req.promptChars())
	if req.Stream {
		streamChat(w, req.Model, a, req.StreamOptions != nil && req.StreamOptions.IncludeUsage, promptTokens)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(unaryChat(req.Model, a, promptTokens))
}

// SchemaExample is a JSON value matching schema, which may be JSON Schema
// or Gemini's Schema (upper-case type names): every property of an object
// (in name order), one item of an array, an enum's first value, a string's
// "fake", a number's minimum (else 1), true for booleans. An empty or
// unreadable schema gives {}.
func SchemaExample(schema json.RawMessage) string {
	var m map[string]any
	if len(schema) == 0 || json.Unmarshal(schema, &m) != nil {
		return "{}"
	}
	b, err := json.Marshal(exampleOf(m, 0))
	if err != nil {
		return "{}"
	}
	return string(b)
}

func exampleOf(schema map[string]any, depth int) any {
	if depth > 16 {
		return nil
	}
	if enum, ok := schema["enum"].([]any); ok && len(enum) > 0 {
		return enum[0]
	}
	for _, k := range [...]string{"anyOf", "oneOf", "allOf"} {
		if alts, ok := schema[k].([]any); ok && len(alts) > 0 {
			if first, ok := alts[0].(map[string]any); ok {
				return exampleOf(first, depth+1)
			}
		}
	}
	typ := ""
	switch t := schema["type"].(type) {
	case string:
		typ = strings.ToLower(t)
	case []any: // JSON Schema type lists: the first that is not null
		for _, x := range t {
			if s, ok := x.(string); ok && s != "null" {
				typ = strings.ToLower(s)
				break
			}
		}
	}
	if typ == "" && schema["properties"] != nil {
		typ = "object"
	}
	switch typ {
	case "object":
		out := map[string]any{}
		props, _ := schema["properties"].(map[string]any)
		names := make([]string, 0, len(props))
		for name := range props {
			names = append(names, name)
		}
		sort.Strings(names)
		for _, name := range names {
			if p, ok := props[name].(map[string]any); ok {
				out[name] = exampleOf(p, depth+1)
			}
		}
		return out
	case "array":
		item, _ := schema["items"].(map[string]any)
		return []any{exampleOf(item, depth+1)}
	case "string":
		return "fake"
	case "integer", "number":
		if min, ok := schema["minimum"].(float64); ok {
			return min
		}
		return 1
	case "boolean":
		return true
	}
	return nil
}
