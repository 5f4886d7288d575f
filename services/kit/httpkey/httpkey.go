// Package httpkey puts HTTP header names in canonical form (as
// http.CanonicalHeaderKey does) without allocating for the names the
// gateway's clients and providers commonly send. The front door's server
// and the provider adapter's client both parse headers on every request.
package httpkey

import "net/http"

// maxStack is the longest name canonicalised in a stack buffer.
const maxStack = 64

// FromBytes returns name in canonical form. name must hold only token
// bytes (the caller validates it).
func FromBytes(name []byte) string {
	if len(name) > maxStack {
		return http.CanonicalHeaderKey(string(name))
	}
	var buf [maxStack]byte
	b, _ := canonicalInto(buf[:0], name)
	if k, ok := common[string(b)]; ok {
		return k
	}
	return string(b)
}

// FromString returns name in canonical form, name itself when it already
// is. name must hold only token bytes (the caller validates it).
func FromString(name string) string {
	if len(name) > maxStack {
		return http.CanonicalHeaderKey(name)
	}
	var buf [maxStack]byte
	b, changed := canonicalInto(buf[:0], name)
	if k, ok := common[string(b)]; ok {
		return k
	}
	if !changed {
		return name
	}
	return string(b)
}

// canonicalInto appends name to b with the first letter and every letter
// after a '-' upper case, the others lower case; changed says some byte
// differs from name.
func canonicalInto[S string | []byte](b []byte, name S) (_ []byte, changed bool) {
	upper := true
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case upper && 'a' <= c && c <= 'z':
			c -= 'a' - 'A'
			changed = true
		case !upper && 'A' <= c && c <= 'Z':
			c += 'a' - 'A'
			changed = true
		}
		b = append(b, c)
		upper = c == '-'
	}
	return b, changed
}

// common interns the names clients send to the front door and providers
// send back.
var common = func() map[string]string {
	m := map[string]string{}
	for _, k := range []string{
		"Accept", "Accept-Encoding", "Accept-Language", "Accept-Ranges",
		"Access-Control-Allow-Credentials", "Access-Control-Allow-Headers",
		"Access-Control-Allow-Methods", "Access-Control-Allow-Origin", "Access-Control-Expose-Headers",
		"Age", "Alt-Svc", "Anthropic-Beta", "Anthropic-Dangerous-Direct-Browser-Access",
		"Anthropic-Organization-Id", "Anthropic-Ratelimit-Input-Tokens-Limit",
		"Anthropic-Ratelimit-Input-Tokens-Remaining", "Anthropic-Ratelimit-Input-Tokens-Reset",
		"Anthropic-Ratelimit-Output-Tokens-Limit", "Anthropic-Ratelimit-Output-Tokens-Remaining",
		"Anthropic-Ratelimit-Output-Tokens-Reset", "Anthropic-Ratelimit-Requests-Limit",
		"Anthropic-Ratelimit-Requests-Remaining", "Anthropic-Ratelimit-Requests-Reset",
		"Anthropic-Ratelimit-Tokens-Limit", "Anthropic-Ratelimit-Tokens-Remaining",
		"Anthropic-Ratelimit-Tokens-Reset", "Anthropic-Version", "Apim-Request-Id", "Authorization",
		"Cache-Control", "Cf-Cache-Status", "Cf-Ray", "Chatgpt-Account-Id", "Connection",
		"Content-Encoding", "Content-Length", "Content-Type", "Cookie", "Date", "Etag", "Expect",
		"Expires", "Host", "Keep-Alive", "Openai-Beta", "Openai-Organization", "Openai-Processing-Ms",
		"Openai-Project", "Openai-Version", "Origin", "Originator", "Pragma", "Priority", "Referer",
		"Request-Id", "Retry-After", "Sec-Fetch-Mode", "Server", "Server-Timing", "Session_id",
		"Set-Cookie", "Strict-Transport-Security", "Te", "Traceparent", "Tracestate", "Trailer",
		"Transfer-Encoding", "Upgrade", "User-Agent", "Vary", "Version", "Via",
		"X-Amzn-Bedrock-Input-Token-Count", "X-Amzn-Bedrock-Invocation-Latency",
		"X-Amzn-Bedrock-Output-Token-Count", "X-Amzn-Requestid", "X-Api-Key", "X-App",
		"X-Content-Type-Options", "X-Envoy-Upstream-Service-Time", "X-Frame-Options",
		"X-Goog-Api-Client", "X-Goog-Api-Key", "X-Ms-Region", "X-Ratelimit-Limit-Requests",
		"X-Ratelimit-Limit-Tokens", "X-Ratelimit-Remaining-Requests", "X-Ratelimit-Remaining-Tokens",
		"X-Ratelimit-Reset-Requests", "X-Ratelimit-Reset-Tokens", "X-Request-Id", "X-Stainless-Arch",
		"X-Stainless-Helper-Method", "X-Stainless-Lang", "X-Stainless-Os", "X-Stainless-Package-Version",
		"X-Stainless-Retry-Count", "X-Stainless-Runtime", "X-Stainless-Runtime-Version",
		"X-Stainless-Timeout", "X-Xss-Protection",
	} {
		m[k] = k
	}
	return m
}()
