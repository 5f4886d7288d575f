package anthropic

import (
	"github.com/tollgate/tollgate/services/kit/wire/internal/jsonx"
	"github.com/tollgate/tollgate/services/kit/wire/retryafter"

	"encoding/json"
	"net/http"
	"strconv"
	"time"

	inferencev1 "github.com/tollgate/tollgate/gen/go/tollgate/inference/v1"
	"github.com/tollgate/tollgate/services/kit/errs"
)

// HTTP status Anthropic uses when its API is overloaded for everyone.
const StatusOverloaded = 529

// ErrorType is the error.type Anthropic sends with an HTTP status. Tollgate
// answers the same way so the SDKs' error classes and Claude Code's retry
// logic (which retries overloaded_error, rate_limit_error and api_error)
// behave as against Anthropic.
func ErrorType(status int) string {
	switch status {
	case 400:
		return "invalid_request_error"
	case 401:
		return "authentication_error"
	case 402:
		return "billing_error"
	case 403:
		return "permission_error"
	case 404:
		return "not_found_error"
	case 413:
		return "request_too_large"
	case 429:
		return "rate_limit_error"
	case 503, StatusOverloaded:
		return "overloaded_error"
	case 504:
		return "timeout_error"
	}
	if status >= 500 {
		return "api_error"
	}
	return "invalid_request_error"
}

// EncodeError writes Anthropic's error body
// {"type":"error","error":{"type","message"}} for a Tollgate error answered
// with HTTP status.
func EncodeError(status int, e *errs.Error) []byte {
	return EncodeErrorWithRequestID(status, e, "")
}

// EncodeErrorWithRequestID is EncodeError with Anthropic's top-level
// request_id, omitted when empty.
func EncodeErrorWithRequestID(status int, e *errs.Error, requestID string) []byte {
	b := encodeErrorEvent(ErrorType(status), e.Message)
	if requestID == "" {
		return b
	}
	b = b[:len(b)-1]
	b = append(b, `,"request_id":`...)
	b = jsonx.AppendString(b, requestID)
	return append(b, '}')
}

// EncodeStreamError is the error event that ends a stream that already
// started (HTTP 200 was sent): event "error" with the same body as
// EncodeError.
func EncodeStreamError(e *errs.Error) Frame {
	return Frame{Event: "error", Data: encodeErrorEvent(ErrorType(e.HTTPStatus()), e.Message)}
}

func encodeErrorEvent(typ, message string) []byte {
	b := make([]byte, 0, 64+len(message))
	b = append(b, `{"type":"error","error":{"type":`...)
	b = jsonx.AppendString(b, typ)
	b = append(b, `,"message":`...)
	b = jsonx.AppendString(b, message)
	return append(b, `}}`...)
}

// streamErrorType is the Anthropic error type for a provider's mid-stream
// failure: its code when that already is an Anthropic type (an Anthropic
// provider), otherwise a type by kind of failure.
func streamErrorType(e *inferencev1.StreamError) string {
	switch code := e.GetCode(); code {
	case "invalid_request_error", "authentication_error", "billing_error", "permission_error",
		"not_found_error", "request_too_large", "rate_limit_error", "api_error", "overloaded_error", "timeout_error":
		return code
	case "rate_limit_exceeded":
		return "rate_limit_error"
	}
	if e.GetRetryable() {
		return "overloaded_error"
	}
	return "api_error"
}

// ParseError maps an Anthropic error answer (HTTP status and body) to a
// typed error. retryAfter is the answer's Retry-After header value (delay
// seconds or an HTTP date), empty when absent. UpstreamStatus is always set
// and Code is Anthropic's error type.
//
// The client's own mistakes stay client errors: invalid_request_error is
// InvalidArgument and request_too_large TooLarge, neither retryable. Rate
// limits (429) are RateLimited and overload (529, 503) Unavailable, both
// retryable with Retry set. Failures of the provider account (401, 402,
// 403), unknown models (404) and server errors (5xx) are Upstream and
// retryable, so a fallback may try another provider; their message is
// marked as the provider's so a client does not take a 401 for its own key.
func ParseError(status int, body []byte, retryAfter string) *errs.Error {
	var env ErrorBody
	typ, message := "", ""
	if json.Unmarshal(body, &env) == nil {
		typ, message = env.Error.Type, env.Error.Message
	}
	if typ == "" {
		typ = ErrorType(status)
	}
	if message == "" {
		message = http.StatusText(status)
		if message == "" {
			message = "HTTP " + strconv.Itoa(status)
		}
	}
	e := &errs.Error{Code: typ, UpstreamStatus: status, Retry: retryafter.Parse(retryAfter, time.Now())}
	switch {
	case typ == "invalid_request_error" && status < 500:
		e.Kind, e.Message = errs.KindInvalidArgument, message
	case typ == "request_too_large" || status == 413:
		e.Kind, e.Message = errs.KindTooLarge, message
	case typ == "rate_limit_error" || status == 429:
		e.Kind, e.Message, e.Retryable = errs.KindRateLimited, "provider rate limit: "+message, true
	case typ == "overloaded_error" || status == StatusOverloaded || status == 503:
		e.Kind, e.Message, e.Retryable = errs.KindUnavailable, "provider overloaded: "+message, true
	case typ == "timeout_error" || status == 504 || status == 408:
		e.Kind, e.Message, e.Retryable = errs.KindTimeout, "provider timeout: "+message, true
	case status >= 400 && status < 500 && !isAccountStatus(status):
		e.Kind, e.Message = errs.KindInvalidArgument, message
	default:
		e.Kind, e.Message, e.Retryable = errs.KindUpstream, "provider error: "+message, true
	}
	return e
}

// isAccountStatus reports statuses that blame the provider account or
// route rather than the request.
func isAccountStatus(status int) bool {
	return status == 401 || status == 402 || status == 403 || status == 404 || status == 409
}
