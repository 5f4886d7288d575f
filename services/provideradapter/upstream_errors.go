package provideradapter

import (
	"context"
	"errors"
	"net"
	"net/http"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/tollgate/tollgate/services/kit/wire/retryafter"

	"github.com/tollgate/tollgate/services/kit/errs"
	"github.com/tollgate/tollgate/services/kit/wire/openai"
)

// errProviderTimeout is the cancellation cause when a served entity's own
// timeout (not the caller's deadline) ends a call.
var errProviderTimeout = errors.New("provider timeout")

// Retryable reports whether a fallback may send the same request to another
// served entity after err: the provider is rate limiting, failing, slow or
// unreachable, as opposed to the request being wrong. It follows what
// Databricks' gateway falls back on (429 and 5xx) plus timeouts and
// connection failures.
func Retryable(err error) bool {
	e := errs.From(err)
	if e == nil {
		return false
	}
	switch e.Kind {
	case errs.KindRateLimited, errs.KindUnavailable, errs.KindTimeout:
		return true
	}
	return e.Retryable
}

// UpstreamError maps a provider's non-2xx HTTP answer to a Tollgate error.
// provider is the provider kind, so mappings can differ per provider later;
// all current ones speak OpenAI's error format. secrets are redacted from
// any upstream text that is passed on.
func UpstreamError(provider string, status int, header http.Header, body []byte, secrets ...string) *errs.Error {
	msg, param, code, ok := openai.ParseError(body)
	if !ok {
		msg = ""
	}
	msg = redact(msg, secrets)
	switch {
	case status == http.StatusBadRequest || status == http.StatusNotFound || status == http.StatusUnprocessableEntity:
		if msg == "" {
			msg = "the provider rejected the request (HTTP " + strconv.Itoa(status) + ")"
		}
		if code == "" {
			code = "invalid_request"
		}
		e := errs.New(errs.KindInvalidArgument, code, "%s", msg).WithParam(param)
		e.UpstreamStatus = status
		return e
	case status == http.StatusUnauthorized || status == http.StatusForbidden:
		// The client's request is fine; the gateway's own key is not. Saying
		// more would leak details of the gateway's provider account.
		return &errs.Error{Kind: errs.KindUpstream, Code: "upstream_auth_failed",
			Message: "upstream rejected the gateway's credentials", UpstreamStatus: status}
	case status == http.StatusRequestEntityTooLarge:
		e := errs.New(errs.KindTooLarge, "request_too_large", "the provider rejected the request as too large")
		e.UpstreamStatus = status
		return e
	case status == http.StatusTooManyRequests:
		e := errs.RateLimited(retryafter.FromHeader(header, time.Now()), "the provider is rate limiting requests; retry later")
		e.UpstreamStatus, e.Retryable = status, true
		return e
	case status == http.StatusRequestTimeout || status == http.StatusGatewayTimeout:
		return &errs.Error{Kind: errs.KindTimeout, Code: "upstream_timeout",
			Message: "the provider timed out (HTTP " + strconv.Itoa(status) + ")", UpstreamStatus: status, Retryable: true}
	case status >= 500:
		text := "the provider failed (HTTP " + strconv.Itoa(status) + ")"
		if msg != "" {
			text += ": " + msg
		}
		return &errs.Error{Kind: errs.KindUpstream, Code: "upstream_error", Message: text,
			UpstreamStatus: status, Retryable: true, Retry: retryafter.FromHeader(header, time.Now())}
	}
	text := "the provider answered HTTP " + strconv.Itoa(status)
	if msg != "" {
		text += ": " + msg
	}
	return &errs.Error{Kind: errs.KindUpstream, Code: "upstream_error", Message: text, UpstreamStatus: status}
}

func redact(s string, secrets []string) string {
	for _, sec := range secrets {
		if sec != "" && strings.Contains(s, sec) {
			s = strings.ReplaceAll(s, sec, "[redacted]")
		}
	}
	return s
}

// transportError classifies a failure to talk to the provider. parent is
// the caller's context, call the one bounding this provider call.
func transportError(parent, call context.Context, timeout time.Duration, err error) *errs.Error {
	switch {
	case errors.Is(parent.Err(), context.Canceled):
		return errs.New(errs.KindCanceled, "canceled", "the request was canceled").Wrap(err)
	case parent.Err() != nil:
		return errs.New(errs.KindTimeout, "timeout", "the request timed out").Wrap(err)
	case errors.Is(err, errProviderTimeout) || errors.Is(context.Cause(call), errProviderTimeout):
		e := errs.New(errs.KindTimeout, "upstream_timeout", "the provider did not answer within %s", timeout).Wrap(err)
		e.Retryable = true
		return e
	case errors.Is(err, syscall.ECONNREFUSED) || isDialError(err):
		e := errs.New(errs.KindUnavailable, "upstream_unavailable", "could not connect to the provider").Wrap(err)
		e.Retryable = true
		return e
	}
	e := errs.New(errs.KindUnavailable, "upstream_unavailable", "the connection to the provider failed").Wrap(err)
	e.Retryable = true
	return e
}

func isDialError(err error) bool {
	var op *net.OpError
	return errors.As(err, &op) && op.Op == "dial"
}
