// Package anthropic is the Anthropic Messages API wire format (/v1/messages,
// /v1/messages/count_tokens, /v1/models and errors) and its translation to
// and from Tollgate's canonical inference model (inferencev1).
//
// The router uses the client side, for clients such as Claude Code and the
// Anthropic SDKs: DecodeRequest and DecodeCountTokensRequest read request
// bodies; EncodeResponse, StreamEncoder, EncodeCountTokensResponse,
// EncodeModelList and EncodeError write answers.
//
// The provider adapter uses the provider side: BuildRequest writes a
// Messages body for a client that spoke another dialect, ParseResponse and
// StreamParser read Anthropic answers (for every client, so usage is always
// metered), ParseError maps Anthropic failures to typed errors, and
// RewriteForUpstream forwards a same-dialect body with only its model
// changed, so everything Tollgate does not model (cache_control, thinking
// signatures, context_management, beta fields) reaches the provider intact.
//
// Token counts: Anthropic's input_tokens excludes cached prompt tokens,
// which it reports separately as cache_read_input_tokens and
// cache_creation_input_tokens. The canonical Usage.InputTokens includes
// them (as OpenAI's prompt_tokens does), so parsing adds them and encoding
// subtracts them again.
package anthropic
