// Package httperr renders a Tollgate error in the client's dialect: the body
// shape and the HTTP status that client's SDK expects.
package httperr

import (
	"strconv"
	"strings"
	"time"

	inferencev1 "github.com/tollgate/tollgate/gen/go/tollgate/inference/v1"
	"github.com/tollgate/tollgate/services/kit/errs"
	"github.com/tollgate/tollgate/services/kit/wire/anthropic"
	"github.com/tollgate/tollgate/services/kit/wire/gemini"
	"github.com/tollgate/tollgate/services/kit/wire/openai"
)

// DialectOfPath tells which dialect a route speaks, for errors raised before
// the router knows more (unknown route, oversized body).
func DialectOfPath(path string) inferencev1.Dialect {
	switch {
	case strings.HasPrefix(path, "/anthropic/"), path == "/v1/messages", strings.HasPrefix(path, "/v1/messages/"):
		return inferencev1.Dialect_DIALECT_ANTHROPIC_MESSAGES
	case strings.HasPrefix(path, "/gemini/"), strings.HasPrefix(path, "/v1beta/"):
		return inferencev1.Dialect_DIALECT_GEMINI
	case strings.HasSuffix(path, "/responses"):
		return inferencev1.Dialect_DIALECT_OPENAI_RESPONSES
	default:
		return inferencev1.Dialect_DIALECT_OPENAI_CHAT
	}
}

// Render returns the status and body for err in dialect d, and the typed
// error. Anthropic routes answer in Anthropic's envelope
// {"type":"error","error":{"type","message"}}, whose error type the
// Anthropic SDKs and Claude Code map to their error classes and retry
// decisions; every other route (Responses included, which shares it) in
// OpenAI's; Gemini routes in Google's.
func Render(d inferencev1.Dialect, err error) (int, []byte, *errs.Error) {
	te := errs.From(err)
	status := te.HTTPStatus()
	if d == inferencev1.Dialect_DIALECT_ANTHROPIC_MESSAGES {
		return status, anthropic.EncodeError(status, te), te
	}
	if d == inferencev1.Dialect_DIALECT_GEMINI {
		// Google's {"error":{"code","message","status"}}: the genai SDKs
		// and Gemini CLI retry by its status (429, 5xx).
		return status, gemini.EncodeError(status, te), te
	}
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
