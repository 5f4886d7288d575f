package provideradapter

import (
	"context"
	"errors"
	"io"
	"net/http"
	"slices"
	"strings"
	"time"

	"google.golang.org/protobuf/proto"

	inferencev1 "github.com/tollgate/tollgate/gen/go/tollgate/inference/v1"
	"github.com/tollgate/tollgate/services/kit/config"
	"github.com/tollgate/tollgate/services/kit/errs"
	"github.com/tollgate/tollgate/services/kit/wire/openai"
	"github.com/tollgate/tollgate/services/kit/wire/responses"
)

// maxResponseBytes bounds a unary provider answer held in memory.
const maxResponseBytes = 64 << 20

// maxErrorBodyBytes bounds how much of an error answer is read.
const maxErrorBodyBytes = 64 << 10

// openAIProvider calls OpenAI or any server speaking its API. When the client
// spoke OpenAI too, the client's body is forwarded with only the model
// rewritten, and the provider's bytes are handed back untouched in Raw.
type openAIProvider struct {
	kind          string
	model         string
	chatURL       string
	embeddingsURL string
	apiKey        *config.SecretRef
	headers       map[string]string
	timeout       time.Duration
	build         openai.BuildOptions
	client        *http.Client
	secrets       *secrets
	// keyHeader, when set, carries the key as it is instead of as a bearer
	// token (Azure OpenAI's api-key; see azure_provider.go).
	keyHeader string
	// lastKeyHeader is the credential header of the last key resolved.
	lastKeyHeader keyHeaderCache
}

func newOpenAIProvider(se *config.ServedEntity, client *http.Client, sec *secrets) *openAIProvider {
	base := strings.TrimRight(se.BaseURL, "/")
	timeout := se.Timeout.Std()
	if timeout <= 0 {
		timeout = 120 * time.Second
	}
	return &openAIProvider{
		kind:          se.Provider,
		model:         se.Model,
		chatURL:       base + "/chat/completions",
		embeddingsURL: base + "/embeddings",
		apiKey:        se.APIKey,
		headers:       se.Headers,
		timeout:       timeout,
		build:         openai.BuildOptions{MaxCompletionTokens: se.Provider == config.ProviderOpenAI},
		client:        client,
		secrets:       sec,
	}
}

// chatBody is the upstream request body, and whether it is the client's own
// body (so the answer can be passed through raw).
func (p *openAIProvider) chatBody(req *inferencev1.ChatRequest, stream bool) ([]byte, bool, error) {
	if src := req.GetSource(); src.GetDialect() == inferencev1.Dialect_DIALECT_OPENAI_CHAT && len(src.GetOriginalBody()) > 0 {
		b, err := openai.RewriteForUpstream(src.GetOriginalBody(), p.model, true)
		return b, true, err
	}
	if e := responses.CheckTranslatable(req); e != nil {
		return nil, false, e // a Responses feature Chat Completions cannot express
	}
	if stream != req.GetStream() {
		req = proto.CloneOf(req)
		req.Stream = stream
	}
	b, err := openai.BuildChatRequest(req, p.model, p.build)
	if err != nil {
		return nil, false, errs.Invalid("", "the request cannot be sent to this provider: %v", err)
	}
	return b, false, nil
}

func (p *openAIProvider) Chat(ctx context.Context, req *inferencev1.ChatRequest) (*inferencev1.ChatResponse, error) {
	body, passthrough, err := p.chatBody(req, false)
	if err != nil {
		return nil, err
	}
	raw, err := p.unary(ctx, p.chatURL, body, passthroughHeaders(passthrough, req.GetSource()))
	if err != nil {
		return nil, err
	}
	return parseChat(raw, p.model, rawDialectIf(passthrough, inferencev1.Dialect_DIALECT_OPENAI_CHAT),
		openai.ParseChatResponse, openai.ParseChatSummary)
}

