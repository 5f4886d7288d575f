package provideradapter

import (
	"context"
	"errors"
	"io"
	"net/http"
	"sync"
	"time"

	inferencev1 "github.com/tollgate/tollgate/gen/go/tollgate/inference/v1"
	"github.com/tollgate/tollgate/services/kit/errs"
)

// postFunc sends one provider request within ctx, to be answered by
// deadline when that is set (see upstream.DoBefore), and returns its 2xx
// response; a provider's post method, bound to its URL and body.
type postFunc func(ctx context.Context, deadline time.Time) (*http.Response, error)

// readUnary posts and returns the whole 2xx answer and its headers, all
// within the served entity's timeout. Every provider's unary call has this
// shape; only what they send and how they parse differs. The timeout is a
// deadline on the request, not a context: on the gateway's own transport it
// costs no timer (an error it causes is errProviderTimeout).
func readUnary(parent context.Context, timeout time.Duration, post postFunc) ([]byte, http.Header, error) {
	resp, err := post(parent, time.Now().Add(timeout))
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	markFirstByte(parent)
	raw, err := readAll(resp.Body, resp.ContentLength, maxResponseBytes)
	if err != nil {
		return nil, nil, transportError(parent, parent, timeout, err)
	}
	return raw, resp.Header, nil
}

// parseChat parses a unary chat answer, naming the served entity's model
// where the provider named none. A passthrough answer (rawDialect set) is
// parsed with parseSummary, since the router forwards its bytes and needs
// only the summary, and carries those bytes in Raw.
func parseChat(raw []byte, model string, rawDialect inferencev1.Dialect, parse, parseSummary func([]byte) (*inferencev1.ChatResponse, error)) (*inferencev1.ChatResponse, error) {
	passthrough := rawDialect != inferencev1.Dialect_DIALECT_UNSPECIFIED
	if passthrough {
		parse = parseSummary
	}
	out, err := parse(raw)
	if err != nil {
		return nil, malformed(err)
	}
	out.Model = firstNonEmpty(out.GetModel(), model)
	if passthrough {
		out.Raw, out.RawDialect = raw, rawDialect
	}
	return out, nil
}

// rawDialectIf is dialect for a passthrough answer and none otherwise.
func rawDialectIf(passthrough bool, dialect inferencev1.Dialect) inferencev1.Dialect {
	if !passthrough {
		return inferencev1.Dialect_DIALECT_UNSPECIFIED
	}
	return dialect
}

// streamCall is an open streaming call. The served entity's timeout bounds
// the wait for the first byte and every gap between events, not the whole
// stream: idle cancels ctx when it fires.
type streamCall struct {
	parent, ctx context.Context
	cancel      context.CancelCauseFunc
	idle        *time.Timer
	timeout     time.Duration
	resp        *http.Response
}

// openStream posts a stream request; close the call when done with it.
// The call is returned by value so that it can stay on the caller's stack.
func openStream(parent context.Context, timeout time.Duration, post postFunc) (streamCall, error) {
	ctx, cancel := context.WithCancelCause(parent)
	idle := time.AfterFunc(timeout, func() { cancel(errProviderTimeout) })
	resp, err := post(ctx, time.Time{}) // the idle timer bounds the stream, not a deadline
	if err != nil {
		idle.Stop()
		cancel(nil)
		return streamCall{}, err
	}
	return streamCall{parent: parent, ctx: ctx, cancel: cancel, idle: idle, timeout: timeout, resp: resp}, nil
}

func (s *streamCall) close() {
	s.resp.Body.Close()
	s.idle.Stop()
	s.cancel(nil)
}

// transportError types a read failure of this call.
func (s *streamCall) transportError(err error) *errs.Error {
	return transportError(s.parent, s.ctx, s.timeout, err)
}

// sseParseFunc turns one event into the chunks to send (already filtered
// and completed for the client), and reports whether it ended the stream.
type sseParseFunc func(ev sseEvent) (chunks []*inferencev1.ChatChunk, done bool, err error)

