package provideradapter

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"

	inferencev1 "github.com/tollgate/tollgate/gen/go/tollgate/inference/v1"
	provideradapterv1 "github.com/tollgate/tollgate/gen/go/tollgate/provideradapter/v1"
	"github.com/tollgate/tollgate/services/kit/errs"
)

// relayed is one batch a relay sent: the chunks' ids (an error chunk shows
// as "error:CODE") and how many reads the body had served by then.
type relayed struct {
	ids   string
	reads int
}

// relayScript relays a scripted SSE body whose event data is the chunk id,
// "[DONE]" ending the stream, "fail" a chunk with the provider's error and
// "bad" an event that does not parse.
func relayScript(t *testing.T, endedEarly error, pieces ...string) ([]relayed, error) {
	t.Helper()
	body := &scriptedBody{pieces: pieces}
	call, err := openStream(context.Background(), time.Minute, func(context.Context, time.Time) (*http.Response, error) {
		return &http.Response{StatusCode: http.StatusOK, Body: body}, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	defer call.close()
	var one [1]*inferencev1.ChatChunk // reused like the OpenAI parser's
	parse := func(ev sseEvent) ([]*inferencev1.ChatChunk, bool, error) {
		switch d := string(ev.data); d {
		case "[DONE]":
			return nil, true, nil
		case "bad":
			return nil, false, errors.New("not JSON")
		case "fail":
			one[0] = &inferencev1.ChatChunk{Error: &inferencev1.StreamError{Code: "overloaded"}}
		default:
			one[0] = &inferencev1.ChatChunk{Id: d}
		}
		return one[:], false, nil
	}
	var got []relayed
	err = call.relaySSE(endedEarly, parse, func(chunks ...*inferencev1.ChatChunk) error {
		var ids []string
		for _, c := range chunks {
			if e := c.GetError(); e != nil {
				ids = append(ids, "error:"+e.GetCode())
			} else {
				ids = append(ids, c.GetId())
			}
		}
		got = append(got, relayed{strings.Join(ids, " "), body.reads})
		return nil
	})
	return got, err
}

func TestRelaySSEBatchesEventsThatArrivedTogether(t *testing.T) {
	got, err := relayScript(t, nil,
		"data: a\n\ndata: b\n\n", // two events in one read: one batch
		"data: c\n\n",            // one event alone
		"data: d\n\ndata: e",     // e is not complete yet: d goes alone
		"\n\n: ping\n\ndata: f\n\ndata: [DONE]\n\ndata: after-done\n\n")
	if err != nil {
		t.Fatal(err)
	}
	// Each batch goes out before the next read: nothing waits for company.
	want := []relayed{{"a b", 1}, {"c", 2}, {"d", 3}, {"e f", 4}}
	if !slices.Equal(got, want) {
		t.Fatalf("batches %v, want %v", got, want)
	}
}

func TestRelaySSEStopsABatchAtTheProvidersError(t *testing.T) {
	got, err := relayScript(t, nil, "data: a\n\ndata: fail\n\ndata: c\n\n")
	if err != nil {
		t.Fatal(err)
	}
	if want := []relayed{{"a error:overloaded", 1}}; !slices.Equal(got, want) {
		t.Fatalf("batches %v, want %v", got, want)
	}
}

func TestRelaySSEFailuresWithinABatch(t *testing.T) {
	t.Run("a malformed event after good ones", func(t *testing.T) {
		// The events before it are sent, then the failure as a final chunk.
		got, err := relayScript(t, nil, "data: a\n\ndata: bad\n\ndata: c\n\n")
		if err != nil {
			t.Fatal(err)
		}
		if want := []relayed{{"a", 1}, {"error:upstream_malformed_response", 1}}; !slices.Equal(got, want) {
			t.Fatalf("batches %v, want %v", got, want)
		}
	})
	t.Run("a malformed first event", func(t *testing.T) {
		// Nothing was sent: the failure is an error a fallback may retry.
		got, err := relayScript(t, nil, "data: bad\n\ndata: c\n\n")
		if e := errs.From(err); len(got) != 0 || e.Code != "upstream_malformed_response" {
			t.Fatalf("batches %v, error %v", got, err)
		}
	})
	t.Run("an early end after a batch", func(t *testing.T) {
		got, err := relayScript(t, errors.New("ended early"), "data: a\n\ndata: b\n\n")
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 2 || got[0].ids != "a b" || !strings.HasPrefix(got[1].ids, "error:") {
			t.Fatalf("batches %v, want a b then an error chunk", got)
		}
	})
}

// recordingStream is the server side of a ChatStream that keeps what was sent.
type recordingStream struct {
	grpc.ServerStream // not called
	ctx               context.Context
	sent              []*provideradapterv1.ChatStreamResponse
}

func (s *recordingStream) Send(m *provideradapterv1.ChatStreamResponse) error {
	s.sent = append(s.sent, m)
	return nil
}

func (s *recordingStream) Context() context.Context { return s.ctx }

// scriptedTransport answers every request with a stream whose bytes arrive as scripted.
type scriptedTransport struct{ pieces []string }

func (s scriptedTransport) RoundTrip(*http.Request) (*http.Response, error) {
	return &http.Response{StatusCode: http.StatusOK, Header: http.Header{"Content-Type": {"text/event-stream"}},
		Body: &scriptedBody{pieces: slices.Clone(s.pieces)}}, nil
}

// chunkEvent is an OpenAI chunk event whose id and text are id.
func chunkEvent(id string) string {
	return `data: {"id":"` + id + `","choices":[{"index":0,"delta":{"content":"` + id + `"}}]}` + "\n\n"
}

func TestChatStreamSendsABatchAsOneMessage(t *testing.T) {
	srv, _ := newTestServer(t, upstreamConfig("http://127.0.0.1:1/v1", "m", "5s", envKey(t)))
	srv.client = &http.Client{Transport: scriptedTransport{pieces: []string{
		chunkEvent("a") + chunkEvent("b"),
		chunkEvent("c"),
		chunkEvent("d") + chunkEvent("e") + "data: [DONE]\n\n",
	}}}
	stream := &recordingStream{ctx: context.Background()}
	req := decodeChat(t, `{"model":"chat","stream":true,"messages":[{"role":"user","content":"hi"}]}`)
	if err := srv.ChatStream(&provideradapterv1.ChatStreamRequest{Target: target("chat", "up"), Request: req}, stream); err != nil {
		t.Fatal(err)
	}
	// Each message keeps its own chunks, though the relay reuses its batch.
	var messages []string
	for _, m := range stream.sent {
		var ids []string
		for _, c := range chunksOf(m) {
			ids = append(ids, c.GetId())
		}
		messages = append(messages, strings.Join(ids, " "))
	}
	if want := []string{"a b", "c", "d e"}; !slices.Equal(messages, want) {
		t.Fatalf("messages %q, want %q", messages, want)
	}
}
