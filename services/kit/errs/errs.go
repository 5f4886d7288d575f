// Package errs is Tollgate's typed error: every service returns one, the gRPC
// interceptor turns it into a status, and the HTTP facade turns that status
// into the client dialect's error shape and HTTP code.
package errs

import (
	"errors"
	"fmt"
	"strconv"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/durationpb"
)

// Kind classifies an error; it decides the gRPC code and the HTTP status.
type Kind int

// Kinds, in the order the facade checks them.
const (
	KindInternal         Kind = iota // 500: a Tollgate bug
	KindInvalidArgument              // 400: the request is malformed
	KindUnauthenticated              // 401: no or unknown credentials
	KindPermissionDenied             // 403: authenticated, not allowed
	KindNotFound                     // 404: unknown endpoint or route
	KindTooLarge                     // 413: body over the limit
	KindRateLimited                  // 429: quota exhausted
	KindUpstream                     // 502: the provider answered with an error
	KindUnavailable                  // 503: provider or dependency down
	KindTimeout                      // 504: the provider did not answer in time
	KindCanceled                     // 499: the client went away
	KindMethodNotAllowed             // 405: the route exists for other methods
)

// Domain is the ErrorInfo domain Tollgate errors carry.
const Domain = "tollgate"

// Error is a typed Tollgate error. Message must be safe to show clients: it
// never contains secrets or upstream credentials.
type Error struct {
	Kind    Kind
	Code    string // stable machine-readable code, e.g. "model_not_found"
	Message string
	Param   string        // the offending request field, if any
	Retry   time.Duration // Retry-After for rate limits and overload
	// UpstreamStatus is the provider's HTTP status for KindUpstream errors.
	UpstreamStatus int
	// Retryable says whether a fallback may try another served entity.
	Retryable bool
	cause     error
}

func (e *Error) Error() string {
	if e.cause != nil {
		return e.Message + ": " + e.cause.Error()
	}
	return e.Message
}

// Unwrap exposes the cause for errors.Is/As; the cause is logged, never shown.
func (e *Error) Unwrap() error { return e.cause }

// New builds an error of a kind.
func New(kind Kind, code, format string, args ...any) *Error {
	return &Error{Kind: kind, Code: code, Message: fmt.Sprintf(format, args...)}
}

// Wrap attaches a cause kept for logs.
func (e *Error) Wrap(cause error) *Error { e.cause = cause; return e }

// WithParam names the offending field.
func (e *Error) WithParam(p string) *Error { e.Param = p; return e }

// WithRetry sets Retry-After.
func (e *Error) WithRetry(d time.Duration) *Error { e.Retry = d; return e }

// Convenience constructors for the common kinds.
func Invalid(param, format string, args ...any) *Error {
	return New(KindInvalidArgument, "invalid_request", format, args...).WithParam(param)
}

// Unauthenticated reports missing or unknown credentials.
func Unauthenticated(format string, args ...any) *Error {
	return New(KindUnauthenticated, "invalid_api_key", format, args...)
}

// Forbidden reports a principal without permission.
func Forbidden(format string, args ...any) *Error {
	return New(KindPermissionDenied, "permission_denied", format, args...)
}

// NotFound reports an unknown endpoint or resource.
func NotFound(code, format string, args ...any) *Error {
	return New(KindNotFound, code, format, args...)
}

// RateLimited reports an exhausted limit.
func RateLimited(retry time.Duration, format string, args ...any) *Error {
	return New(KindRateLimited, "rate_limit_exceeded", format, args...).WithRetry(retry)
}

var codeOfKind = map[Kind]codes.Code{
	KindInternal:         codes.Internal,
	KindInvalidArgument:  codes.InvalidArgument,
	KindUnauthenticated:  codes.Unauthenticated,
	KindPermissionDenied: codes.PermissionDenied,
	KindNotFound:         codes.NotFound,
	KindTooLarge:         codes.ResourceExhausted,
	KindRateLimited:      codes.ResourceExhausted,
	KindUpstream:         codes.Unavailable,
	KindUnavailable:      codes.Unavailable,
	KindTimeout:          codes.DeadlineExceeded,
	KindCanceled:         codes.Canceled,
	KindMethodNotAllowed: codes.Unimplemented,
}

// reasons distinguish kinds that share a gRPC code.
var reasonOfKind = map[Kind]string{
	KindInternal:         "INTERNAL",
	KindInvalidArgument:  "INVALID_ARGUMENT",
	KindUnauthenticated:  "UNAUTHENTICATED",
	KindPermissionDenied: "PERMISSION_DENIED",
	KindNotFound:         "NOT_FOUND",
	KindTooLarge:         "REQUEST_TOO_LARGE",
	KindRateLimited:      "RATE_LIMITED",
	KindUpstream:         "UPSTREAM_ERROR",
	KindUnavailable:      "UNAVAILABLE",
	KindTimeout:          "TIMEOUT",
	KindCanceled:         "CANCELED",
	KindMethodNotAllowed: "METHOD_NOT_ALLOWED",
}

