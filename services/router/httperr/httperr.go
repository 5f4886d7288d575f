// Package httperr renders a Tollgate error in the client's dialect: the body
// shape and the HTTP status that client's SDK expects.
package httperr

import (
	"strconv"
	"strings"
	"time"

	inferencev1 "github.com/tollgate/tollgate/gen/go/tollgate/inference/v1"
	"github.com/tollgate/tollgate/services/kit/errs"
	"github.com/tollgate/tollgate/services/kit/wire/openai"
)

// DialectOfPath tells which dialect a route speaks, for errors raised before
// the router knows more (unknown route, oversized body).
func DialectOfPath(path string) inferencev1.Dialect {
	switch {
	case strings.HasPrefix(path, "/anthropic/"):
		return inferencev1.Dialect_DIALECT_ANTHROPIC_MESSAGES
	case strings.HasPrefix(path, "/gemini/"):
		return inferencev1.Dialect_DIALECT_GEMINI
	case strings.HasSuffix(path, "/responses"):
		return inferencev1.Dialect_DIALECT_OPENAI_RESPONSES
	default:
		return inferencev1.Dialect_DIALECT_OPENAI_CHAT
	}
}

// Render returns the status and body for err in dialect d, and the typed error.
// Anthropic and Gemini shapes arrive with their front doors; until then every
// route answers in OpenAI's shape.
func Render(d inferencev1.Dialect, err error) (int, []byte, *errs.Error) {
	te := errs.From(err)
	status := te.HTTPStatus()
	return status, openai.EncodeError(status, te), te
}

// RetryAfterSeconds formats Retry-After: whole seconds, rounded up, at least 1.
func RetryAfterSeconds(d time.Duration) string {
	s := int64((d + time.Second - 1) / time.Second)
	if s < 1 {
		s = 1
	}
	return strconv.FormatInt(s, 10)
}
