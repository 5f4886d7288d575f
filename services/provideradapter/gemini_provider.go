package provideradapter

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"time"

	inferencev1 "github.com/tollgate/tollgate/gen/go/tollgate/inference/v1"
	"github.com/tollgate/tollgate/services/kit/config"
	"github.com/tollgate/tollgate/services/kit/errs"
	"github.com/tollgate/tollgate/services/kit/wire/gemini"
	"github.com/tollgate/tollgate/services/kit/wire/responses"
)

// geminiProvider calls Google's Gemini API (provider gemini, key sent as
// x-goog-api-key) or Gemini on Vertex AI (provider vertex, an access token
// sent as a bearer token); the bodies are the same. Gemini names the model
// in the URL, so a Gemini client's body is forwarded unchanged (only the
// URL names the served entity's model) and every frame of the answer goes
// back raw, thought signatures and function call ids included; other
// clients' requests are translated, and the answer is parsed into
// canonical chunks. Usage is read in both cases.
type geminiProvider struct {
	kind      string
	model     string
	baseURL   string
	unaryURL  string
	streamURL string
	apiKey    *config.SecretRef
	headers   map[string]string
	timeout   time.Duration
	client    *http.Client
	secrets   *secrets
	// lastKeyHeader is the credential header of the last key resolved.
	lastKeyHeader keyHeaderCache
}

func newGeminiProvider(se *config.ServedEntity, client *http.Client, sec *secrets) *geminiProvider {
	base := se.BaseURL
	if base == "" {
		base = config.GeminiBaseURL
		if se.Provider == config.ProviderVertex {
			base = gemini.VertexBaseURL(se.Project, se.Location)
		}
	}
	timeout := se.Timeout.Std()
	if timeout <= 0 {
		timeout = 120 * time.Second
	}
	return &geminiProvider{
		kind:      se.Provider,
		model:     se.Model,
		baseURL:   base,
		unaryURL:  gemini.GenerateURL(base, se.Model, false),
		streamURL: gemini.GenerateURL(base, se.Model, true),
		apiKey:    se.APIKey,
		headers:   se.Headers,
		timeout:   timeout,
		client:    client,
		secrets:   sec,
	}
}

// body is the upstream request body, and whether it is the client's own
// (so the answer goes back raw).
func (p *geminiProvider) body(req *inferencev1.ChatRequest) ([]byte, bool, error) {
	src := req.GetSource()
	if src.GetDialect() == inferencev1.Dialect_DIALECT_GEMINI && len(src.GetOriginalBody()) > 0 {
		b, err := gemini.RewriteForUpstream(src.GetOriginalBody(), p.model)
		return b, true, err
	}
	if e := responses.CheckTranslatable(req); e != nil {
		return nil, false, e // a Responses feature Gemini cannot express
	}
	b, err := gemini.BuildRequest(req, p.model)
	if err != nil {
		if e := errs.From(err); e.Kind == errs.KindInvalidArgument {
			return nil, false, e
		}
		return nil, false, errs.Invalid("", "the request cannot be sent to this provider: %v", err)
	}
	return b, false, nil
}

func (p *geminiProvider) Chat(ctx context.Context, req *inferencev1.ChatRequest) (*inferencev1.ChatResponse, error) {
	body, passthrough, err := p.body(req)
	if err != nil {
		return nil, err
	}
	raw, err := p.unary(ctx, p.unaryURL, body)
	if err != nil {
		return nil, err
	}
	return parseChat(raw, p.model, rawDialectIf(passthrough, inferencev1.Dialect_DIALECT_GEMINI),
		gemini.ParseResponse, gemini.ParseResponse)
}

// ChatStream relays a :streamGenerateContent?alt=sse stream. Gemini's
// events are unnamed; the stream ends when the provider closes it, after a
// frame with a finish reason, or at an error frame. The served entity's
// timeout bounds the wait for each event, not the stream.
func (p *geminiProvider) ChatStream(parent context.Context, req *inferencev1.ChatRequest, send ChunkSender) error {
	body, passthrough, err := p.body(req)
	if err != nil {
		return err
	}
	call, err := openStream(parent, p.timeout, func(ctx context.Context, deadline time.Time) (*http.Response, error) {
		return p.post(parent, ctx, deadline, p.streamURL, body, true)
	})
	if err != nil {
		return err
	}
	defer call.close()

	parser := gemini.NewStreamParser()
	parse := func(data []byte) ([]*inferencev1.ChatChunk, error) {
		chunks, err := parser.Parse("", data)
		if err != nil {
			return nil, err
		}
		for _, c := range chunks {
			if !passthrough {
				c.Raw, c.RawDialect, c.RawEvent = nil, inferencev1.Dialect_DIALECT_UNSPECIFIED, ""
			}
			c.Model = firstNonEmpty(c.GetModel(), p.model)
		}
		return chunks, nil
	}

	if isJSON(call.resp.Header.Get("Content-Type")) {
		// A server that ignored alt=sse answers one JSON array of
		// responses; the idle timer bounds reading all of it.
		raw, err := readAll(call.resp.Body, call.resp.ContentLength, maxResponseBytes)
		if err != nil {
			return call.transportError(err)
		}
		var frames []json.RawMessage
		if err := json.Unmarshal(raw, &frames); err != nil {
			return malformed(err)
		}
		// The frames arrived together: they go out as one batch, up to an
		// error frame or one that does not parse.
		var batch []*inferencev1.ChatChunk
		var failure *errs.Error
		for _, f := range frames {
			chunks, err := parse(f)
			if err != nil {
				failure = malformed(err)
				break
			}
			batch = append(batch, chunks...)
			if carriesError(chunks) {
				break
			}
		}
		sent := false
		if stop, err := sendChunks(parent, batch, &sent, send); stop || err != nil {
			return err
		}
		if failure != nil {
			return streamFailureOf(sent, send, failure)
		}
		return nil
	}
	// Gemini ends a stream by closing it: the end of the stream is no failure.
	return call.relaySSE(nil, func(ev sseEvent) ([]*inferencev1.ChatChunk, bool, error) {
		chunks, err := parse(ev.data)
		return chunks, false, err
	}, send)
}

