package bedrock

import (
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/tollgate/tollgate/services/kit/wire/retryafter"

	inferencev1 "github.com/tollgate/tollgate/gen/go/tollgate/inference/v1"
	"github.com/tollgate/tollgate/services/kit/errs"
)

// failure is how Tollgate treats one of Bedrock's exceptions.
type failure struct {
	kind      errs.Kind
	retryable bool
	prefix    string // put before Bedrock's message; "" keeps the message alone
	hide      bool   // the message may name the AWS account: not shown
}

// failures by exception name, lower-cased: Bedrock writes them
// ThrottlingException in HTTP answers and throttlingException in streams.
// Throttling, quota, overload, server and model errors are retryable, so
// a fallback may try another served entity; so are failures of the
// gateway's AWS credentials and unknown models, which another served
// entity may not share. The request's own mistakes (validation) are not.
var failures = map[string]failure{
	"throttlingexception":                 {errs.KindRateLimited, true, "provider rate limit: ", false},
	"servicequotaexceededexception":       {errs.KindRateLimited, true, "provider quota exceeded: ", false},
	"modelnotreadyexception":              {errs.KindUnavailable, true, "provider model not ready: ", false},
	"serviceunavailableexception":         {errs.KindUnavailable, true, "provider unavailable: ", false},
	"internalserverexception":             {errs.KindUpstream, true, "provider error: ", false},
	"internalfailure":                     {errs.KindUpstream, true, "provider error: ", false},
	"modelerrorexception":                 {errs.KindUpstream, true, "provider model error: ", false},
	"modelstreamerrorexception":           {errs.KindUpstream, true, "provider model error: ", false},
	"modeltimeoutexception":               {errs.KindTimeout, true, "provider timeout: ", false},
	"validationexception":                 {errs.KindInvalidArgument, false, "", false},
	"resourcenotfoundexception":           {errs.KindUpstream, true, "provider model not found: ", false},
	"accessdeniedexception":               {errs.KindUpstream, true, "", true},
	"unrecognizedclientexception":         {errs.KindUpstream, true, "", true},
	"invalidsignatureexception":           {errs.KindUpstream, true, "", true},
	"signaturedoesnotmatch":               {errs.KindUpstream, true, "", true},
	"incompletesignature":                 {errs.KindUpstream, true, "", true},
	"expiredtokenexception":               {errs.KindUpstream, true, "", true},
	"missingauthenticationtokenexception": {errs.KindUpstream, true, "", true},
}

// credentialsMessage stands for the messages of credential failures, which
// can name the gateway's AWS account and role.
const credentialsMessage = "upstream rejected the gateway's credentials"

// errorBody is Bedrock's JSON error body; restJson1 writes the message as
// message or Message and may name the type in __type.
type errorBody struct {
	Message  string `json:"message"`
	MessageU string `json:"Message"`
	Type     string `json:"__type"`
}

// ParseError maps a Bedrock error answer to a typed error: status is the
// HTTP status, errorType the X-Amzn-ErrorType header (the exception name,
// possibly followed by ":" and a namespace), retryAfter the Retry-After
// header (empty when absent). Code is Bedrock's exception name (or
// HTTP_<status> when it gave none) and UpstreamStatus is set. An exception
// that ended a stream is mapped the same way, with status 0, its
// :exception-type and its payload.
func ParseError(status int, errorType string, body []byte, retryAfter string) *errs.Error {
	var b errorBody
	_ = json.Unmarshal(body, &b) // a non-JSON body leaves the message to the status
	typ := exceptionName(errorType)
	if typ == "" {
		typ = exceptionName(b.Type)
	}
	msg := b.Message
	if msg == "" {
		msg = b.MessageU
	}
	f, known := failures[strings.ToLower(typ)]
	if !known {
		f = failureOfStatus(status)
	}
	switch {
	case typ == "" && status == 0:
		typ = "internalServerException"
	case typ == "":
		typ = "HTTP_" + strconv.Itoa(status)
	}
	if msg == "" {
		if msg = http.StatusText(status); msg == "" {
			msg = "the provider reported " + typ
		}
	}
	e := &errs.Error{Kind: f.kind, Code: typ, Message: f.prefix + msg, UpstreamStatus: status,
		Retryable: f.retryable, Retry: retryafter.Parse(retryAfter, time.Now())}
	if f.hide {
		e.Message = credentialsMessage
		e.Wrap(errors.New(typ + ": " + msg)) // logged, never shown
	}
	return e
}

func failureOfStatus(status int) failure {
	switch {
	case status == http.StatusTooManyRequests:
		return failure{errs.KindRateLimited, true, "provider rate limit: ", false}
	case status == http.StatusRequestTimeout || status == http.StatusGatewayTimeout:
		return failure{errs.KindTimeout, true, "provider timeout: ", false}
	case status == http.StatusServiceUnavailable:
		return failure{errs.KindUnavailable, true, "provider unavailable: ", false}
	case status == http.StatusRequestEntityTooLarge:
		return failure{errs.KindTooLarge, false, "", false}
	case status == http.StatusUnauthorized || status == http.StatusForbidden:
		return failure{errs.KindUpstream, true, "", true}
	case status == http.StatusNotFound:
		return failure{errs.KindUpstream, true, "provider model not found: ", false}
	case status >= 400 && status < 500:
		return failure{errs.KindInvalidArgument, false, "", false}
	}
	return failure{errs.KindUpstream, true, "provider error: ", false}
}

// StreamError converts an exception that ended a ConverseStream; the
// same exceptions are retryable as in ParseError.
func StreamError(exceptionType, message string) *inferencev1.StreamError {
	f, known := failures[strings.ToLower(exceptionType)]
	if !known {
		f = failure{errs.KindUpstream, true, "provider error: ", false}
	}
	if exceptionType == "" {
		exceptionType = "internalServerException"
	}
	if message == "" {
		message = "the provider reported " + exceptionType
	}
	if f.hide {
		message = credentialsMessage
	} else {
		message = f.prefix + message
	}
	return &inferencev1.StreamError{Code: exceptionType, Message: message, Retryable: f.retryable}
}

// exceptionName is the bare exception name of an X-Amzn-ErrorType header
// ("ThrottlingException:http://internal.amazon.com/…") or a __type
// ("com.amazon.coral.service#ThrottlingException").
func exceptionName(s string) string {
	if i := strings.IndexByte(s, ':'); i >= 0 {
		s = s[:i]
	}
	if i := strings.LastIndexByte(s, '#'); i >= 0 {
		s = s[i+1:]
	}
	return strings.TrimSpace(s)
}
