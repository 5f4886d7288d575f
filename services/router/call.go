package router

import (
	"context"
	"net/url"
	"strings"
	"time"

	"go.opentelemetry.io/otel/attribute"

	"google.golang.org/grpc/metadata"

	inferencev1 "github.com/tollgate/tollgate/gen/go/tollgate/inference/v1"
	"github.com/tollgate/tollgate/services/authz/policy"
	"github.com/tollgate/tollgate/services/kit/config"
	"github.com/tollgate/tollgate/services/kit/errs"
	"github.com/tollgate/tollgate/services/kit/tracing"
	"github.com/tollgate/tollgate/services/router/facade"
	"github.com/tollgate/tollgate/services/router/requestid"
)

// call is what the router learns about one request as it goes; it becomes
// the usage event and the metrics at the end.
type call struct {
	start           time.Time
	requestID       string
	dialect         inferencev1.Dialect
	userAgent       string
	token           string
	query           string
	identity        *policy.Identity
	route           *route
	entity          *entity
	clientRequestID string
	usageContext    map[string]string
	streaming       bool
	attempts        int
	firstByte       time.Duration
	usage           *inferencev1.Usage
	inChars         int64
	outChars        int64
	status          int
	err             *errs.Error
	rateLimited     bool
	payloadRequest  []byte
	payload         *payloadCapture // set when the endpoint's inference table sampled this request
}

// Metadata keys set by the facade (see facade.MD*); repeated here so the
// router does not import its own front door.
const (
	mdRequestID = "x-tollgate-request-id"
	mdQuery     = "x-tollgate-query"
)

func newCall(ctx context.Context, d inferencev1.Dialect) *call {
	c := &call{start: time.Now(), dialect: d, status: 200}
	if in := facade.InboundFrom(ctx); in != nil {
		h := in.Header
		c.requestID, c.query, c.userAgent = in.RequestID, in.RawQuery, h.Get("User-Agent")
		c.token = clientToken(h.Get("Authorization"), h.Get("X-Api-Key"), h.Get("X-Goog-Api-Key"), c.query)
	} else {
		// A gRPC caller of the router's API: the same facts as metadata.
		md, _ := metadata.FromIncomingContext(ctx)
		c.requestID, c.query, c.userAgent = first(md, mdRequestID), first(md, mdQuery), first(md, "user-agent")
		c.token = clientToken(first(md, "authorization"), first(md, "x-api-key"), first(md, "x-goog-api-key"), c.query)
	}
	if c.requestID == "" {
		c.requestID = requestid.New()
	}
	return c
}

// clientToken picks the caller's credential the way each dialect's clients
// send it: a bearer token (OpenAI), x-api-key (Anthropic), x-goog-api-key or
// Gemini's ?key= query parameter.
func clientToken(authorization, apiKey, googAPIKey, query string) string {
	if t := bearer(authorization); t != "" {
		return t
	}
	if apiKey != "" {
		return apiKey
	}
	if googAPIKey != "" {
		return googAPIKey
	}
	if query != "" {
		return queryKey(query)
	}
	return ""
}

func first(md metadata.MD, key string) string {
	if v := md[key]; len(v) > 0 {
		return v[0]
	}
	return ""
}

// queryKey returns the key= parameter of a raw query, without allocating a
// url.Values for the common case of no key.
func queryKey(raw string) string {
	if !strings.Contains(raw, "key=") {
		return ""
	}
	v, err := url.ParseQuery(raw)
	if err != nil {
		return ""
	}
	return v.Get("key")
}

func bearer(h string) string {
	if len(h) > 7 && strings.EqualFold(h[:7], "bearer ") {
		return strings.TrimSpace(h[7:])
	}
	return ""
}

// admit authenticates, resolves the endpoint, authorizes and takes quota, in
// that order: an unauthenticated caller learns nothing about endpoints.
func (s *Service) admit(ctx context.Context, c *call, endpoint string, task config.Task) error {
	var attrs []attribute.KeyValue // built only for a span that records them
	if tracing.Enabled() {
		attrs = []attribute.KeyValue{attribute.String("tollgate.endpoint", endpoint)}
	}
	_, span := tracing.Start(ctx, tracerName, "authz.decide", attrs...)
	err := s.authorize(c, endpoint)
	span.End()
	if err != nil {
		return err
	}
	if c.route.ep.Task != task {
		return errs.Invalid("model", "endpoint %q serves %s, not %s", endpoint, c.route.ep.Task, task)
	}
	if s.deps.Limiter != nil {
		qctx, span := tracing.Start(ctx, tracerName, "quota.admit")
		err := s.deps.Limiter.Admit(qctx, endpoint, c.identity.Principal, c.identity.Groups)
		span.End()
		if err != nil {
			if errs.From(err).Kind == errs.KindRateLimited {
				c.rateLimited = true
			}
			return err
		}
	}
	return nil
}

// authorize authenticates the caller and checks its permission on the
// endpoint, from the pushed policy snapshot (no RPC).
func (s *Service) authorize(c *call, endpoint string) error {
	id, err := s.deps.Policy.Authenticate(c.token)
	if err != nil {
		return err
	}
	c.identity = id
	r := s.routes.lookup(endpoint)
	if r == nil {
		return errs.NotFound("model_not_found", "the model (endpoint) %q does not exist or you do not have access to it", endpoint).WithParam("model")
	}
	c.route = r
	s.samplePayload(c)
	return s.deps.Policy.Authorize(id, endpoint)
}

// retryable says whether another served entity may be tried after err.
func retryable(err error) bool {
	te := errs.From(err)
	if te.Retryable {
		return true
	}
	switch te.Kind {
	case errs.KindUnavailable, errs.KindUpstream, errs.KindTimeout:
		return true
	}
	return false
}
