package router

import (
	"context"
	"strings"
	"sync"
	"testing"

	"google.golang.org/grpc"

	inferencev1 "github.com/tollgate/tollgate/gen/go/tollgate/inference/v1"
	provideradapterv1 "github.com/tollgate/tollgate/gen/go/tollgate/provideradapter/v1"
	"github.com/tollgate/tollgate/services/kit/errs"
	"github.com/tollgate/tollgate/services/kit/wire/anthropic"
	"github.com/tollgate/tollgate/services/kit/wire/responses"
)

// dialectsConfig has one endpoint per kind of provider answer the stub
// adapter gives (by served entity name): an Anthropic provider's raw
// frames, a Responses provider's raw frames, canonical chunks only (a
// provider of a third dialect), a failing provider and a stream that
// breaks after its first chunk.
const dialectsConfig = `
endpoints:
  - name: claude
    task: chat
    served_entities: [{name: anthropic, provider: fake, model: claude-up}]
    permissions: [{group: users, level: CAN_QUERY}]
  - name: codex
    task: chat
    served_entities: [{name: responses, provider: fake, model: gpt-up}]
    permissions: [{group: users, level: CAN_QUERY}]
  - name: other
    task: chat
    served_entities: [{name: canonical, provider: fake, model: other-up}]
    permissions: [{group: users, level: CAN_QUERY}]
  - name: down
    task: chat
    served_entities: [{name: down, provider: fake, model: m-down}]
    permissions: [{group: users, level: CAN_QUERY}]
  - name: midfail
    task: chat
    served_entities: [{name: midfail, provider: fake, model: m-mid}]
    permissions: [{group: users, level: CAN_QUERY}]
  - name: midoverload
    task: chat
    served_entities: [{name: midoverload, provider: fake, model: m-mid}]
    permissions: [{group: users, level: CAN_QUERY}]
  - name: limited
    task: chat
    served_entities: [{name: canonical, provider: fake, model: other-up}]
    permissions: [{group: users, level: CAN_QUERY}]
  - name: private
    task: chat
    served_entities: [{name: canonical, provider: fake, model: other-up}]
    permissions: [{principal: alice, level: CAN_QUERY}]
  - name: vectors
    task: embeddings
    served_entities: [{name: ok, provider: fake, model: e-ok}]
    permissions: [{group: users, level: CAN_QUERY}]
principals:
  - {name: alice}
  - {name: bob}
groups: []
tokens:
  - {principal: alice, sha256: 9c220f200955d76c0a38d308225e0ef10c5f971acaf2f8d1d8f732affa5bd1dc}
  - {principal: bob, sha256: 97dd3707015dcf069cf73022ed7173b1165db6eff24b441cb57fd069a8c4e525}
`

// The raw answers of the stub's Anthropic provider.
const (
	anthropicUnaryRaw = `{"id":"msg_up","type":"message","role":"assistant","model":"claude-up","content":[{"type":"text","text":"hi from claude"}],"stop_reason":"end_turn","stop_sequence":null,"usage":{"input_tokens":7,"output_tokens":3}}`
)

var anthropicStreamRaw = [][2]string{
	{"message_start", `{"type":"message_start","message":{"id":"msg_up","type":"message","role":"assistant","model":"claude-up","content":[],"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":7,"output_tokens":1}}}`},
	{"content_block_start", `{"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}`},
	{"ping", `{"type": "ping"}`},
	{"content_block_delta", `{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"hi from "}}`},
	{"content_block_delta", `{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"claude"}}`},
	{"content_block_stop", `{"type":"content_block_stop","index":0}`},
	{"message_delta", `{"type":"message_delta","delta":{"stop_reason":"end_turn","stop_sequence":null},"usage":{"output_tokens":3}}`},
	{"message_stop", `{"type":"message_stop"}`},
}

// The raw answers of the stub's Responses provider.
const responsesUnaryRaw = `{"id":"resp_up","object":"response","created_at":1700000000,"status":"completed","model":"gpt-up","output":[{"id":"msg_up","type":"message","status":"completed","role":"assistant","content":[{"type":"output_text","text":"hi from codex","annotations":[]}]}],"usage":{"input_tokens":5,"output_tokens":3,"total_tokens":8}}`

