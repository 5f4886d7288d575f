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
	"github.com/tollgate/tollgate/services/kit/wire/cohere"
	"github.com/tollgate/tollgate/services/kit/wire/responses"
)

// cohereProvider calls Cohere's chat v2 API (POST {base_url}/v2/chat, the
// api_key as a bearer token). No client speaks Cohere to Tollgate, so
// every request is translated and every answer parsed into canonical form.
type cohereProvider struct {
	model   string
	chatURL string
	apiKey  *config.SecretRef
	headers map[string]string
	timeout time.Duration
	client  *http.Client
	secrets *secrets
	// lastKeyHeader is the credential header of the last key resolved.
	lastKeyHeader keyHeaderCache
}

func newCohereProvider(se *config.ServedEntity, client *http.Client, sec *secrets) *cohereProvider {
	base := firstNonEmpty(se.BaseURL, config.CohereBaseURL)
	// Accept a base URL given with its API version, as the OpenAI
	// providers' base URLs are written.
	base = strings.TrimSuffix(strings.TrimSuffix(strings.TrimRight(base, "/"), "/v2"), "/v1")
	timeout := se.Timeout.Std()
	if timeout <= 0 {
		timeout = 120 * time.Second
	}
	return &cohereProvider{
		model:   se.Model,
		chatURL: base + "/v2/chat",
		apiKey:  se.APIKey,
		headers: se.Headers,
		timeout: timeout,
		client:  client,
		secrets: sec,
	}
}

func (p *cohereProvider) body(req *inferencev1.ChatRequest, stream bool) ([]byte, error) {
	if e := responses.CheckTranslatable(req); e != nil {
		return nil, e // a Responses feature Cohere cannot express
	}
	if stream != req.GetStream() {
		req = proto.CloneOf(req)
		req.Stream = stream
	}
	b, err := cohere.BuildRequest(req, p.model)
	if err != nil {
		if e := errs.From(err); e.Kind == errs.KindInvalidArgument {
			return nil, e
		}
		return nil, errs.Invalid("", "the request cannot be sent to this provider: %v", err)
	}
	return b, nil
}

func (p *cohereProvider) Chat(ctx context.Context, req *inferencev1.ChatRequest) (*inferencev1.ChatResponse, error) {
	body, err := p.body(req, false)
	if err != nil {
		return nil, err
	}
	raw, _, err := readUnary(ctx, p.timeout, func(call context.Context, deadline time.Time) (*http.Response, error) {
		return p.post(ctx, call, deadline, body, false)
	})
	if err != nil {
		return nil, err
	}
	out, err := cohere.ParseResponse(raw)
	if err != nil {
		return nil, malformed(err)
	}
	out.Model = p.model // Cohere does not name the model in its answer
	return out, nil
}

var errCohereEndedEarly = errors.New("the stream ended before message-end")

// ChatStream relays Cohere's event stream, sending the events that carry
// something canonical. The stream ends at message-end; the served
// entity's timeout bounds the wait for each event, not the stream.
func (p *cohereProvider) ChatStream(parent context.Context, req *inferencev1.ChatRequest, send ChunkSender) error {
	body, err := p.body(req, true)
	if err != nil {
		return err
	}
	call, err := openStream(parent, p.timeout, func(ctx context.Context, deadline time.Time) (*http.Response, error) {
		return p.post(parent, ctx, deadline, body, true)
	})
	if err != nil {
		return err
	}
	defer call.close()
	parser := cohere.NewStreamParser()
	return call.relaySSE(errCohereEndedEarly, func(ev sseEvent) ([]*inferencev1.ChatChunk, bool, error) {
		chunks, err := parser.Parse(ev.name, ev.data)
		if err != nil {
			return nil, false, err
		}
		chunks = canonicalOnly(chunks) // content-end, citations: nothing canonical
		for _, c := range chunks {
			c.Model = p.model
		}
		return chunks, parser.Ended(), nil
	}, send)
}

func (p *cohereProvider) Embed(context.Context, *inferencev1.EmbeddingsRequest) (*inferencev1.EmbeddingsResponse, error) {
	return nil, errs.Invalid("model", "provider cohere serves chat only in Tollgate; its embed API is not supported")
}

// post sends one request.
func (p *cohereProvider) post(parent, ctx context.Context, deadline time.Time, body []byte, stream bool) (*http.Response, error) {
	return post(parent, ctx, deadline, p.client, p.timeout, p, upstreamPost{
		url: p.chatURL, body: body, accept: acceptFor(stream), entityHeaders: p.headers})
}

func (p *cohereProvider) authorize(_ context.Context, req *http.Request, _ []byte) ([]string, error) {
	return keyAuth(p.secrets, p.apiKey, "", &p.lastKeyHeader, req)
}

func (p *cohereProvider) parseError(status int, h http.Header, body []byte) *errs.Error {
	return cohere.ParseError(status, body, h.Get("Retry-After"))
}
