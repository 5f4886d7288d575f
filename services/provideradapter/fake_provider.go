package provideradapter

import (
	"context"
	"hash/fnv"
	"math"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
	"unicode/utf8"

	inferencev1 "github.com/tollgate/tollgate/gen/go/tollgate/inference/v1"
	"github.com/tollgate/tollgate/services/kit/config"
	"github.com/tollgate/tollgate/services/kit/errs"
)

// Defaults of the fake provider's options.
const (
	defaultFakeChunks      = 4
	defaultFakeErrorStatus = http.StatusServiceUnavailable
	defaultFakeDimensions  = 8
	fakeReplyPrefix        = "This is a fake response to: "
)

// fakeProvider is a deterministic built-in provider for development, tests
// and benchmarks of the gateway itself: same request, same answer. It
// reports usage (estimated as one token per four characters) as a real
// provider would.
type fakeProvider struct {
	model       string
	latency     time.Duration
	chunkDelay  time.Duration
	chunks      int
	errorRate   float64
	errorStatus int
	dimensions  int
	reply       string
	// calls counts calls of this served entity across config reloads; it
	// drives error injection (rate 0.5 fails exactly every second call).
	calls *atomic.Uint64
}

func newFakeProvider(se *config.ServedEntity, calls *atomic.Uint64) *fakeProvider {
	p := &fakeProvider{
		model: se.Model, chunks: defaultFakeChunks, errorStatus: defaultFakeErrorStatus,
		dimensions: defaultFakeDimensions, calls: calls,
	}
	if o := se.Fake; o != nil {
		p.latency, p.chunkDelay, p.errorRate, p.reply = o.Latency.Std(), o.ChunkDelay.Std(), o.ErrorRate, o.Reply
		if o.Chunks > 0 {
			p.chunks = o.Chunks
		}
		if o.ErrorStatus != 0 {
			p.errorStatus = o.ErrorStatus
		}
		if o.Dimensions > 0 {
			p.dimensions = o.Dimensions
		}
	}
	return p
}

// begin counts the call, injects a failure when it is due, and waits out
// the configured latency. It returns the call's sequence number.
func (p *fakeProvider) begin(ctx context.Context) (uint64, error) {
	n := p.calls.Add(1)
	if p.errorRate > 0 && math.Floor(float64(n)*p.errorRate) > math.Floor(float64(n-1)*p.errorRate) {
		body := `{"error":{"message":"injected failure of the fake provider","type":"server_error","param":null,"code":null}}`
		return n, UpstreamError(config.ProviderFake, p.errorStatus, http.Header{"Retry-After": {"1"}}, []byte(body))
	}
	return n, sleep(ctx, p.latency)
}

func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return transportError(ctx, ctx, d, ctx.Err())
	}
}

func (p *fakeProvider) Chat(ctx context.Context, req *inferencev1.ChatRequest) (*inferencev1.ChatResponse, error) {
	n, err := p.begin(ctx)
	if err != nil {
		return nil, err
	}
	markFirstByte(ctx)
	msg := &inferencev1.Message{Role: inferencev1.Role_ROLE_ASSISTANT}
	finish := inferencev1.FinishReason_FINISH_REASON_STOP
	var out string
	if tc := fakeToolCall(req); tc != nil {
		msg.ToolCalls = []*inferencev1.ToolCall{tc}
		finish = inferencev1.FinishReason_FINISH_REASON_TOOL_CALLS
		out = tc.Name + tc.ArgumentsJson
	} else {
		out = p.replyTo(req)
		msg.Content = []*inferencev1.ContentPart{{Part: &inferencev1.ContentPart_Text{Text: out}}}
	}
	return &inferencev1.ChatResponse{
		Id: fakeID(n), Model: p.model, Created: time.Now().Unix(),
		Choices: []*inferencev1.Choice{{Message: msg, FinishReason: finish, ProviderFinishReason: finishWord(finish)}},
		Usage:   fakeUsage(req, out),
	}, nil
}