func (p *openAIProvider) Embed(ctx context.Context, req *inferencev1.EmbeddingsRequest) (*inferencev1.EmbeddingsResponse, error) {
	src := req.GetSource()
	if src.GetDialect() == inferencev1.Dialect_DIALECT_OPENAI_EMBEDDINGS && len(src.GetOriginalBody()) > 0 {
		body, err := openai.RewriteForUpstream(src.GetOriginalBody(), p.model, false)
		if err != nil {
			return nil, err
		}
		raw, err := p.unary(ctx, p.embeddingsURL, body, src.GetHeaders())
		if err != nil {
			return nil, err
		}
		// The router forwards raw; only usage is needed, not the vectors.
		model, usage, err := openai.ParseEmbeddingsUsage(raw)
		if err != nil {
			return nil, malformed(err)
		}
		return &inferencev1.EmbeddingsResponse{Model: firstNonEmpty(model, p.model), Usage: usage,
			Raw: raw, RawDialect: inferencev1.Dialect_DIALECT_OPENAI_EMBEDDINGS}, nil
	}
	body, err := openai.BuildEmbeddingsRequest(req, p.model)
	if err != nil {
		return nil, errs.Invalid("", "the request cannot be sent to this provider: %v", err)
	}
	raw, err := p.unary(ctx, p.embeddingsURL, body, nil)
	if err != nil {
		return nil, err
	}
	resp, err := openai.ParseEmbeddingsResponse(raw)
	if err != nil {
		return nil, malformed(err)
	}
	resp.Model = firstNonEmpty(resp.Model, p.model)
	return resp, nil
}

// unary posts body and returns the whole 2xx answer, all within the served
// entity's timeout.
func (p *openAIProvider) unary(parent context.Context, url string, body []byte, clientHeaders map[string]string) ([]byte, error) {
	raw, _, err := readUnary(parent, p.timeout, func(ctx context.Context, deadline time.Time) (*http.Response, error) {
		return p.post(parent, ctx, deadline, url, body, false, clientHeaders)
	})
	return raw, err
}

// ChatStream relays the provider's SSE stream event by event. The served
// entity's timeout bounds the wait for the first byte and every gap between
// events, not the whole stream.
func (p *openAIProvider) ChatStream(parent context.Context, req *inferencev1.ChatRequest, send ChunkSender) error {
	body, passthrough, err := p.chatBody(req, true)
	if err != nil {
		return err
	}
	call, err := openStream(parent, p.timeout, func(ctx context.Context, deadline time.Time) (*http.Response, error) {
		return p.post(parent, ctx, deadline, p.chatURL, body, true, passthroughHeaders(passthrough, req.GetSource()))
	})
	if err != nil {
		return err
	}
	defer call.close()

	if isJSON(call.resp.Header.Get("Content-Type")) {
		// Some OpenAI-compatible servers ignore "stream": true. The idle
		// timer keeps running: it bounds reading the whole answer.
		return p.relayUnstreamed(parent, call.ctx, call.resp, send)
	}
	var one [1]*inferencev1.ChatChunk // each event is one chunk; no slice per event
	// Some servers end without [DONE]: the end of the stream is no failure.
	return call.relaySSE(nil, func(ev sseEvent) ([]*inferencev1.ChatChunk, bool, error) {
		if string(ev.data) == "[DONE]" {
			return nil, true, nil
		}
		chunk, err := openai.ParseChunkSummary(ev.data)
		if err != nil {
			return nil, false, err
		}
		if passthrough {
			chunk.Raw, chunk.RawDialect, chunk.RawEvent = ev.data, inferencev1.Dialect_DIALECT_OPENAI_CHAT, ev.name
		}
		chunk.Model = firstNonEmpty(chunk.Model, p.model)
		one[0] = chunk
		return one[:], false, nil
	}, send)
}

func isJSON(contentType string) bool {
	return strings.HasPrefix(strings.TrimSpace(strings.ToLower(contentType)), "application/json")
}

