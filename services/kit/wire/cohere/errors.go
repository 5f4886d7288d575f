package cohere

import (
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/tollgate/tollgate/services/kit/wire/retryafter"

	"github.com/tollgate/tollgate/services/kit/errs"
)

// StatusInvalidToken is Cohere's status for an invalid or expired API key.
const StatusInvalidToken = 498

// StatusClientClosed is Cohere's status for a request the caller closed.
const StatusClientClosed = 499

// errorBody is Cohere's error body: {"id": …, "message": …}.
type errorBody struct {
	Message string `json:"message"`
}

// credentialsMessage stands for the messages of credential failures.
const credentialsMessage = "upstream rejected the gateway's credentials"

// ParseError maps a Cohere error answer (HTTP status, body and the
// Retry-After header, empty when absent) to a typed error with
// UpstreamStatus set. The request's own mistakes (400, 422) are
// InvalidArgument and not retryable; rate limits (429) are RateLimited,
// overload (503) Unavailable and timeouts (504, 408) Timeout, all
// retryable; failures of the gateway's key or account (401, 402, 403,
// 498), unknown models (404) and server errors (5xx) are Upstream and
// retryable, so a fallback may try another served entity.
func ParseError(status int, body []byte, retryAfter string) *errs.Error {
	var b errorBody
	_ = json.Unmarshal(body, &b) // a non-JSON body leaves the message to the status
	msg := strings.TrimSpace(b.Message)
	if msg == "" {
		if msg = http.StatusText(status); msg == "" {
			msg = "HTTP " + strconv.Itoa(status)
		}
	}
	e := &errs.Error{UpstreamStatus: status, Retry: retryafter.Parse(retryAfter, time.Now())}
	switch {
	case status == http.StatusBadRequest || status == http.StatusUnprocessableEntity:
		e.Kind, e.Code, e.Message = errs.KindInvalidArgument, "invalid_request", msg
	case status == http.StatusRequestEntityTooLarge:
		e.Kind, e.Code, e.Message = errs.KindTooLarge, "request_too_large", msg
	case status == http.StatusTooManyRequests:
		e.Kind, e.Code, e.Message, e.Retryable = errs.KindRateLimited, "rate_limit_exceeded", "provider rate limit: "+msg, true
	case status == http.StatusServiceUnavailable:
		e.Kind, e.Code, e.Message, e.Retryable = errs.KindUnavailable, "upstream_unavailable", "provider unavailable: "+msg, true
	case status == http.StatusGatewayTimeout || status == http.StatusRequestTimeout:
		e.Kind, e.Code, e.Message, e.Retryable = errs.KindTimeout, "upstream_timeout", "provider timeout: "+msg, true
	case status == http.StatusUnauthorized || status == http.StatusForbidden || status == StatusInvalidToken:
		e.Kind, e.Code, e.Message, e.Retryable = errs.KindUpstream, "upstream_auth_failed", credentialsMessage, true
		e.Wrap(errors.New(msg)) // logged, never shown
	case status == http.StatusPaymentRequired:
		e.Kind, e.Code, e.Message, e.Retryable = errs.KindUpstream, "upstream_billing", "provider billing: "+msg, true
	case status == http.StatusNotFound:
		e.Kind, e.Code, e.Message, e.Retryable = errs.KindUpstream, "upstream_not_found", "provider model not found: "+msg, true
	case status >= 400 && status < 500 && status != StatusClientClosed:
		e.Kind, e.Code, e.Message = errs.KindInvalidArgument, "invalid_request", msg
	default:
		e.Kind, e.Code, e.Message, e.Retryable = errs.KindUpstream, "upstream_error", "provider error: "+msg, true
	}
	return e
}
