package provideradapter

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"time"

	"google.golang.org/protobuf/proto"

	inferencev1 "github.com/tollgate/tollgate/gen/go/tollgate/inference/v1"
	"github.com/tollgate/tollgate/services/kit/config"
	"github.com/tollgate/tollgate/services/kit/errs"
	"github.com/tollgate/tollgate/services/kit/wire/anthropic"
	"github.com/tollgate/tollgate/services/kit/wire/responses"
)

// anthropicProvider calls Anthropic's Messages API (or a server speaking
// it). An Anthropic client's body is forwarded with only the model
// rewritten, with its anthropic-version and anthropic-beta headers, and
// every event of the answer goes back raw; other clients' requests are
// translated, and the answer is parsed into canonical chunks.
type anthropicProvider struct {
	model       string
	messagesURL string
	apiKey      *config.SecretRef
	headers     map[string]string
	timeout     time.Duration
	client      *http.Client
	secrets     *secrets
	// lastKeyHeader is the credential header of the last key resolved.
	lastKeyHeader keyHeaderCache
}

func newAnthropicProvider(se *config.ServedEntity, client *http.Client, sec *secrets) *anthropicProvider {
	base := se.BaseURL
	if base == "" {
		base = config.AnthropicBaseURL
	}
	// Anthropic's base URL has no version; accept one given with /v1, as
	// the OpenAI providers' base URLs are written.
	base = strings.TrimSuffix(strings.TrimRight(base, "/"), "/v1")
	timeout := se.Timeout.Std()
	if timeout <= 0 {
		timeout = 120 * time.Second
	}
	return &anthropicProvider{
		model:       se.Model,
		messagesURL: base + "/v1/messages",
		apiKey:      se.APIKey,
		headers:     se.Headers,
		timeout:     timeout,
		client:      client,
		secrets:     sec,
	}
}

// body is the upstream request body, and whether it is the client's own
// (so the answer goes back raw and the client's headers apply).
func (p *anthropicProvider) body(req *inferencev1.ChatRequest, stream bool) ([]byte, bool, error) {
	src := req.GetSource()
	if src.GetDialect() == inferencev1.Dialect_DIALECT_ANTHROPIC_MESSAGES && len(src.GetOriginalBody()) > 0 {
		b, err := anthropic.RewriteForUpstream(src.GetOriginalBody(), p.model)
		return b, true, err
	}
	if e := responses.CheckTranslatable(req); e != nil {
		return nil, false, e
	}
	if stream != req.GetStream() {
		req = proto.CloneOf(req)
		req.Stream = stream
	}
	b, err := anthropic.BuildRequest(req, p.model)
	if err != nil {
		if e := errs.From(err); e.Kind == errs.KindInvalidArgument {
			return nil, false, e
		}
		return nil, false, errs.Invalid("", "the request cannot be sent to this provider: %v", err)
	}
	return b, false, nil
}

func (p *anthropicProvider) Chat(ctx context.Context, req *inferencev1.ChatRequest) (*inferencev1.ChatResponse, error) {
	body, passthrough, err := p.body(req, false)
	if err != nil {
		return nil, err
	}
	raw, _, err := readUnary(ctx, p.timeout, func(call context.Context, deadline time.Time) (*http.Response, error) {
		return p.post(ctx, call, deadline, body, false, passthrough, req.GetSource())
	})
	if err != nil {
		return nil, err
	}
	return parseChat(raw, p.model, rawDialectIf(passthrough, inferencev1.Dialect_DIALECT_ANTHROPIC_MESSAGES),
		anthropic.ParseResponse, anthropic.ParseSummary)
}

var errAnthropicEndedEarly = errors.New("the stream ended before message_stop")

// ChatStream relays Anthropic's event stream. For an Anthropic client
// every event goes back raw (ping included); for others only the events
// that carry something canonical are sent, without the raw frame. The
// served entity's timeout bounds the wait for each event, not the stream.
func (p *anthropicProvider) ChatStream(parent context.Context, req *inferencev1.ChatRequest, send ChunkSender) error {
	body, passthrough, err := p.body(req, true)
	if err != nil {
		return err
	}
	call, err := openStream(parent, p.timeout, func(ctx context.Context, deadline time.Time) (*http.Response, error) {
		return p.post(parent, ctx, deadline, body, true, passthrough, req.GetSource())
	})
	if err != nil {
		return err
	}
	defer call.close()
	parser := anthropic.NewStreamParser()
	return call.relaySSE(errAnthropicEndedEarly, func(ev sseEvent) ([]*inferencev1.ChatChunk, bool, error) {
		chunks, err := parser.Parse(ev.name, ev.data)
		if err != nil {
			return nil, false, err
		}
		if !passthrough {
			chunks = canonicalOnly(chunks) // ping, block stops: nothing for another dialect
		}
		defaultModel(chunks, p.model)
		return chunks, ev.name == "message_stop", nil
	}, send)
}

func (p *anthropicProvider) Embed(context.Context, *inferencev1.EmbeddingsRequest) (*inferencev1.EmbeddingsResponse, error) {
	return nil, errs.Invalid("model", "provider anthropic has no embeddings API")
}

// anthropicVersionHeader is sent on every call; a passthrough client's own
// version replaces it.
var anthropicVersionHeader = map[string]string{"Anthropic-Version": anthropic.APIVersion}

// post sends one request; a passthrough carries the client's version and
// beta flags, which say how to read its body.
func (p *anthropicProvider) post(parent, ctx context.Context, deadline time.Time, body []byte, stream, passthrough bool, src *inferencev1.Source) (*http.Response, error) {
	u := upstreamPost{url: p.messagesURL, body: body, accept: acceptFor(stream),
		fixedHeaders: anthropicVersionHeader, entityHeaders: p.headers}
	if passthrough {
		u.clientHeaders = src.GetHeaders()
	}
	return post(parent, ctx, deadline, p.client, p.timeout, p, u)
}

func (p *anthropicProvider) authorize(_ context.Context, req *http.Request, _ []byte) ([]string, error) {
	return keyAuth(p.secrets, p.apiKey, "X-Api-Key", &p.lastKeyHeader, req)
}

func (p *anthropicProvider) parseError(status int, h http.Header, body []byte) *errs.Error {
	return anthropic.ParseError(status, body, h.Get("Retry-After"))
}
