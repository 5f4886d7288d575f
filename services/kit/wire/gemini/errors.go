package gemini

import (
	"github.com/tollgate/tollgate/services/kit/wire/internal/jsonx"
	"github.com/tollgate/tollgate/services/kit/wire/retryafter"

	"bytes"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"

	inferencev1 "github.com/tollgate/tollgate/gen/go/tollgate/inference/v1"
	"github.com/tollgate/tollgate/services/kit/errs"
)

// Google APIs answer errors as {"error":{"code","message","status",
// "details"}}: code is the HTTP status, status the google.rpc.Code name.
// Gemini CLI and the genai SDKs retry by status (429 and 5xx) and read the
// wait from a RetryInfo detail, so Tollgate writes one when it knows it.

// StatusName is the google.rpc status name Google sends with an HTTP
// status (INVALID_ARGUMENT for 400, RESOURCE_EXHAUSTED for 429…).
func StatusName(status int) string { return statusName(status) }

func statusName(status int) string {
	switch status {
	case 400, 413:
		return "INVALID_ARGUMENT"
	case 401:
		return "UNAUTHENTICATED"
	case 403:
		return "PERMISSION_DENIED"
	case 404:
		return "NOT_FOUND"
	case 405, 501:
		return "UNIMPLEMENTED"
	case 409:
		return "ABORTED"
	case 429:
		return "RESOURCE_EXHAUSTED"
	case 499:
		return "CANCELLED"
	case 502, 503:
		return "UNAVAILABLE"
	case 504:
		return "DEADLINE_EXCEEDED"
	}
	if status >= 500 {
		return "INTERNAL"
	}
	return "INVALID_ARGUMENT"
}

// EncodeError writes Google's error body for a Tollgate error answered with
// HTTP status. Details carry the Tollgate code as an ErrorInfo reason, the
// offending field as a BadRequest field violation, and Retry as RetryInfo.
func EncodeError(status int, e *errs.Error) []byte {
	return encodeError(status, statusName(status), e.Message, e.Code, e.Param, e.Retry)
}

func encodeError(code int, status, message, reason, param string, retry time.Duration) []byte {
	b := make([]byte, 0, 192+len(message)+len(param))
	b = append(b, `{"error":{"code":`...)
	b = strconv.AppendInt(b, int64(code), 10)
	b = append(b, `,"message":`...)
	b = jsonx.AppendString(b, message)
	b = append(b, `,"status":`...)
	b = jsonx.AppendString(b, status)
	b = append(b, `,"details":[{"@type":"type.googleapis.com/google.rpc.ErrorInfo","reason":`...)
	if reason == "" {
		reason = status
	}
	b = jsonx.AppendString(b, strings.ToUpper(reason))
	b = append(b, `,"domain":"tollgate"}`...)
	if param != "" {
		b = append(b, `,{"@type":"type.googleapis.com/google.rpc.BadRequest","fieldViolations":[{"field":`...)
		b = jsonx.AppendString(b, param)
		b = append(b, `,"description":`...)
		b = jsonx.AppendString(b, message)
		b = append(b, `}]}`...)
	}
	if retry > 0 {
		b = append(b, `,{"@type":"type.googleapis.com/google.rpc.RetryInfo","retryDelay":"`...)
		b = appendDuration(b, retry)
		b = append(b, `"}`...)
	}
	return append(b, `]}}`...)
}

// appendDuration writes a google.protobuf.Duration in JSON: seconds with up
// to nine fractional digits and an "s".
func appendDuration(b []byte, d time.Duration) []byte {
	b = strconv.AppendFloat(b, d.Seconds(), 'f', -1, 64)
	return append(b, 's')
}

// ErrorFrame is the stream form of an error, for failures after the
// stream started (HTTP 200 already sent): a data frame holding the same
// body as EncodeError, which the genai SDKs raise as an API error.
func ErrorFrame(e *errs.Error) Frame {
	return Frame{Data: EncodeError(e.HTTPStatus(), e)}
}

// streamErrorFrame writes a provider's mid-stream failure: its code when
// that is a Google status name (a Gemini provider), otherwise UNAVAILABLE
// for retryable failures and INTERNAL for the rest.
func streamErrorFrame(e *inferencev1.StreamError) Frame {
	status := e.GetCode()
	code := httpStatusOf(status)
	if code == 0 {
		status, code = "INTERNAL", 500
		switch {
		case e.GetCode() == "rate_limit_exceeded" || e.GetCode() == "rate_limit_error":
			status, code = "RESOURCE_EXHAUSTED", 429
		case e.GetRetryable():
			status, code = "UNAVAILABLE", 503
		}
	}
	return Frame{Data: encodeError(code, status, e.GetMessage(), e.GetCode(), "", 0)}
}

// httpStatusOf is the HTTP status of a google.rpc status name, 0 for an
// unknown name.
func httpStatusOf(status string) int {
	switch status {
	case "INVALID_ARGUMENT", "FAILED_PRECONDITION", "OUT_OF_RANGE":
		return 400
	case "UNAUTHENTICATED":
		return 401
	case "PERMISSION_DENIED":
		return 403
	case "NOT_FOUND":
		return 404
	case "ALREADY_EXISTS", "ABORTED":
		return 409
	case "RESOURCE_EXHAUSTED":
		return 429
	case "CANCELLED":
		return 499
	case "INTERNAL", "UNKNOWN", "DATA_LOSS":
		return 500
	case "UNIMPLEMENTED":
		return 501
	case "UNAVAILABLE":
		return 503
	case "DEADLINE_EXCEEDED":
		return 504
	}
	return 0
}

