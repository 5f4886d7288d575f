package provideradapter

import (
	"bytes"
	"context"
	"net/http"
	"strings"
	"time"

	"github.com/tollgate/tollgate/services/kit/config"
	"github.com/tollgate/tollgate/services/kit/errs"
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
// x-goog-api-key); no key sends no credential.
func keyAuth(s *secrets, ref *config.SecretRef, header string, req *http.Request) ([]string, error) {
	key, err := s.resolve(ref)
	if err != nil || key == "" {
		return nil, err
	}
	if header != "" {
		req.Header.Set(header, key)
	} else {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	return []string{key}, nil
}

// post sends u within ctx (parent is the call's own context, for telling a
// timeout from a cancellation) and returns a 2xx response; anything else is
// mapped to a typed error by api, with the body closed.
func post(parent, ctx context.Context, client *http.Client, timeout time.Duration, api upstreamAPI, u upstreamPost) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u.url, bytes.NewReader(u.body))
	if err != nil {
		return nil, errs.New(errs.KindInternal, "internal_error", "invalid provider URL").Wrap(err)
	}
	h := req.Header
	for k, v := range u.fixedHeaders {
		h.Set(k, v)
	}
	for k, v := range u.clientHeaders {
		if forwardable(k) {
			h.Set(k, v)
		}
	}
	for k, v := range u.entityHeaders {
		h.Set(k, v)
	}
	h.Set("Content-Type", "application/json")
	h.Set("Accept", u.accept)
	secrets, err := api.authorize(ctx, req, u.body)
	if err != nil {
		return nil, err
	}
	resp, err := client.Do(req)
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
