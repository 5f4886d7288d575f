// Package bedrock is the Amazon Bedrock Converse API wire format (POST
// /model/{modelId}/converse and /converse-stream on bedrock-runtime) and
// its translation to and from Tollgate's canonical inference model
// (inferencev1). It is the provider side only: no client speaks Converse
// to Tollgate.
//
// BuildRequest writes a Converse body from a canonical request (the model
// is named in the URL, see ConverseURL, not in the body); ParseResponse
// reads a Converse answer; StreamParser reads the events of a
// ConverseStream answer once the provider adapter has taken them out of
// their AWS event-stream frames (the binary framing and the SigV4 signing
// are the adapter's, done with the AWS SDK's own packages); ParseError and
// StreamParser.Exception map Bedrock's failures to typed errors.
//
// Token counts: Bedrock's inputTokens excludes the prompt tokens read from
// or written to the prompt cache, which it reports as cacheReadInputTokens
// and cacheWriteInputTokens. The canonical Usage.InputTokens includes them
// (as OpenAI's prompt_tokens does), so parsing adds them.
package bedrock
