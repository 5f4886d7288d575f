package gemini

import (
	"net/url"
	"strings"
)

// Gemini names the model and the method in the URL path:
//
//	Gemini API: https://generativelanguage.googleapis.com/v1beta/models/{model}:{method}
//	Vertex AI:  https://{location}-aiplatform.googleapis.com/v1/projects/{project}/locations/{location}/publishers/google/models/{model}:{method}
//
// with :streamGenerateContent?alt=sse for a server-sent-event stream. The
// Gemini API authenticates with an x-goog-api-key header, Vertex AI with an
// OAuth bearer token; the bodies are the same.

// DefaultBaseURL is the Gemini API's base URL.
const DefaultBaseURL = "https://generativelanguage.googleapis.com"

// Methods of a model resource.
const (
	MethodGenerateContent       = "generateContent"
	MethodStreamGenerateContent = "streamGenerateContent"
	MethodCountTokens           = "countTokens"
	MethodEmbedContent          = "embedContent"
	MethodBatchEmbedContents    = "batchEmbedContents"
)

// GenerateURL is the URL of a generateContent call of model: with stream,
// :streamGenerateContent?alt=sse. baseURL is the Gemini API's
// (DefaultBaseURL, with or without a version such as /v1beta; v1beta is
// added when there is none) or a Vertex AI location's (see VertexBaseURL).
func GenerateURL(baseURL, model string, stream bool) string {
	if stream {
		return MethodURL(baseURL, model, MethodStreamGenerateContent) + "?alt=sse"
	}
	return MethodURL(baseURL, model, MethodGenerateContent)
}

// MethodURL is the URL of method (countTokens, batchEmbedContents…) on
// model; see GenerateURL for baseURL.
func MethodURL(baseURL, model, method string) string {
	base := strings.TrimRight(baseURL, "/")
	model = url.PathEscape(strings.TrimPrefix(model, "models/"))
	if strings.Contains(base, "/projects/") {
		if !strings.HasSuffix(base, "/publishers/google") {
			base += "/publishers/google"
		}
	} else if !hasAPIVersion(base) {
		base += "/v1beta"
	}
	var b strings.Builder
	b.Grow(len(base) + len(model) + len(method) + 9)
	b.WriteString(base)
	b.WriteString("/models/")
	b.WriteString(model)
	b.WriteByte(':')
	b.WriteString(method)
	return b.String()
}

// hasAPIVersion reports a base URL ending in an API version segment (v1,
// v1beta, v1alpha, v1beta1…).
func hasAPIVersion(base string) bool {
	seg := base[strings.LastIndexByte(base, '/')+1:]
	if len(seg) < 2 || seg[0] != 'v' || seg[1] < '0' || seg[1] > '9' {
		return false
	}
	rest := strings.TrimLeft(seg[1:], "0123456789")
	rest = strings.TrimPrefix(strings.TrimPrefix(rest, "alpha"), "beta")
	return strings.TrimLeft(rest, "0123456789") == ""
}

// VertexBaseURL is the base URL of a Vertex AI project location, for
// GenerateURL. The "global" location has no regional host.
func VertexBaseURL(project, location string) string {
	host := "https://" + location + "-aiplatform.googleapis.com"
	if location == "global" {
		host = "https://aiplatform.googleapis.com"
	}
	return host + "/v1/projects/" + url.PathEscape(project) + "/locations/" + url.PathEscape(location)
}

// ParseModelPath splits a request path such as
// /gemini/v1beta/models/gemini-2.5-flash:streamGenerateContent into the
// model ("gemini-2.5-flash") and the method ("streamGenerateContent"). It
// takes the last "models/" segment, so Gemini API and Vertex AI paths and
// any prefix before them work; ok is false when the path names no model
// method.
func ParseModelPath(p string) (model, method string, ok bool) {
	i := strings.LastIndex(p, "models/")
	if i < 0 || i > 0 && p[i-1] != '/' {
		return "", "", false
	}
	rest := p[i+len("models/"):]
	colon := strings.LastIndexByte(rest, ':')
	if colon <= 0 || colon == len(rest)-1 || strings.IndexByte(rest, '/') >= 0 {
		return "", "", false
	}
	model, err := url.PathUnescape(rest[:colon])
	if err != nil {
		return "", "", false
	}
	return model, rest[colon+1:], true
}