// relaySSE relays the call's Server-Sent Events until parse says the
// stream is done, a chunk carries the provider's own error, or the stream
// ends. endedEarly is the failure an end of stream means; nil when the
// provider may end a stream by closing it. Events that arrived together
// (already buffered when one is parsed) go out as one batch; the relay never
// waits for more events to fill a batch.
func (s *streamCall) relaySSE(endedEarly error, parse sseParseFunc, send ChunkSender) error {
	events := newSSEReader(s.resp.Body)
	defer events.release()
	sent := false
	batch := getChunkBatch() // parse may reuse its own slice; send must not keep this one
	defer putChunkBatch(batch)
	for {
		s.idle.Reset(s.timeout)
		ev, err := events.next()
		s.idle.Stop() // a slow consumer must not count as a silent provider
		if err != nil {
			if errors.Is(err, io.EOF) {
				if endedEarly == nil {
					return nil
				}
				err = endedEarly
			}
			return streamFailureOf(sent, send, s.transportError(err))
		}
		var done bool
		var failure *errs.Error // ends the stream once the batch before it is sent
		batch.chunks, done, failure = s.collect(events, ev, parse, batch.chunks[:0])
		if stop, err := sendChunks(s.parent, batch.chunks, &sent, send); stop || err != nil {
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

// chunkBatch holds the chunks of events that arrived together; recycled
// across streams, so that batching costs no allocation per stream.
type chunkBatch struct{ chunks []*inferencev1.ChatChunk }

var chunkBatches = sync.Pool{New: func() any { return &chunkBatch{chunks: make([]*inferencev1.ChatChunk, 0, 16)} }}

func getChunkBatch() *chunkBatch { return chunkBatches.Get().(*chunkBatch) }

// putChunkBatch recycles b, dropping its chunks so the pool keeps none alive.
func putChunkBatch(b *chunkBatch) {
	if cap(b.chunks) > 1024 {
		return // an outsized batch is not worth keeping
	}
	clear(b.chunks[:cap(b.chunks)])
	b.chunks = b.chunks[:0]
	chunkBatches.Put(b)
}

// collect parses ev and then every further event already buffered, adding
// their chunks to batch, until an event ends the stream or carries the
// provider's error, or nothing complete is buffered. None of it waits for
// the network. It returns the batch, whether the stream is done, and the
// failure (a parse error) to report after the batch so far.
func (s *streamCall) collect(events *sseReader, ev sseEvent, parse sseParseFunc, batch []*inferencev1.ChatChunk) ([]*inferencev1.ChatChunk, bool, *errs.Error) {
	for {
		chunks, done, err := parse(ev)
		if err != nil {
			return batch, false, malformed(err)
		}
		batch = append(batch, chunks...) // copied: parse may reuse chunks for the next event
		if done || carriesError(chunks) || !events.eventBuffered() {
			return batch, done, nil
		}
		if ev, err = events.next(); err != nil {
			return batch, false, s.transportError(err) // not expected: the event was buffered whole
		}
	}
}

// sendChunks sends chunks as one batch, up to and including the first that
// carries the provider's own error, marking the first byte of the call
// before the first batch sent. stop says a chunk carried that error, which
// ends the stream.
func sendChunks(parent context.Context, chunks []*inferencev1.ChatChunk, sent *bool, send ChunkSender) (stop bool, err error) {
	for i, c := range chunks {
		if c.GetError() != nil {
			chunks, stop = chunks[:i+1], true
			break
		}
	}
	if len(chunks) == 0 {
		return false, nil
	}
	if !*sent {
		markFirstByte(parent)
	}
	if err := send(chunks...); err != nil {
		return true, err
	}
	*sent = true
	return stop, nil
}

// carriesError reports whether one of chunks carries the provider's own error.
func carriesError(chunks []*inferencev1.ChatChunk) bool {
	for _, c := range chunks {
		if c.GetError() != nil {
			return true
		}
	}
	return false
}

// canonicalOnly drops the chunks that carry nothing canonical (pings,
// block stops…) and strips the raw frame from the rest, for a client of
// another dialect. It filters in place.
func canonicalOnly(chunks []*inferencev1.ChatChunk) []*inferencev1.ChatChunk {
	kept := chunks[:0]
	for _, c := range chunks {
		if len(c.GetDeltas()) == 0 && c.GetUsage() == nil && c.GetError() == nil {
			continue
		}
		c.Raw, c.RawDialect, c.RawEvent = nil, inferencev1.Dialect_DIALECT_UNSPECIFIED, ""
		kept = append(kept, c)
	}
	return kept
}

// defaultModel names model in the chunks that name none.
func defaultModel(chunks []*inferencev1.ChatChunk, model string) {
	for _, c := range chunks {
		c.Model = firstNonEmpty(c.GetModel(), model)
	}
}

// streamFailureOf reports e as an error before anything was sent (a
// fallback can still retry) and as a final error chunk after.
func streamFailureOf(sent bool, send ChunkSender, e *errs.Error) error {
	if !sent || e.Kind == errs.KindCanceled {
		return e
	}
	return send(&inferencev1.ChatChunk{Error: &inferencev1.StreamError{
		Code: e.Code, Message: e.Message, Retryable: Retryable(e)}})
}