// relayUnstreamed turns a complete JSON answer to a stream request into the
// chunks a stream would have carried: the content, the finish, the usage.
func (p *openAIProvider) relayUnstreamed(parent, ctx context.Context, resp *http.Response, send ChunkSender) error {
	raw, err := readAll(resp.Body, resp.ContentLength, maxResponseBytes)
	if err != nil {
		return transportError(parent, ctx, p.timeout, err)
	}
	r, err := openai.ParseChatResponse(raw)
	if err != nil {
		return malformed(err)
	}
	markFirstByte(parent)
	model := firstNonEmpty(r.GetModel(), p.model)
	chunk := func(deltas []*inferencev1.ChoiceDelta, u *inferencev1.Usage) *inferencev1.ChatChunk {
		return &inferencev1.ChatChunk{Id: r.GetId(), Model: model, Created: r.GetCreated(), Deltas: deltas, Usage: u}
	}
	var content, finish []*inferencev1.ChoiceDelta
	for _, c := range r.GetChoices() {
		d := &inferencev1.ChoiceDelta{Index: c.GetIndex(), Role: inferencev1.Role_ROLE_ASSISTANT}
		for _, part := range c.GetMessage().GetContent() {
			d.Text += part.GetText()
			d.Reasoning += part.GetReasoning().GetText()
		}
		for i, tc := range c.GetMessage().GetToolCalls() {
			d.ToolCalls = append(d.ToolCalls, &inferencev1.ToolCallDelta{Index: int32(i), Id: tc.GetId(), Name: tc.GetName(), ArgumentsJson: tc.GetArgumentsJson()})
		}
		content = append(content, d)
		finish = append(finish, &inferencev1.ChoiceDelta{Index: c.GetIndex(), FinishReason: c.GetFinishReason(), ProviderFinishReason: c.GetProviderFinishReason()})
	}
	// The whole answer arrived at once: its chunks go out as one batch.
	batch := make([]*inferencev1.ChatChunk, 0, 3)
	for _, c := range []*inferencev1.ChatChunk{chunk(content, nil), chunk(finish, nil), chunk(nil, r.GetUsage())} {
		if len(c.Deltas) == 0 && c.Usage == nil {
			continue
		}
		batch = append(batch, c)
	}
	if len(batch) == 0 {
		return nil
	}
	return send(batch...)
}

// post sends one request; clientHeaders are a passthrough client's headers.
func (p *openAIProvider) post(parent, ctx context.Context, deadline time.Time, url string, body []byte, stream bool, clientHeaders map[string]string) (*http.Response, error) {
	return post(parent, ctx, deadline, p.client, p.timeout, p, upstreamPost{
		url: url, body: body, accept: acceptFor(stream), clientHeaders: clientHeaders, entityHeaders: p.headers})
}

func (p *openAIProvider) authorize(_ context.Context, req *http.Request, _ []byte) ([]string, error) {
	return keyAuth(p.secrets, p.apiKey, p.keyHeader, &p.lastKeyHeader, req)
}

func (p *openAIProvider) parseError(status int, h http.Header, body []byte) *errs.Error {
	return UpstreamError(p.kind, status, h, body)
}

// passthroughHeaders are the client headers to forward: only when the
// provider speaks the client's dialect do they mean anything to it.
func passthroughHeaders(passthrough bool, src *inferencev1.Source) map[string]string {
	if !passthrough {
		return nil
	}
	return src.GetHeaders()
}

// readAll reads r to its end, failing past limit bytes; its buffer is
// sized by Content-Length when that is known.
func readAll(r io.Reader, contentLength, limit int64) ([]byte, error) {
	size := int64(4096)
	if contentLength > 0 && contentLength <= limit {
		size = contentLength + 1 // +1 lets the read that sees EOF happen without growing
	}
	buf := make([]byte, 0, size)
	for {
		if len(buf) == cap(buf) {
			buf = slices.Grow(buf, 1)
		}
		n, err := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if int64(len(buf)) > limit {
			return nil, errResponseTooLarge
		}
		if err == io.EOF {
			return buf, nil
		}
		if err != nil {
			return nil, err
		}
	}
}

var errResponseTooLarge = errors.New("provider response exceeds the size limit")

func malformed(err error) *errs.Error {
	e := &errs.Error{Kind: errs.KindUpstream, Code: "upstream_malformed_response",
		Message: "the provider sent a malformed response", Retryable: true}
	return e.Wrap(err)
}

func firstNonEmpty(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
