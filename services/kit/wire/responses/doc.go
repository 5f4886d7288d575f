// Package responses is the OpenAI Responses API wire format (POST
// /v1/responses) and its translation to and from Tollgate's canonical
// inference model (inferencev1), on both sides of the gateway.
//
// Client side (Codex CLI, the OpenAI SDKs' responses.create and
// responses.stream): DecodeRequest reads a request body; EncodeResponse
// writes the unary "response" object; a StreamEncoder turns canonical chunks
// into the Responses event stream (response.created … response.completed);
// EncodeError and ErrorFrame write failures; EncodeModelList answers
// GET /v1/models.
//
// Provider side (an OpenAI-compatible provider reached through the Responses
// API): BuildRequest writes a request for a client of another dialect,
// ParseResponse and a StreamParser read the answers, RewriteForUpstream
// forwards a same-dialect body with only its model changed, and ParseError
// maps provider failures to typed errors.
//
// Some Responses features have no canonical form (stored conversations
// through previous_response_id, encrypted compaction items, hosted tool call
// records). DecodeRequest accepts them, because a same-dialect provider gets
// the original body; CheckTranslatable reports them as errs.Invalid naming
// the field, and must be called before the request is built for a provider
// of another dialect.
package responses
