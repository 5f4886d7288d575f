package router

import (
	"bytes"
	"context"
	"net/http"
	"slices"
	"testing"

	"google.golang.org/genproto/googleapis/api/httpbody"
	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"

	inferencev1 "github.com/tollgate/tollgate/gen/go/tollgate/inference/v1"
	provideradapterv1 "github.com/tollgate/tollgate/gen/go/tollgate/provideradapter/v1"
	routerv1 "github.com/tollgate/tollgate/gen/go/tollgate/router/v1"
)

// batchingAdapter streams scripted messages, each carrying the chunks that
// arrived together at the provider adapter.
type batchingAdapter struct {
	provideradapterv1.UnimplementedProviderAdapterServiceServer
	messages [][]*inferencev1.ChatChunk
}

func (a *batchingAdapter) ChatStream(_ *provideradapterv1.ChatStreamRequest, out grpc.ServerStreamingServer[provideradapterv1.ChatStreamResponse]) error {
	for _, chunks := range a.messages {
		if err := out.Send(&provideradapterv1.ChatStreamResponse{Chunk: chunks[0], MoreChunks: chunks[1:]}); err != nil {
			return err
		}
	}
	return nil
}

// textChunk is an OpenAI passthrough chunk carrying text.
func textChunk(text string) *inferencev1.ChatChunk {
	return &inferencev1.ChatChunk{
		Raw:        []byte(`{"id":"c","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":"` + text + `"}}]}`),
		RawDialect: inferencev1.Dialect_DIALECT_OPENAI_CHAT,
		Deltas:     []*inferencev1.ChoiceDelta{{Text: text}},
	}
}

// usageChunk is an OpenAI passthrough usage chunk.
func usageChunk() *inferencev1.ChatChunk {
	return &inferencev1.ChatChunk{
		Raw:        []byte(`{"id":"c","object":"chat.completion.chunk","choices":[],"usage":{"prompt_tokens":3,"completion_tokens":4,"total_tokens":7}}`),
		RawDialect: inferencev1.Dialect_DIALECT_OPENAI_CHAT,
		Usage:      &inferencev1.Usage{InputTokens: 3, OutputTokens: 4, TotalTokens: 7},
	}
}

// errorChunk is the provider's own error, as the adapter relays it.
func errorChunk() *inferencev1.ChatChunk {
	return &inferencev1.ChatChunk{Error: &inferencev1.StreamError{Code: "upstream_error", Message: "provider failed mid-stream", Retryable: true}}
}

// passthroughFrame is how an OpenAI client gets a passthrough chunk.
func passthroughFrame(c *inferencev1.ChatChunk) string { return "data: " + string(c.GetRaw()) + "\n\n" }

// bodyRecorder is the facade's side of a chat completion: every HttpBody
// the router sent, each of which the facade writes and flushes once.
type bodyRecorder struct {
	grpc.ServerStream // not called
	ctx               context.Context
	writes            []string
}

func (r *bodyRecorder) Send(m *routerv1.CreateChatCompletionResponse) error {
	r.writes = append(r.writes, string(m.GetBody().GetData()))
	return nil
}

func (r *bodyRecorder) Context() context.Context    { return r.ctx }
func (r *bodyRecorder) SetHeader(metadata.MD) error { return nil }

// streamWrites runs one streamed OpenAI chat completion of endpoint "chat"
// against adapter and returns the router's writes and the usage event.
func streamWrites(t *testing.T, adapter provideradapterv1.ProviderAdapterServiceServer) ([]string, *recordingSink) {
	t.Helper()
	usage := &recordingSink{}
	ctx, svc := newTestService(t, testConfig, adapter, "", usage)
	out := &bodyRecorder{ctx: metadata.NewIncomingContext(ctx, metadata.Pairs("authorization", "Bearer "+aliceToken))}
	body := chat("chat", `,"stream":true,"stream_options":{"include_usage":true}`)
	if err := svc.CreateChatCompletion(&routerv1.CreateChatCompletionRequest{
		Body: &httpbody.HttpBody{ContentType: contentTypeJSON, Data: []byte(body)},
	}, out); err != nil {
		t.Fatal(err)
	}
	return out.writes, usage
}

func TestStreamBatchIsOneWrite(t *testing.T) {
	hel, lo, there, finish, u := textChunk("hel"), textChunk("lo"), textChunk(" there"), textChunk(""), usageChunk()
	writes, usage := streamWrites(t, &batchingAdapter{messages: [][]*inferencev1.ChatChunk{
		{hel, lo},   // the first message brings a batch too
		{there},     // a chunk that arrived alone
		{finish, u}, // the usage arrives in a batch's tail
	}})
	want := []string{
		passthroughFrame(hel) + passthroughFrame(lo),
		passthroughFrame(there),
		passthroughFrame(finish) + passthroughFrame(u),
		string(sseDone),
	}
	if !slices.Equal(writes, want) {
		t.Fatalf("writes:\n%q\nwant:\n%q", writes, want)
	}
	ev := usage.last()
	if ev == nil || ev.GetInputTokenCount() != 3 || ev.GetOutputTokenCount() != 4 || ev.GetStatusCode() != http.StatusOK {
		t.Fatalf("usage event %+v: a batched chunk's usage was not observed", ev)
	}
	if ev.GetOutputCharacterCount() != int64(len("hello there")) {
		t.Fatalf("output characters %d, want every batched chunk counted", ev.GetOutputCharacterCount())
	}
}

func TestStreamBatchEndingInTheProvidersError(t *testing.T) {
	hel, lo := textChunk("hel"), textChunk("lo")
	writes, usage := streamWrites(t, &batchingAdapter{messages: [][]*inferencev1.ChatChunk{
		{hel},
		{lo, errorChunk(), textChunk("never")},
	}})
	if len(writes) != 2 || writes[0] != passthroughFrame(hel) {
		t.Fatalf("writes %q", writes)
	}
	// The chunk before the error and the error frame go out together; what
	// followed the error in the batch does not go out at all.
	if !bytes.HasPrefix([]byte(writes[1]), []byte(passthroughFrame(lo)+"data: {\"error\"")) || bytes.Contains([]byte(writes[1]), []byte("never")) {
		t.Fatalf("last write %q: want lo's frame then the error frame", writes[1])
	}
	if ev := usage.last(); ev == nil || ev.GetStatusCode() < 500 {
		t.Fatalf("usage event %+v: want the provider's failure recorded", ev)
	}
}

// BenchmarkStreamBatching is BenchmarkFacadeChat/stream for an
// 11-chunk stream (an Anthropic answer's length) whose chunks arrive one per
// adapter message or all in one.
func BenchmarkStreamBatching(b *testing.B) {
	chunks := []*inferencev1.ChatChunk{}
	for range 10 {
		chunks = append(chunks, textChunk("word "))
	}
	chunks = append(chunks, usageChunk())
	for _, mode := range []struct {
		name     string
		messages [][]*inferencev1.ChatChunk
	}{
		{"one-per-message", slices.Collect(func(yield func([]*inferencev1.ChatChunk) bool) {
			for _, c := range chunks {
				if !yield([]*inferencev1.ChatChunk{c}) {
					return
				}
			}
		})},
		{"batched", [][]*inferencev1.ChatChunk{chunks}},
	} {
		b.Run(mode.name, func(b *testing.B) {
			url := serveRouter(&testing.T{}, testConfig, &batchingAdapter{messages: mode.messages}, "", &recordingSink{})
			benchChatCompletions(b, url, []byte(chat("chat", `,"stream":true`)))
		})
	}
}
