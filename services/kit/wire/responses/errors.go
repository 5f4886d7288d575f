package responses

import (
	"github.com/tollgate/tollgate/services/kit/wire/internal/jsonx"
	"github.com/tollgate/tollgate/services/kit/wire/retryafter"

	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/tollgate/tollgate/services/kit/errs"
	"github.com/tollgate/tollgate/services/kit/wire/openai"
)

// EncodeError writes the error body of a Responses request answered with
// HTTP status: the Responses API shares OpenAI's envelope,
// {"error":{"message","type","param","code"}}.
func EncodeError(status int, e *errs.Error) []byte { return openai.EncodeError(status, e) }

// ErrorFrame is the "error" event for a stream that fails before a
// StreamEncoder produced anything; once a StreamEncoder is in use, its Fail
// ends the stream instead.
func ErrorFrame(e *errs.Error) Frame {
	code := errorCode(e)
	b := make([]byte, 0, 96+len(e.Message))
	b = append(b, `{"type":"error","sequence_number":0,"code":`...)
	b = jsonx.AppendString(b, code)
	b = append(b, `,"message":`...)
	b = jsonx.AppendString(b, e.Message)
	b = append(b, `,"param":`...)
	b = jsonx.AppendNullableString(b, e.Param)
	return Frame{Event: "error", Data: append(b, '}')}
}

// EncodeModelList writes GET /v1/models, which Responses clients read in
// OpenAI's shape.
func EncodeModelList(ids []string, created int64) []byte { return openai.EncodeModelList(ids, created) }

// ParseError maps a Responses provider's non-2xx answer to a typed error.
// The request's own faults (400, 404, 422) keep the provider's message,
// param and code (context_length_exceeded…) as InvalidArgument; rejected
// gateway credentials (401, 403) become an upstream error that does not
// repeat the provider's text; 429 is RateLimited and 408/504 a timeout;
// 429 and every 5xx are Retryable so a fallback may try another provider.
// Retry is read from the message ("Please try again in 20s"); use
// ParseErrorHeader to also honour Retry-After headers.
func ParseError(status int, body []byte) *errs.Error {
	return ParseErrorHeader(status, nil, body)
}

// ParseErrorHeader is ParseError that also reads retry-after-ms and
// Retry-After (seconds or an HTTP date) from the provider's headers.
func ParseErrorHeader(status int, h http.Header, body []byte) *errs.Error {
	msg, param, code, ok := openai.ParseError(body)
	if !ok {
		msg = ""
	}
	retry := retryafter.FromHeader(h, time.Now())
	if retry == 0 {
		retry = retryFromMessage(msg)
	}
	st := strconv.Itoa(status)
	switch {
	case status == http.StatusBadRequest || status == http.StatusNotFound || status == http.StatusUnprocessableEntity:
		if msg == "" {
			msg = "the provider rejected the request (HTTP " + st + ")"
		}
		if code == "" {
			code = "invalid_request"
		}
		e := errs.New(errs.KindInvalidArgument, code, "%s", msg).WithParam(param)
		e.UpstreamStatus = status
		return e
	case status == http.StatusUnauthorized || status == http.StatusForbidden:
		return &errs.Error{Kind: errs.KindUpstream, Code: "upstream_auth_failed",
			Message: "upstream rejected the gateway's credentials", UpstreamStatus: status}
	case status == http.StatusRequestEntityTooLarge:
		e := errs.New(errs.KindTooLarge, "request_too_large", "the provider rejected the request as too large")
		e.UpstreamStatus = status
		return e
	case status == http.StatusTooManyRequests:
		// OpenAI's rate-limit text names the gateway's organization; only
		// its code (rate_limit_exceeded, insufficient_quota) is passed on.
		if code == "" {
			code = "rate_limit_exceeded"
		}
		e := errs.New(errs.KindRateLimited, code, "the provider is rate limiting requests; retry later").WithRetry(retry)
		e.UpstreamStatus, e.Retryable = status, true
		return e
	case status == http.StatusRequestTimeout || status == http.StatusGatewayTimeout:
		return &errs.Error{Kind: errs.KindTimeout, Code: "upstream_timeout",
			Message: "the provider timed out (HTTP " + st + ")", UpstreamStatus: status, Retryable: true}
	case status >= 500:
		text := "the provider failed (HTTP " + st + ")"
		if msg != "" {
			text += ": " + msg
		}
		return &errs.Error{Kind: errs.KindUpstream, Code: "upstream_error", Message: text,
			UpstreamStatus: status, Retryable: true, Retry: retry}
	}
	text := "the provider answered HTTP " + st
	if msg != "" {
		text += ": " + msg
	}
	return &errs.Error{Kind: errs.KindUpstream, Code: "upstream_error", Message: text, UpstreamStatus: status}
}

// retryHint matches OpenAI's "Please try again in 1.5s" / "in 300ms".
var retryHint = regexp.MustCompile(`(?i)try again in\s*(\d+(?:\.\d+)?)\s*(ms|s|seconds?)\b`)

func retryFromMessage(msg string) time.Duration {
	m := retryHint.FindStringSubmatch(msg)
	if m == nil {
		return 0
	}
	v, err := strconv.ParseFloat(m[1], 64)
	if err != nil || v <= 0 {
		return 0
	}
	if strings.EqualFold(m[2], "ms") {
		return time.Duration(v * float64(time.Millisecond))
	}
	return time.Duration(v * float64(time.Second))
}