// ChatStream sends the reply in p.chunks pieces, then a finish chunk, then a
// usage chunk (always: the gateway asks every provider for usage).
func (p *fakeProvider) ChatStream(ctx context.Context, req *inferencev1.ChatRequest, send ChunkSender) error {
	n, err := p.begin(ctx)
	if err != nil {
		return err
	}
	id, created := fakeID(n), time.Now().Unix()
	chunk := func(d *inferencev1.ChoiceDelta) *inferencev1.ChatChunk {
		return &inferencev1.ChatChunk{Id: id, Model: p.model, Created: created, Deltas: []*inferencev1.ChoiceDelta{d}}
	}
	var deltas []*inferencev1.ChoiceDelta
	finish := inferencev1.FinishReason_FINISH_REASON_STOP
	var out string
	if tc := fakeToolCall(req); tc != nil {
		finish = inferencev1.FinishReason_FINISH_REASON_TOOL_CALLS
		out = tc.Name + tc.ArgumentsJson
		deltas = []*inferencev1.ChoiceDelta{
			{ToolCalls: []*inferencev1.ToolCallDelta{{Id: tc.Id, Name: tc.Name}}},
			{ToolCalls: []*inferencev1.ToolCallDelta{{ArgumentsJson: tc.ArgumentsJson}}},
		}
	} else {
		out = p.replyTo(req)
		for _, piece := range splitText(out, p.chunks) {
			deltas = append(deltas, &inferencev1.ChoiceDelta{Text: piece})
		}
	}
	deltas[0].Role = inferencev1.Role_ROLE_ASSISTANT
	deltas = append(deltas, &inferencev1.ChoiceDelta{FinishReason: finish, ProviderFinishReason: finishWord(finish)})
	for i, d := range deltas {
		if i > 0 {
			if err := sleep(ctx, p.chunkDelay); err != nil {
				return p.interrupted(err, send)
			}
		} else {
			markFirstByte(ctx)
		}
		if err := send(chunk(d)); err != nil {
			return err
		}
	}
	usage := &inferencev1.ChatChunk{Id: id, Model: p.model, Created: created, Usage: fakeUsage(req, out)}
	return send(usage)
}

// interrupted ends a stream whose wait was cut short: a canceled client gets
// the error, an expired deadline a final error chunk.
func (p *fakeProvider) interrupted(err error, send ChunkSender) error {
	if e := errs.From(err); e.Kind != errs.KindCanceled {
		if serr := send(&inferencev1.ChatChunk{Error: &inferencev1.StreamError{Code: e.Code, Message: e.Message}}); serr != nil {
			return serr
		}
		return nil
	}
	return err
}

func (p *fakeProvider) Embed(ctx context.Context, req *inferencev1.EmbeddingsRequest) (*inferencev1.EmbeddingsResponse, error) {
	if _, err := p.begin(ctx); err != nil {
		return nil, err
	}
	markFirstByte(ctx)
	dims := p.dimensions
	if d := int(req.GetDimensions()); d > 0 {
		dims = d
	}
	resp := &inferencev1.EmbeddingsResponse{Model: p.model}
	chars := 0
	for i, in := range req.GetInputs() {
		chars += utf8.RuneCountInString(in)
		resp.Embeddings = append(resp.Embeddings, &inferencev1.Embedding{Index: int32(i), Values: FakeVector(in, dims)})
	}
	tokens := estimateTokens(chars)
	resp.Usage = &inferencev1.Usage{InputTokens: tokens, TotalTokens: tokens}
	return resp, nil
}

