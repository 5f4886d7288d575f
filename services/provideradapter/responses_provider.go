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
	"github.com/tollgate/tollgate/services/kit/wire/responses"
)

// responsesProvider calls an OpenAI or OpenAI-compatible served entity
// through the Responses API (api: responses). A Responses client's body is
// forwarded with only the model rewritten and every event goes back raw;
// other clients' requests are translated. Transport, credentials, errors
// and embeddings are the Chat Completions provider's.
type responsesProvider struct {
	*openAIProvider
	responsesURL string
}

func newResponsesProvider(se *config.ServedEntity, client *http.Client, sec *secrets) *responsesProvider {
	return &responsesProvider{
		openAIProvider: newOpenAIProvider(se, client, sec),
		responsesURL:   strings.TrimRight(se.BaseURL, "/") + "/responses",
	}
}

// body is the upstream request body, and whether it is the client's own.
func (p *responsesProvider) body(req *inferencev1.ChatRequest, stream bool) ([]byte, bool, error) {
	src := req.GetSource()
	if src.GetDialect() == inferencev1.Dialect_DIALECT_OPENAI_RESPONSES && len(src.GetOriginalBody()) > 0 {
		b, err := responses.RewriteForUpstream(src.GetOriginalBody(), p.model)
		return b, true, err
	}
	if stream != req.GetStream() {
		req = proto.CloneOf(req)
		req.Stream = stream
	}
	b, err := responses.BuildRequest(req, p.model)
	if err != nil {
		if e := errs.From(err); e.Kind == errs.KindInvalidArgument {
			return nil, false, e
		}
		return nil, false, errs.Invalid("", "the request cannot be sent to this provider: %v", err)
	}
	return b, false, nil
}

func (p *responsesProvider) Chat(ctx context.Context, req *inferencev1.ChatRequest) (*inferencev1.ChatResponse, error) {
	body, passthrough, err := p.body(req, false)
	if err != nil {
		return nil, err
	}
	raw, err := p.unary(ctx, p.responsesURL, body, passthroughHeaders(passthrough, req.GetSource()))
	if err != nil {
		return nil, err
	}
	return parseChat(raw, p.model, rawDialectIf(passthrough, inferencev1.Dialect_DIALECT_OPENAI_RESPONSES),
		responses.ParseResponse, responses.ParseResponse)
}

var errResponsesEndedEarly = errors.New("the stream ended before the response completed")

// ChatStream relays the Responses event stream: raw for a Responses client,
// only the events that carry something canonical for others. It ends at
// the provider's terminal event (response.completed, .incomplete, .failed
// or error).
func (p *responsesProvider) ChatStream(parent context.Context, req *inferencev1.ChatRequest, send ChunkSender) error {
	body, passthrough, err := p.body(req, true)
	if err != nil {
		return err
	}
	call, err := openStream(parent, p.timeout, func(ctx context.Context, deadline time.Time) (*http.Response, error) {
		return p.post(parent, ctx, deadline, p.responsesURL, body, true, passthroughHeaders(passthrough, req.GetSource()))
	})
	if err != nil {
		return err
	}
	defer call.close()
	parser := responses.NewStreamParser()
	return call.relaySSE(errResponsesEndedEarly, func(ev sseEvent) ([]*inferencev1.ChatChunk, bool, error) {
		chunks, err := parser.Parse(ev.name, ev.data)
		if err != nil {
			return nil, false, err
		}
		terminal := false
		for _, c := range chunks {
			switch c.GetRawEvent() {
			case "response.completed", "response.incomplete", "response.failed", "error":
				terminal = true
			}
		}
		if !passthrough {
			chunks = canonicalOnly(chunks)
		}
		defaultModel(chunks, p.model)
		return chunks, terminal, nil
	}, send)
}
