package upstream

import (
	"context"
	"errors"
	"io"
	"net/http"
	"time"
)

// callDeadline is when a request must be answered, its body included, and
// the error its passing is reported as; the zero value is no deadline.
type callDeadline struct {
	at    time.Time
	cause error
}

func (d callDeadline) passed() bool { return !d.at.IsZero() && !time.Now().Before(d.at) }

// exceeded is err, reported as the deadline's passing.
func (d callDeadline) exceeded(err error) error { return &deadlineError{err: err, cause: d.cause} }

// explain reports err as the deadline's passing when it has passed (a
// connection's deadline ends its I/O with a timeout error); other errors
// are returned as they are.
func (d callDeadline) explain(err error) error {
	if err == nil || !d.passed() {
		return err
	}
	return d.exceeded(err)
}

// deadlineError is a failure caused by a request's deadline: it reads as
// the failure itself and is also context.DeadlineExceeded and the caller's
// cause for errors.Is.
type deadlineError struct{ err, cause error }

func (e *deadlineError) Error() string { return e.err.Error() }

func (e *deadlineError) Unwrap() []error { return []error{e.err, context.DeadlineExceeded, e.cause} }

// Timeout says the failure is a timeout, as net errors do.
func (e *deadlineError) Timeout() bool { return true }

// DoBefore is Do for a request to be answered, body included, by deadline
// (none when zero). A failure the deadline causes is, for errors.Is, both
// context.DeadlineExceeded and cause. With a client of NewClient the
// deadline is the connection's own I/O deadline, which costs no timer and
// no context; with any other client the request gets a context with the
// deadline, released when the response body is closed.
func DoBefore(client *http.Client, req *http.Request, deadline time.Time, cause error) (*http.Response, error) {
	if deadline.IsZero() {
		return Do(client, req)
	}
	if cause == nil {
		cause = context.DeadlineExceeded
	}
	dl := callDeadline{at: deadline, cause: cause}
	if t, ok := direct(client); ok && sentDirectly(req) {
		return t.do(req, dl)
	}
	ctx, cancel := context.WithDeadlineCause(req.Context(), deadline, cause)
	resp, err := client.Do(req.WithContext(ctx))
	if err != nil {
		if errors.Is(context.Cause(ctx), cause) {
			err = dl.exceeded(err)
		}
		cancel()
		return nil, err
	}
	resp.Body = &cancelingBody{ReadCloser: resp.Body, ctx: ctx, cancel: cancel, dl: dl}
	return resp, nil
}

// cancelingBody releases its request's context once closed, and reports a
// read that the context's deadline ended as the deadline's passing.
type cancelingBody struct {
	io.ReadCloser
	ctx    context.Context
	cancel context.CancelFunc
	dl     callDeadline
}

func (b *cancelingBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if err != nil && err != io.EOF && errors.Is(context.Cause(b.ctx), b.dl.cause) {
		err = b.dl.exceeded(err)
	}
	return n, err
}

func (b *cancelingBody) Close() error {
	err := b.ReadCloser.Close()
	b.cancel()
	return err
}