// isRetryableStatus reports failures another attempt (or another provider)
// may get past: quota, overload, internal errors and timeouts.
func isRetryableStatus(status string, code int) bool {
	switch status {
	case "RESOURCE_EXHAUSTED", "UNAVAILABLE", "INTERNAL", "UNKNOWN", "DEADLINE_EXCEEDED", "ABORTED":
		return true
	}
	return code == 429 || code >= 500
}

// ParseError maps a Gemini (or Vertex AI) error answer to a typed error,
// reading the wait of a RetryInfo detail; see ParseErrorHeader.
func ParseError(status int, body []byte) *errs.Error {
	return ParseErrorHeader(status, nil, body)
}

// ParseErrorHeader maps a Gemini error answer (HTTP status, headers and
// body) to a typed error. UpstreamStatus is always set and Code is Google's
// status name. Retry comes from a RetryInfo detail, or else a Retry-After
// header.
//
// The client's own mistakes stay client errors: INVALID_ARGUMENT,
// FAILED_PRECONDITION and OUT_OF_RANGE are InvalidArgument, not retryable.
// A rejected provider key (400 with reason API_KEY_INVALID, 401, 403) and
// an unknown model (404) blame the provider account or route: Upstream and
// retryable, so a fallback may try another provider, with a message marked
// as the provider's. Quota (429, RESOURCE_EXHAUSTED) is RateLimited,
// overload (503, UNAVAILABLE) Unavailable, timeouts (504,
// DEADLINE_EXCEEDED) Timeout and other server errors Upstream; all are
// retryable.
func ParseErrorHeader(status int, h http.Header, body []byte) *errs.Error {
	detail := errorDetail(body)
	name, message := detail.Status, detail.Message
	if name == "" {
		name = statusName(status)
	}
	if message == "" {
		message = http.StatusText(status)
		if message == "" {
			message = "HTTP " + strconv.Itoa(status)
		}
	}
	retry, reason := errorDetails(detail.Details)
	if retry == 0 && h != nil {
		retry = retryafter.Parse(h.Get("Retry-After"), time.Now())
	}
	e := &errs.Error{Code: name, UpstreamStatus: status, Retry: retry}
	switch {
	case status == 413:
		e.Kind, e.Message = errs.KindTooLarge, message
	case name == "RESOURCE_EXHAUSTED" || status == 429:
		e.Kind, e.Message, e.Retryable = errs.KindRateLimited, "provider rate limit: "+message, true
	case name == "UNAVAILABLE" || status == 503:
		e.Kind, e.Message, e.Retryable = errs.KindUnavailable, "provider overloaded: "+message, true
	case name == "DEADLINE_EXCEEDED" || status == 504 || status == 408:
		e.Kind, e.Message, e.Retryable = errs.KindTimeout, "provider timeout: "+message, true
	case isKeyReason(reason) || status == 401 || status == 403 || status == 404 ||
		name == "UNAUTHENTICATED" || name == "PERMISSION_DENIED" || name == "NOT_FOUND":
		e.Kind, e.Message, e.Retryable = errs.KindUpstream, "provider error: "+message, true
	case status >= 400 && status < 500:
		e.Kind, e.Message = errs.KindInvalidArgument, message
	default:
		e.Kind, e.Message, e.Retryable = errs.KindUpstream, "provider error: "+message, true
	}
	return e
}

// isKeyReason reports ErrorInfo reasons that blame the provider key, which
// Google answers with 400 INVALID_ARGUMENT.
func isKeyReason(reason string) bool {
	switch reason {
	case "API_KEY_INVALID", "API_KEY_SERVICE_BLOCKED", "API_KEY_HTTP_REFERRER_BLOCKED",
		"API_KEY_IP_ADDRESS_BLOCKED", "API_KEY_ANDROID_APP_BLOCKED", "API_KEY_IOS_APP_BLOCKED",
		"SERVICE_DISABLED", "BILLING_DISABLED", "CONSUMER_INVALID":
		return true
	}
	return false
}

// errorDetail reads Google's error envelope, also when wrapped in an array
// (streamGenerateContent without alt=sse).
func errorDetail(body []byte) ErrorDetail {
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) > 0 && trimmed[0] == '[' {
		var list []ErrorBody
		if json.Unmarshal(trimmed, &list) == nil && len(list) > 0 {
			return list[0].Error
		}
		return ErrorDetail{}
	}
	var env ErrorBody
	if json.Unmarshal(trimmed, &env) != nil {
		return ErrorDetail{}
	}
	return env.Error
}

// errorDetails reads the RetryInfo delay and the ErrorInfo reason.
func errorDetails(details []json.RawMessage) (retry time.Duration, reason string) {
	for _, raw := range details {
		var d struct {
			Type       string `json:"@type"`
			RetryDelay string `json:"retryDelay"`
			Reason     string `json:"reason"`
		}
		if json.Unmarshal(raw, &d) != nil {
			continue
		}
		switch {
		case strings.HasSuffix(d.Type, "google.rpc.RetryInfo"):
			if delay, err := time.ParseDuration(d.RetryDelay); err == nil && delay > 0 && delay <= 24*time.Hour {
				retry = delay
			}
		case strings.HasSuffix(d.Type, "google.rpc.ErrorInfo"):
			reason = d.Reason
		}
	}
	return retry, reason
}
