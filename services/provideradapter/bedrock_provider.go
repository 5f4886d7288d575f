package provideradapter

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/protocol/eventstream"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	inferencev1 "github.com/tollgate/tollgate/gen/go/tollgate/inference/v1"
	"github.com/tollgate/tollgate/services/kit/config"
	"github.com/tollgate/tollgate/services/kit/errs"
	"github.com/tollgate/tollgate/services/kit/wire/bedrock"
	"github.com/tollgate/tollgate/services/kit/wire/responses"
)

// bedrockSigningName is the service name in Bedrock's SigV4 scope.
const bedrockSigningName = "bedrock"

// bedrockProvider calls Amazon Bedrock's Converse and ConverseStream
// (POST {base_url}/model/{modelId}/converse[-stream]). Requests are signed
// with SigV4 by the AWS SDK's signer, from credentials resolved at every
// call (so rotated or STS-refreshed keys apply at once), or carry a
// Bedrock API key as a bearer token. ConverseStream answers in AWS's
// binary event-stream framing, read with the AWS SDK's decoder (prelude,
// headers and CRCs checked). No client speaks Converse to Tollgate, so
// every request is translated and every answer parsed.
type bedrockProvider struct {
	model     string
	unaryURL  string
	streamURL string
	region    string
	keyID     *config.SecretRef
	secretKey *config.SecretRef
	session   *config.SecretRef
	apiKey    *config.SecretRef
	headers   map[string]string
	timeout   time.Duration
	client    *http.Client
	secrets   *secrets
	signer    *v4.Signer
}

func newBedrockProvider(se *config.ServedEntity, client *http.Client, sec *secrets) *bedrockProvider {
	var opts config.BedrockOptions
	if se.Bedrock != nil {
		opts = *se.Bedrock
	}
	base := firstNonEmpty(se.BaseURL, bedrock.RuntimeURL(opts.Region))
	timeout := se.Timeout.Std()
	if timeout <= 0 {
		timeout = 120 * time.Second
	}
	return &bedrockProvider{
		model:     se.Model,
		unaryURL:  bedrock.ConverseURL(base, se.Model, false),
		streamURL: bedrock.ConverseURL(base, se.Model, true),
		region:    opts.Region,
		keyID:     opts.AccessKeyID,
		secretKey: opts.SecretAccessKey,
		session:   opts.SessionToken,
		apiKey:    se.APIKey,
		headers:   se.Headers,
		timeout:   timeout,
		client:    client,
		secrets:   sec,
		signer:    v4.NewSigner(),
	}
}

func (p *bedrockProvider) body(req *inferencev1.ChatRequest) ([]byte, error) {
	if e := responses.CheckTranslatable(req); e != nil {
		return nil, e // a Responses feature Converse cannot express
	}
	b, err := bedrock.BuildRequest(req, p.model)
	if err != nil {
		if e := errs.From(err); e.Kind == errs.KindInvalidArgument {
			return nil, e
		}
		return nil, errs.Invalid("", "the request cannot be sent to this provider: %v", err)
	}
	return b, nil
}

func (p *bedrockProvider) Chat(parent context.Context, req *inferencev1.ChatRequest) (*inferencev1.ChatResponse, error) {
	body, err := p.body(req)
	if err != nil {
		return nil, err
	}
	raw, header, err := readUnary(parent, p.timeout, func(ctx context.Context, deadline time.Time) (*http.Response, error) {
		return p.post(parent, ctx, deadline, p.unaryURL, body, false)
	})
	if err != nil {
		return nil, err
	}
	out, err := bedrock.ParseResponse(raw)
	if err != nil {
		return nil, malformed(err)
	}
	// Converse names neither; the request id identifies the answer.
	out.Id, out.Model = header.Get("X-Amzn-Requestid"), p.model
	return out, nil
}

