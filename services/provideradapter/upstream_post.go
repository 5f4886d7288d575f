package provideradapter

import (
	"context"
	"net/http"
	"net/textproto"
	"strings"
	"sync/atomic"
	"time"

	"github.com/tollgate/tollgate/services/kit/config"
	"github.com/tollgate/tollgate/services/kit/errs"
	"github.com/tollgate/tollgate/services/provideradapter/upstream"
)

// upstreamAPI is what differs between providers in how a call is made:
// the credentials and how a failure is worded. Providers implement it on
// their own type, so a call allocates no closures.
type upstreamAPI interface {
	// authorize sets the credentials on the finished request (a signature
	// covers every header) and returns the secrets to keep out of errors.
	authorize(ctx context.Context, req *http.Request, body []byte) (secrets []string, err error)
	// parseError maps a non-2xx answer.
	parseError(status int, h http.Header, body []byte) *errs.Error
}

// upstreamPost is one provider HTTP call. Every provider posts JSON the
// same way: its own fixed headers, a passthrough client's headers, the
// served entity's configured ones (which win), Content-Type, Accept and the
// credentials last; a non-2xx answer becomes a typed error whose message
// never holds a credential.
type upstreamPost struct {
	url    string
	body   []byte
	accept string // the answer's media type
	// fixedHeaders are the provider's own (an API version).
	fixedHeaders map[string]string
	// clientHeaders are a passthrough client's; only forwardable ones are sent.
	clientHeaders map[string]string
	// entityHeaders are the served entity's configured headers.
	entityHeaders map[string]string
}

// keyAuth sends the key ref resolves to as a bearer token, or in header
// when it is set (Azure's api-key, Anthropic's x-api-key, Gemini's
// x-goog-api-key); no key sends no credential. The header is built once per
// key value and kept in last, the provider's own.
func keyAuth(s *secrets, ref *config.SecretRef, header string, last *keyHeaderCache, req *http.Request) ([]string, error) {
	key, err := s.resolve(ref)
	if err != nil || key == "" {
		return nil, err
	}
	h := last.Load()
	if h == nil || h.key != key || h.header != header {
		h = newKeyHeader(key, header)
		last.Store(h)
	}
	req.Header[h.name] = h.value
	return h.secrets, nil
}

// keyHeader is the header carrying one key, ready to set on any number of
// requests: its slices are shared by them all, and nothing modifies a
// header value in place (http.Header.Set replaces the slice).
type keyHeader struct {
	key, header string // what it was built from
	name        string // canonical header name
	value       []string
	secrets     []string // what to redact from the provider's errors
}

// keyHeaderCache holds a provider's last keyHeader: a key changes only when
// it is rotated.
type keyHeaderCache = atomic.Pointer[keyHeader]

func newKeyHeader(key, header string) *keyHeader {
	h := &keyHeader{key: key, header: header, secrets: []string{key}}
	if header != "" {
		h.name, h.value = textproto.CanonicalMIMEHeaderKey(header), []string{key}
	} else {
		h.name, h.value = "Authorization", []string{"Bearer " + key}
	}
	return h
}

// post sends u within ctx, to be answered by deadline when that is set
// (parent is the call's own context, for telling a timeout from a
// cancellation), and returns a 2xx response; anything else is mapped to a
// typed error by api, with the body closed.
func post(parent, ctx context.Context, deadline time.Time, client *http.Client, timeout time.Duration, api upstreamAPI, u upstreamPost) (*http.Response, error) {
	req, err := upstream.NewRequest(ctx, client, http.MethodPost, u.url, u.body)
	if err != nil {
		return nil, errs.New(errs.KindInternal, "internal_error", "invalid provider URL").Wrap(err)
	}
	h := headerSetter{h: req.Header, values: make([]string, 0, len(u.fixedHeaders)+len(u.clientHeaders)+len(u.entityHeaders)+2)}
	for k, v := range u.fixedHeaders {
		h.set(k, v)
	}
	for k, v := range u.clientHeaders {
		if forwardable(k) {
			h.set(k, v)
		}
	}
	for k, v := range u.entityHeaders {
		h.set(k, v)
	}
	h.set("Content-Type", "application/json")
	h.set("Accept", u.accept)
	secrets, err := api.authorize(ctx, req, u.body)
	if err != nil {
		return nil, err
	}
	resp, err := upstream.DoBefore(client, req, deadline, errProviderTimeout)
	if err != nil {
		return nil, transportError(parent, ctx, timeout, err)
	}
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return resp, nil
	}
	defer resp.Body.Close()
	errBody, _ := readAll(resp.Body, resp.ContentLength, maxErrorBodyBytes)
	e := api.parseError(resp.StatusCode, resp.Header, errBody)
	e.Message = redact(e.Message, secrets)
	return nil, e
}

// headerSetter sets headers as http.Header.Set does, with their values in
// one backing array: a request's headers cost one allocation, not one each.
type headerSetter struct {
	h      http.Header
	values []string
}

func (s *headerSetter) set(name, value string) {
	s.values = append(s.values, value)
	n := len(s.values)
	s.h[textproto.CanonicalMIMEHeaderKey(name)] = s.values[n-1 : n : n]
}

// acceptFor is the media type of a JSON answer or of an event stream.
func acceptFor(stream bool) string {
	if stream {
		return "text/event-stream"
	}
	return "application/json"
}

// forwardable says whether a client header may reach the provider: the
// router passes dialect headers (beta flags, versions), never credentials,
// but hop-by-hop and identity headers are dropped here too, defensively.
func forwardable(name string) bool {
	switch strings.ToLower(name) {
	case "authorization", "proxy-authorization", "cookie", "x-api-key", "api-key", "host",
		"content-length", "content-type", "accept", "accept-encoding", "connection", "keep-alive",
		"transfer-encoding", "te", "trailer", "upgrade":
		return false
	}
	return true
}