var responsesStreamRaw = [][2]string{
	{"response.created", `{"type":"response.created","sequence_number":0,"response":{"id":"resp_up","object":"response","created_at":1700000000,"status":"in_progress","model":"gpt-up","output":[]}}`},
	{"response.output_item.added", `{"type":"response.output_item.added","sequence_number":1,"output_index":0,"item":{"id":"msg_up","type":"message","status":"in_progress","role":"assistant","content":[]}}`},
	{"response.output_text.delta", `{"type":"response.output_text.delta","sequence_number":2,"item_id":"msg_up","output_index":0,"content_index":0,"delta":"hi from codex"}`},
	{"response.output_item.done", `{"type":"response.output_item.done","sequence_number":3,"output_index":0,"item":{"id":"msg_up","type":"message","status":"completed","role":"assistant","content":[{"type":"output_text","text":"hi from codex","annotations":[]}]}}`},
	{"response.completed", `{"type":"response.completed","sequence_number":4,"response":{"id":"resp_up","object":"response","created_at":1700000000,"status":"completed","model":"gpt-up","output":[{"id":"msg_up","type":"message","status":"completed","role":"assistant","content":[{"type":"output_text","text":"hi from codex","annotations":[]}]}],"usage":{"input_tokens":5,"output_tokens":3,"total_tokens":8}}}`},
}

// dialectStub is a provider adapter whose answers depend on the served
// entity, as the real adapter's would on the provider's dialect.
type dialectStub struct {
	provideradapterv1.UnimplementedProviderAdapterServiceServer
	mu   sync.Mutex
	reqs []*inferencev1.ChatRequest
}

func (a *dialectStub) record(r *inferencev1.ChatRequest) {
	a.mu.Lock()
	a.reqs = append(a.reqs, r)
	a.mu.Unlock()
}

func (a *dialectStub) last() *inferencev1.ChatRequest {
	a.mu.Lock()
	defer a.mu.Unlock()
	if len(a.reqs) == 0 {
		return nil
	}
	return a.reqs[len(a.reqs)-1]
}

var errStubDown = &errs.Error{Kind: errs.KindUpstream, Code: "upstream_error", Message: "provider returned 500", UpstreamStatus: 500, Retryable: true}

func (a *dialectStub) Chat(ctx context.Context, req *provideradapterv1.ChatRequest) (*provideradapterv1.ChatResponse, error) {
	a.record(req.GetRequest())
	var resp *inferencev1.ChatResponse
	var err error
	switch req.GetTarget().GetServedEntityName() {
	case "anthropic":
		resp, err = anthropic.ParseResponse([]byte(anthropicUnaryRaw))
		if err == nil {
			resp.Raw, resp.RawDialect = []byte(anthropicUnaryRaw), inferencev1.Dialect_DIALECT_ANTHROPIC_MESSAGES
		}
	case "responses":
		resp, err = responses.ParseResponse([]byte(responsesUnaryRaw))
		if err == nil {
			resp.Raw, resp.RawDialect = []byte(responsesUnaryRaw), inferencev1.Dialect_DIALECT_OPENAI_RESPONSES
		}
	case "canonical", "midfail":
		resp = canonicalAnswer(req.GetRequest())
	default:
		return nil, errStubDown
	}
	if err != nil {
		return nil, err
	}
	return &provideradapterv1.ChatResponse{Provider: "stub", Response: resp}, nil
}

// wantsTool says whether the stub answers with a tool call: when the
// client offered tools.
func wantsTool(r *inferencev1.ChatRequest) bool { return len(r.GetTools()) > 0 }

func canonicalAnswer(r *inferencev1.ChatRequest) *inferencev1.ChatResponse {
	msg := &inferencev1.Message{Role: inferencev1.Role_ROLE_ASSISTANT}
	finish := inferencev1.FinishReason_FINISH_REASON_STOP
	if wantsTool(r) {
		msg.ToolCalls = []*inferencev1.ToolCall{{Id: "call_42", Name: r.GetTools()[0].GetName(), ArgumentsJson: `{"city":"Paris"}`}}
		finish = inferencev1.FinishReason_FINISH_REASON_TOOL_CALLS
	} else {
		msg.Content = []*inferencev1.ContentPart{{Part: &inferencev1.ContentPart_Text{Text: "hello"}}}
	}
	return &inferencev1.ChatResponse{Id: "chatcmpl-1", Model: "other-up", Created: 1700000000,
		Choices: []*inferencev1.Choice{{Message: msg, FinishReason: finish}},
		Usage:   &inferencev1.Usage{InputTokens: 4, OutputTokens: 2, TotalTokens: 6}}
}

