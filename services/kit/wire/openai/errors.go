package openai

import (
	"github.com/tollgate/tollgate/services/kit/wire/internal/jsonx"

	"encoding/json"
	"strconv"

	"github.com/tollgate/tollgate/services/kit/errs"
)

// ErrorType is the "type" OpenAI puts in an error body for an HTTP status.
// OpenAI reports bad keys (401) as invalid_request_error with code
// invalid_api_key, rate limits as "requests", and its own failures as
// server_error; Tollgate answers the same way so SDK error handling behaves.
func ErrorType(status int) string {
	switch {
	case status == 429:
		return "requests"
	case status == 403:
		return "permission_error"
	case status >= 500:
		return "server_error"
	default:
		return "invalid_request_error"
	}
}

// EncodeError writes OpenAI's error body {"error":{"message","type","param","code"}}
// for a Tollgate error answered with HTTP status: param and code are null
// when empty.
func EncodeError(status int, e *errs.Error) []byte {
	b := make([]byte, 0, 96+len(e.Message))
	b = append(b, `{"error":{"message":`...)
	b = jsonx.AppendString(b, e.Message)
	b = append(b, `,"type":`...)
	b = jsonx.AppendString(b, ErrorType(status))
	b = append(b, `,"param":`...)
	b = jsonx.AppendNullableString(b, e.Param)
	b = append(b, `,"code":`...)
	b = jsonx.AppendNullableString(b, e.Code)
	return append(b, `}}`...)
}

// ParseError reads an OpenAI-style error body from a provider. It tolerates
// the variants compatible servers send (a top-level "message" or "detail",
// numeric codes); ok is false when body holds no recognisable message.
func ParseError(body []byte) (message, param, code string, ok bool) {
	var env struct {
		Error   json.RawMessage `json:"error"`
		Message string          `json:"message"`
		Detail  json.RawMessage `json:"detail"`
	}
	if json.Unmarshal(body, &env) != nil {
		return "", "", "", false
	}
	if len(env.Error) > 0 && env.Error[0] == '{' {
		var d ErrorDetail
		if json.Unmarshal(env.Error, &d) == nil && d.Message != "" {
			if d.Param != nil {
				param = *d.Param
			}
			return d.Message, param, rawCode(d.Code), true
		}
	}
	if len(env.Error) > 0 && env.Error[0] == '"' {
		var s string
		if json.Unmarshal(env.Error, &s) == nil && s != "" {
			return s, "", "", true
		}
	}
	if env.Message != "" {
		return env.Message, "", "", true
	}
	var detail string
	if json.Unmarshal(env.Detail, &detail) == nil && detail != "" {
		return detail, "", "", true
	}
	return "", "", "", false
}

// rawCode renders a code that may be a string, a number or null.
func rawCode(raw json.RawMessage) string {
	if len(raw) == 0 || jsonx.IsNull(raw) {
		return ""
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var n json.Number
	if json.Unmarshal(raw, &n) == nil {
		if _, err := strconv.ParseFloat(string(n), 64); err == nil {
			return string(n)
		}
	}
	return ""
}