// ChatStream relays a ConverseStream. Each event-stream message is an
// event (its :event-type and JSON payload), an exception (:exception-type)
// or an error (:error-code); the stream is complete once messageStop and
// the metadata (usage) that follows it have arrived. The served entity's
// timeout bounds the wait for each message, not the stream.
func (p *bedrockProvider) ChatStream(parent context.Context, req *inferencev1.ChatRequest, send ChunkSender) error {
	body, err := p.body(req) // the same body as Converse's: the URL says stream
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

	// Event-stream framing is binary, not SSE: this loop is relaySSE's
	// counterpart for it, batching the messages that arrived together.
	id := call.resp.Header.Get("X-Amzn-Requestid")
	frames := bufio.NewReaderSize(call.resp.Body, 16<<10)
	decoder := eventstream.NewDecoder()
	parser := bedrock.NewStreamParser()
	var payload []byte
	batch := getChunkBatch() // send must not keep it
	defer putChunkBatch(batch)
	sent := false
	for {
		call.idle.Reset(p.timeout)
		msg, err := nextEventMessage(frames, decoder, payload)
		call.idle.Stop() // a slow consumer must not count as a silent provider
		var done bool
		var failure *errs.Error // ends the stream once the batch before it is sent
		batch.chunks = batch.chunks[:0]
		for {
			if err != nil {
				failure = bedrockReadFailure(&call, parser, err)
				done = failure == nil
				break
			}
			payload = msg.Payload[:0] // reused by the next Decode; no chunk keeps it
			batch.chunks, done, failure = p.addMessage(batch.chunks, msg, parser, id)
			if done || failure != nil || !eventMessageBuffered(frames) {
				break
			}
			msg, err = nextEventMessage(frames, decoder, payload) // buffered whole: does not wait
		}
		if stop, err := sendChunks(parent, batch.chunks, &sent, send); stop || err != nil {
			return err
		}
		if failure != nil {
			return streamFailureOf(sent, send, failure)
		}
		if done {
			return nil
		}
	}
}

// addMessage adds the chunks of one event-stream message to batch. done
// says the stream is complete (messageStop and the metadata after it have
// arrived); failure is an exception or error message, or a payload that
// does not parse.
func (p *bedrockProvider) addMessage(batch []*inferencev1.ChatChunk, msg eventstream.Message, parser *bedrock.StreamParser, id string) ([]*inferencev1.ChatChunk, bool, *errs.Error) {
	switch headerString(msg.Headers, ":message-type") {
	case "event":
	case "exception":
		typ := headerString(msg.Headers, ":exception-type")
		return batch, false, bedrock.ParseError(0, typ, msg.Payload, "")
	default: // "error": a failure of the stream itself, named in headers
		body, _ := json.Marshal(map[string]string{"message": headerString(msg.Headers, ":error-message")})
		return batch, false, bedrock.ParseError(0, headerString(msg.Headers, ":error-code"), body, "")
	}
	event := headerString(msg.Headers, ":event-type")
	chunks, err := parser.Parse(event, msg.Payload)
	if err != nil {
		return batch, false, malformed(err)
	}
	for _, c := range chunks {
		if len(c.GetDeltas()) == 0 && c.GetUsage() == nil {
			continue // contentBlockStop, redacted reasoning: nothing canonical
		}
		c.Raw, c.RawDialect, c.RawEvent = nil, inferencev1.Dialect_DIALECT_UNSPECIFIED, ""
		c.Id, c.Model = id, p.model
		batch = append(batch, c)
	}
	return batch, event == bedrock.EventMetadata && parser.Stopped(), nil
}

// bedrockReadFailure types a failure to read the next message; nil when the
// stream merely ended after messageStop (metadata is optional).
func bedrockReadFailure(call *streamCall, parser *bedrock.StreamParser, err error) *errs.Error {
	if errors.Is(err, io.EOF) && parser.Stopped() {
		return nil
	}
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		err = errors.New("the stream ended before messageStop")
	}
	if isFramingError(err) {
		return malformed(err)
	}
	return call.transportError(err)
}

// eventMessageBuffered reports, without reading, whether the next
// event-stream message is buffered whole, so that decoding it cannot wait
// for the network. Its prelude starts with the message's total length and
// its headers' length; lengths that do not add up (the decoder would read
// past the message) count as not buffered, left to the waiting read.
func eventMessageBuffered(frames *bufio.Reader) bool {
	const framing = 16 // prelude (lengths and their CRC) and the message CRC
	n := frames.Buffered()
	if n < framing {
		return false
	}
	prelude, _ := frames.Peek(8) // buffered: never reads
	total, headers := binary.BigEndian.Uint32(prelude), binary.BigEndian.Uint32(prelude[4:])
	return total >= framing && headers <= total-framing && int64(total) <= int64(n)
}

