package anthropic

import "net/http"

// APIVersion is the anthropic-version header value for requests
// BuildRequest writes.
const APIVersion = "2023-06-01"

// forwardedHeaders are the client headers a same-dialect provider needs to
// read the body as the client meant it: the API version and beta flags
// (Claude Code's context management, interleaved thinking, 1M context…).
// Canonical names, so reading them from an http.Header allocates nothing;
// Source.Headers keys them in lower case.
var forwardedHeaders = [...]struct{ canonical, key string }{
	{"Anthropic-Version", "anthropic-version"},
	{"Anthropic-Beta", "anthropic-beta"},
}

// SourceHeaders picks the headers to keep in Source.Headers from a client
// request, keyed in lower case. Credentials are never among them. A version
// equal to APIVersion is left out, as the provider sends that one anyway:
// most requests then carry no map at all, which matters when the request
// crosses the mesh (a map costs allocations to encode and decode).
func SourceHeaders(h http.Header) map[string]string {
	var out map[string]string
	for _, name := range forwardedHeaders {
		if v := h[name.canonical]; len(v) > 0 {
			if name.canonical == "Anthropic-Version" && len(v) == 1 && v[0] == APIVersion {
				continue
			}
			if out == nil {
				out = make(map[string]string, len(forwardedHeaders))
			}
			joined := v[0]
			for _, more := range v[1:] {
				joined += "," + more
			}
			out[name.key] = joined
		}
	}
	return out
}