func canonicalChunks(r *inferencev1.ChatRequest) []*inferencev1.ChatChunk {
	head := func(d ...*inferencev1.ChoiceDelta) *inferencev1.ChatChunk {
		return &inferencev1.ChatChunk{Id: "chatcmpl-1", Model: "other-up", Created: 1700000000, Deltas: d}
	}
	out := []*inferencev1.ChatChunk{head(&inferencev1.ChoiceDelta{Role: inferencev1.Role_ROLE_ASSISTANT})}
	finish := inferencev1.FinishReason_FINISH_REASON_STOP
	if wantsTool(r) {
		name := r.GetTools()[0].GetName()
		out = append(out,
			head(&inferencev1.ChoiceDelta{ToolCalls: []*inferencev1.ToolCallDelta{{Index: 0, Id: "call_42", Name: name}}}),
			head(&inferencev1.ChoiceDelta{ToolCalls: []*inferencev1.ToolCallDelta{{Index: 0, ArgumentsJson: `{"city":`}}}),
			head(&inferencev1.ChoiceDelta{ToolCalls: []*inferencev1.ToolCallDelta{{Index: 0, ArgumentsJson: `"Paris"}`}}}))
		finish = inferencev1.FinishReason_FINISH_REASON_TOOL_CALLS
	} else {
		out = append(out, head(&inferencev1.ChoiceDelta{Text: "hel"}), head(&inferencev1.ChoiceDelta{Text: "lo"}))
	}
	out = append(out, head(&inferencev1.ChoiceDelta{FinishReason: finish}))
	last := head()
	last.Usage = &inferencev1.Usage{InputTokens: 4, OutputTokens: 2, TotalTokens: 6}
	return append(out, last)
}

func (a *dialectStub) ChatStream(req *provideradapterv1.ChatStreamRequest, out grpc.ServerStreamingServer[provideradapterv1.ChatStreamResponse]) error {
	a.record(req.GetRequest())
	var chunks []*inferencev1.ChatChunk
	switch req.GetTarget().GetServedEntityName() {
	case "anthropic":
		p := anthropic.NewStreamParser()
		for _, ev := range anthropicStreamRaw {
			cs, err := p.Parse(ev[0], []byte(ev[1]))
			if err != nil {
				return err
			}
			chunks = append(chunks, cs...)
		}
	case "responses":
		p := responses.NewStreamParser()
		for _, ev := range responsesStreamRaw {
			cs, err := p.Parse(ev[0], []byte(ev[1]))
			if err != nil {
				return err
			}
			chunks = append(chunks, cs...)
		}
	case "canonical":
		chunks = canonicalChunks(req.GetRequest())
	case "midfail":
		chunks = canonicalChunks(req.GetRequest())[:2]
		chunks = append(chunks, &inferencev1.ChatChunk{Error: &inferencev1.StreamError{Code: "upstream_error", Message: "the provider connection broke", Retryable: true}})
	case "midoverload": // an Anthropic provider's own error event
		chunks = canonicalChunks(req.GetRequest())[:2]
		chunks = append(chunks, &inferencev1.ChatChunk{Error: &inferencev1.StreamError{Code: "overloaded_error", Message: "Overloaded", Retryable: true}})
	default:
		return errStubDown
	}
	for _, c := range chunks {
		if err := out.Send(&provideradapterv1.ChatStreamResponse{Chunk: c}); err != nil {
			return err
		}
	}
	return nil
}

type dialectFixture struct {
	url     string
	adapter *dialectStub
	usage   *recordingSink
}

func newDialectFixture(t *testing.T) *dialectFixture {
	t.Helper()
	f := &dialectFixture{adapter: &dialectStub{}, usage: &recordingSink{}}
	f.url = serveRouter(t, dialectsConfig, f.adapter, "limited", f.usage)
	return f
}

// sseFrame is one parsed server-sent event.
type sseFrame struct{ event, data string }

func parseSSE(t *testing.T, body string) []sseFrame {
	t.Helper()
	var out []sseFrame
	for _, block := range strings.Split(body, "\n\n") {
		if strings.TrimSpace(block) == "" {
			continue
		}
		var f sseFrame
		for _, line := range strings.Split(block, "\n") {
			switch {
			case strings.HasPrefix(line, "event: "):
				f.event = line[len("event: "):]
			case strings.HasPrefix(line, "data: "):
				f.data = line[len("data: "):]
			default:
				t.Fatalf("unexpected SSE line %q in %q", line, body)
			}
		}
		out = append(out, f)
	}
	return out
}

func eventNames(frames []sseFrame) string {
	names := make([]string, len(frames))
	for i, f := range frames {
		names[i] = f.event
	}
	return strings.Join(names, ",")
}