// FakeVector is the fake provider's embedding of text: a unit vector of dims
// values derived from a hash of text, so equal texts embed equally.
func FakeVector(text string, dims int) []float32 {
	h := fnv.New64a()
	_, _ = h.Write([]byte(text))
	state := h.Sum64()
	v := make([]float32, dims)
	var norm float64
	for i := range v {
		// splitmix64: a cheap, well-mixed sequence from the hash.
		state += 0x9e3779b97f4a7c15
		z := state
		z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
		z = (z ^ (z >> 27)) * 0x94d049bb133111eb
		z ^= z >> 31
		x := float64(int64(z)) / math.MaxInt64
		v[i] = float32(x)
		norm += x * x
	}
	if norm == 0 {
		return v
	}
	scale := 1 / math.Sqrt(norm)
	for i := range v {
		v[i] = float32(float64(v[i]) * scale)
	}
	return v
}

func (p *fakeProvider) replyTo(req *inferencev1.ChatRequest) string {
	if p.reply != "" {
		return p.reply
	}
	return fakeReplyPrefix + lastUserText(req)
}

func lastUserText(req *inferencev1.ChatRequest) string {
	msgs := req.GetMessages()
	for i := len(msgs) - 1; i >= 0; i-- {
		if msgs[i].GetRole() == inferencev1.Role_ROLE_USER {
			return messageText(msgs[i])
		}
	}
	return ""
}

func messageText(m *inferencev1.Message) string {
	var b strings.Builder
	for _, p := range m.GetContent() {
		b.WriteString(p.GetText())
	}
	return b.String()
}

// fakeToolCall decides whether the fake answers with a tool call: when the
// tool choice forces one, or when tools are offered and the last message is
// a user asking about the weather. The call goes to the forced function or
// the first function tool, with empty arguments.
func fakeToolCall(req *inferencev1.ChatRequest) *inferencev1.ToolCall {
	name := ""
	for _, t := range req.GetTools() {
		if t.GetName() != "" {
			name = t.GetName()
			break
		}
	}
	if name == "" {
		return nil
	}
	switch tc := req.GetToolChoice(); tc.GetMode() {
	case inferencev1.ToolChoiceMode_TOOL_CHOICE_MODE_NONE:
		return nil
	case inferencev1.ToolChoiceMode_TOOL_CHOICE_MODE_FUNCTION:
		name = tc.GetFunctionName()
	case inferencev1.ToolChoiceMode_TOOL_CHOICE_MODE_REQUIRED:
	default:
		msgs := req.GetMessages()
		if len(msgs) == 0 {
			return nil
		}
		last := msgs[len(msgs)-1]
		if last.GetRole() != inferencev1.Role_ROLE_USER || !strings.Contains(strings.ToLower(messageText(last)), "weather") {
			return nil
		}
	}
	return &inferencev1.ToolCall{Id: "call_fake_" + name, Name: name, ArgumentsJson: "{}"}
}

// splitText cuts s into at most n pieces of about equal rune counts.
func splitText(s string, n int) []string {
	runes := []rune(s)
	if n > len(runes) {
		n = len(runes)
	}
	if n <= 1 {
		return []string{s}
	}
	out := make([]string, 0, n)
	for i := range n {
		out = append(out, string(runes[i*len(runes)/n:(i+1)*len(runes)/n]))
	}
	return out
}

func fakeUsage(req *inferencev1.ChatRequest, output string) *inferencev1.Usage {
	chars := 0
	for _, m := range req.GetMessages() {
		chars += utf8.RuneCountInString(messageText(m))
		for _, tc := range m.GetToolCalls() {
			chars += utf8.RuneCountInString(tc.GetArgumentsJson())
		}
	}
	in, out := estimateTokens(chars), estimateTokens(utf8.RuneCountInString(output))
	return &inferencev1.Usage{InputTokens: in, OutputTokens: out, TotalTokens: in + out}
}

// estimateTokens is the usual rule of thumb: a token is about four characters.
func estimateTokens(chars int) int64 { return int64((chars + 3) / 4) }

func fakeID(n uint64) string { return "chatcmpl-fake-" + strconv.FormatUint(n, 10) }

func finishWord(f inferencev1.FinishReason) string {
	if f == inferencev1.FinishReason_FINISH_REASON_TOOL_CALLS {
		return "tool_calls"
	}
	return "stop"
}