// Embed computes embeddings. A Gemini client's embedContent or
// batchEmbedContents body goes to the same method unchanged (models named
// inside it rewritten) and the answer back raw; other clients' inputs are
// sent as one batchEmbedContents call.
func (p *geminiProvider) Embed(ctx context.Context, req *inferencev1.EmbeddingsRequest) (*inferencev1.EmbeddingsResponse, error) {
	src := req.GetSource()
	passthrough := src.GetDialect() == inferencev1.Dialect_DIALECT_GEMINI && len(src.GetOriginalBody()) > 0
	method := gemini.MethodBatchEmbedContents
	var body []byte
	var err error
	if passthrough {
		if !isBatchEmbedBody(src.GetOriginalBody()) {
			method = gemini.MethodEmbedContent
		}
		body, err = gemini.RewriteForUpstream(src.GetOriginalBody(), p.model)
	} else {
		body, err = gemini.BuildEmbeddingsRequest(req, p.model)
	}
	if err != nil {
		if e := errs.From(err); e.Kind == errs.KindInvalidArgument {
			return nil, e
		}
		return nil, errs.Invalid("", "the request cannot be sent to this provider: %v", err)
	}
	raw, err := p.unary(ctx, gemini.MethodURL(p.baseURL, p.model, method), body)
	if err != nil {
		return nil, err
	}
	resp, err := gemini.ParseEmbeddingsResponse(raw)
	if err != nil {
		return nil, malformed(err)
	}
	resp.Model = firstNonEmpty(resp.GetModel(), p.model)
	if passthrough {
		resp.Raw, resp.RawDialect = raw, inferencev1.Dialect_DIALECT_GEMINI
	}
	return resp, nil
}

// isBatchEmbedBody tells a batchEmbedContents body ({"requests": […]})
// from an embedContent one; the router decoded it already, so it is valid
// JSON.
func isBatchEmbedBody(body []byte) bool {
	var probe struct {
		Requests json.RawMessage `json:"requests"`
	}
	return json.Unmarshal(body, &probe) == nil && len(probe.Requests) > 0 && !bytes.Equal(probe.Requests, []byte("null"))
}

// unary posts body and returns the whole 2xx answer, all within the served
// entity's timeout.
func (p *geminiProvider) unary(parent context.Context, url string, body []byte) ([]byte, error) {
	raw, _, err := readUnary(parent, p.timeout, func(ctx context.Context, deadline time.Time) (*http.Response, error) {
		return p.post(parent, ctx, deadline, url, body, false)
	})
	return raw, err
}

// post sends one request.
func (p *geminiProvider) post(parent, ctx context.Context, deadline time.Time, url string, body []byte, stream bool) (*http.Response, error) {
	return post(parent, ctx, deadline, p.client, p.timeout, p, upstreamPost{
		url: url, body: body, accept: acceptFor(stream), entityHeaders: p.headers})
}

// authorize sends Gemini's API key in x-goog-api-key, a Vertex token as a bearer.
func (p *geminiProvider) authorize(_ context.Context, req *http.Request, _ []byte) ([]string, error) {
	header := "X-Goog-Api-Key"
	if p.kind == config.ProviderVertex {
		header = ""
	}
	return keyAuth(p.secrets, p.apiKey, header, &p.lastKeyHeader, req)
}

func (p *geminiProvider) parseError(status int, h http.Header, body []byte) *errs.Error {
	return gemini.ParseErrorHeader(status, h, body)
}

// geminiChecked guards a provider of another dialect: the parts of a
// Gemini client's request it cannot express (cached content, files stored
// at Google, code execution…; see gemini.CheckTranslatable) are refused as
// errs.Invalid naming the field, before any provider call, instead of
// being dropped. Requests of other clients pass straight through.
type geminiChecked struct{ Provider }

// guardGemini wraps every provider but a Gemini one in geminiChecked.
func guardGemini(kind string, p Provider) Provider {
	if p == nil || kind == config.ProviderGemini || kind == config.ProviderVertex {
		return p
	}
	return geminiChecked{p}
}

func (g geminiChecked) Chat(ctx context.Context, req *inferencev1.ChatRequest) (*inferencev1.ChatResponse, error) {
	if e := gemini.CheckTranslatable(req); e != nil {
		return nil, e
	}
	return g.Provider.Chat(ctx, req)
}

func (g geminiChecked) ChatStream(ctx context.Context, req *inferencev1.ChatRequest, send ChunkSender) error {
	if e := gemini.CheckTranslatable(req); e != nil {
		return e
	}
	return g.Provider.ChatStream(ctx, req, send)
}
