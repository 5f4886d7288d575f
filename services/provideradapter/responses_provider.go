package provideradapter

import (
	"context"
	"errors"
	"io"
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
	resp, err := responses.ParseResponse(raw)
	if err != nil {
		return nil, malformed(err)
	}
	resp.Model = firstNonEmpty(resp.GetModel(), p.model)
	if passthrough {
		resp.Raw, resp.RawDialect = raw, inferencev1.Dialect_DIALECT_OPENAI_RESPONSES
	}
	return resp, nil
}

// ChatStream relays the Responses event stream: raw for a Responses client,
// only the events that carry something canonical for others. It ends at
// the provider's terminal event (response.completed, .incomplete, .failed
// or error).
func (p *responsesProvider) ChatStream(parent context.Context, req *inferencev1.ChatRequest, send func(*inferencev1.ChatChunk) error) error {
	body, passthrough, err := p.body(req, true)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithCancelCause(parent)
	defer cancel(nil)
	idle := time.AfterFunc(p.timeout, func() { cancel(errProviderTimeout) })
	defer idle.Stop()

	resp, err := p.post(parent, ctx, p.responsesURL, body, true, passthroughHeaders(passthrough, req.GetSource()))
	if err != nil {
		return err
	}
	defer resp.Body.Close()

	events := newSSEReader(resp.Body)
	defer events.release()
	parser := responses.NewStreamParser()
	sent := false
	for {
		idle.Reset(p.timeout)
		ev, err := events.next()
		idle.Stop() // a slow consumer must not count as a silent provider
		if err != nil {
			if errors.Is(err, io.EOF) {
				err = errors.New("the stream ended before the response completed")
			}
			return streamFailureOf(sent, send, transportError(parent, ctx, p.timeout, err))
		}
		chunks, err := parser.Parse(ev.name, ev.data)
		if err != nil {
			return streamFailureOf(sent, send, malformed(err))
		}
		terminal := false
		for _, c := range chunks {
			switch c.GetRawEvent() {
			case "response.completed", "response.incomplete", "response.failed", "error":
				terminal = true
			}
			if !passthrough {
				if len(c.GetDeltas()) == 0 && c.GetUsage() == nil && c.GetError() == nil {
					continue
				}
				c.Raw, c.RawDialect, c.RawEvent = nil, inferencev1.Dialect_DIALECT_UNSPECIFIED, ""
			}
			c.Model = firstNonEmpty(c.GetModel(), p.model)
			if !sent {
				markFirstByte(parent)
			}
			if err := send(c); err != nil {
				return err
			}
			sent = true
			if c.GetError() != nil {
				return nil
			}
		}
		if terminal {
			return nil
		}
	}
}