// GRPCStatus lets grpc-go and grpc-gateway convert the error without an
// interceptor, which matters for the in-process facade (it calls the server
// directly, bypassing interceptors).
func (e *Error) GRPCStatus() *status.Status {
	st := status.New(codeOfKind[e.Kind], e.Message)
	md := map[string]string{"code": e.Code}
	if e.Param != "" {
		md["param"] = e.Param
	}
	if e.UpstreamStatus != 0 {
		md["upstream_status"] = strconv.Itoa(e.UpstreamStatus)
	}
	if e.Retryable {
		md["retryable"] = "true"
	}
	details := []protoMessage{&errdetails.ErrorInfo{Reason: reasonOfKind[e.Kind], Domain: Domain, Metadata: md}}
	if e.Retry > 0 {
		details = append(details, &errdetails.RetryInfo{RetryDelay: durationpb.New(e.Retry)})
	}
	withDetails, err := st.WithDetails(toV1(details)...)
	if err != nil {
		return st
	}
	return withDetails
}

// From recovers a typed error from any error: a Tollgate error as is, a gRPC
// status (from a remote service) decoded back, a context error as a timeout or
// cancellation, anything else as internal.
func From(err error) *Error {
	if err == nil {
		return nil
	}
	var te *Error
	if errors.As(err, &te) {
		return te
	}
	if errors.Is(err, contextDeadline) {
		return New(KindTimeout, "timeout", "the request timed out").Wrap(err)
	}
	if errors.Is(err, contextCanceled) {
		return New(KindCanceled, "canceled", "the request was canceled").Wrap(err)
	}
	st, ok := status.FromError(err)
	if !ok {
		return New(KindInternal, "internal_error", "internal error").Wrap(err)
	}
	return FromStatus(st)
}

// FromStatus decodes a gRPC status produced by GRPCStatus (or any other).
func FromStatus(st *status.Status) *Error {
	e := &Error{Message: st.Message(), Kind: kindOfCode(st.Code())}
	for _, d := range st.Details() {
		switch d := d.(type) {
		case *errdetails.ErrorInfo:
			if d.GetDomain() == Domain {
				for k, v := range reasonOfKind {
					if v == d.GetReason() {
						e.Kind = k
					}
				}
			}
			e.Code = d.GetMetadata()["code"]
			e.Param = d.GetMetadata()["param"]
			e.UpstreamStatus, _ = strconv.Atoi(d.GetMetadata()["upstream_status"])
			e.Retryable = d.GetMetadata()["retryable"] == "true"
		case *errdetails.RetryInfo:
			e.Retry = d.GetRetryDelay().AsDuration()
		}
	}
	if e.Code == "" {
		e.Code = defaultCode(e.Kind)
	}
	return e
}

func kindOfCode(c codes.Code) Kind {
	switch c {
	case codes.InvalidArgument, codes.FailedPrecondition, codes.OutOfRange:
		return KindInvalidArgument
	case codes.Unauthenticated:
		return KindUnauthenticated
	case codes.PermissionDenied:
		return KindPermissionDenied
	case codes.NotFound, codes.Unimplemented:
		return KindNotFound
	case codes.ResourceExhausted:
		return KindRateLimited
	case codes.Unavailable:
		return KindUnavailable
	case codes.DeadlineExceeded:
		return KindTimeout
	case codes.Canceled:
		return KindCanceled
	default:
		return KindInternal
	}
}

func defaultCode(k Kind) string {
	switch k {
	case KindInvalidArgument:
		return "invalid_request"
	case KindUnauthenticated:
		return "invalid_api_key"
	case KindPermissionDenied:
		return "permission_denied"
	case KindNotFound:
		return "not_found"
	case KindTooLarge:
		return "request_too_large"
	case KindRateLimited:
		return "rate_limit_exceeded"
	case KindUpstream:
		return "upstream_error"
	case KindUnavailable:
		return "service_unavailable"
	case KindTimeout:
		return "timeout"
	case KindCanceled:
		return "canceled"
	case KindMethodNotAllowed:
		return "method_not_allowed"
	default:
		return "internal_error"
	}
}

// HTTPStatus is the HTTP status the facade answers with.
func (e *Error) HTTPStatus() int {
	switch e.Kind {
	case KindInvalidArgument:
		return 400
	case KindUnauthenticated:
		return 401
	case KindPermissionDenied:
		return 403
	case KindNotFound:
		return 404
	case KindTooLarge:
		return 413
	case KindRateLimited:
		return 429
	case KindUpstream:
		return 502
	case KindUnavailable:
		return 503
	case KindTimeout:
		return 504
	case KindCanceled:
		return 499
	case KindMethodNotAllowed:
		return 405
	default:
		return 500
	}
}