// maxEventMessage bounds one event-stream message held in memory: the
// decoder itself reads whatever length a message announces.
const maxEventMessage = 16 << 20

var errEventMessageTooLarge = errors.New("provider event-stream message exceeds 16 MiB")

// nextEventMessage decodes the next message, refusing one that announces
// more than maxEventMessage bytes before reading it.
func nextEventMessage(frames *bufio.Reader, decoder *eventstream.Decoder, payload []byte) (eventstream.Message, error) {
	if prelude, err := frames.Peek(4); err == nil && binary.BigEndian.Uint32(prelude) > maxEventMessage {
		return eventstream.Message{}, errEventMessageTooLarge
	}
	return decoder.Decode(frames, payload)
}

// isFramingError tells a malformed event-stream message (checksum,
// lengths, size) from a failure to read one.
func isFramingError(err error) bool {
	var lengthErr eventstream.LengthError
	var checksumErr eventstream.ChecksumError
	return errors.Is(err, errEventMessageTooLarge) || errors.As(err, &lengthErr) || errors.As(err, &checksumErr)
}

// headerString is an event-stream header's string value ("" when absent).
func headerString(h eventstream.Headers, name string) string {
	if v := h.Get(name); v != nil {
		if s, ok := v.Get().(string); ok {
			return s
		}
	}
	return ""
}

func (p *bedrockProvider) Embed(context.Context, *inferencev1.EmbeddingsRequest) (*inferencev1.EmbeddingsResponse, error) {
	return nil, errs.Invalid("model", "provider bedrock serves chat (Converse) only in Tollgate")
}

// post sends one request, signed (or with the Bedrock API key) last.
func (p *bedrockProvider) post(parent, ctx context.Context, deadline time.Time, url string, body []byte, stream bool) (*http.Response, error) {
	accept := "application/json"
	if stream {
		accept = "application/vnd.amazon.eventstream"
	}
	return post(parent, ctx, deadline, p.client, p.timeout, p, upstreamPost{url: url, body: body, accept: accept, entityHeaders: p.headers})
}

func (p *bedrockProvider) parseError(status int, h http.Header, body []byte) *errs.Error {
	return bedrock.ParseError(status, h.Get("X-Amzn-Errortype"), body, h.Get("Retry-After"))
}

// authorize adds the bearer API key, or signs req (every header already
// set: the signature covers them) with SigV4. It returns the secrets used,
// to be kept out of error messages.
func (p *bedrockProvider) authorize(ctx context.Context, req *http.Request, body []byte) ([]string, error) {
	if p.apiKey != nil {
		key, err := p.secrets.resolve(p.apiKey)
		if err != nil {
			return nil, err
		}
		req.Header.Set("Authorization", "Bearer "+key)
		return []string{key}, nil
	}
	var creds aws.Credentials
	for _, s := range []struct {
		ref *config.SecretRef
		dst *string
	}{{p.keyID, &creds.AccessKeyID}, {p.secretKey, &creds.SecretAccessKey}, {p.session, &creds.SessionToken}} {
		if s.ref == nil {
			continue
		}
		v, err := p.secrets.resolve(s.ref)
		if err != nil {
			return nil, err
		}
		*s.dst = v
	}
	if creds.AccessKeyID == "" || creds.SecretAccessKey == "" {
		e := errs.New(errs.KindInternal, "provider_credentials_unavailable", "the gateway's credentials for this model are not configured")
		e.Retryable = true
		return nil, e
	}
	sum := sha256.Sum256(body)
	if err := p.signer.SignHTTP(ctx, creds, req, hex.EncodeToString(sum[:]), bedrockSigningName, p.region, time.Now()); err != nil {
		return nil, errs.New(errs.KindInternal, "internal_error", "could not sign the provider request").Wrap(err)
	}
	return []string{creds.SecretAccessKey, creds.SessionToken}, nil
}
