// Package gemini is Google's Gemini generateContent wire format, shared by
// the Gemini API (generativelanguage.googleapis.com, API key) and Vertex AI
// (aiplatform.googleapis.com, bearer token), and its translation to and
// from Tollgate's canonical inference model (inferencev1), on both sides of
// the gateway.
//
// Gemini puts the model and the method in the URL
// (…/models/{model}:generateContent, :streamGenerateContent?alt=sse,
// :countTokens, :embedContent, :batchEmbedContents), not in the body, so
// the decoders take the model as a parameter: ParseModelPath splits a
// request path, and GenerateURL and MethodURL build provider URLs.
//
// Client side (Gemini CLI, @google/genai and the genai Go SDK):
// DecodeRequest, DecodeCountTokensRequest, DecodeEmbedContentRequest and
// DecodeBatchEmbedContentsRequest read request bodies; EncodeResponse
// writes the unary GenerateContentResponse; a StreamEncoder turns
// canonical chunks into the SSE stream (unnamed data frames, the last with
// finishReason and usageMetadata); EncodeError and ErrorFrame write
// failures in Google's {"error":{code,message,status}} shape;
// EncodeCountTokensResponse, EncodeEmbedContentResponse,
// EncodeBatchEmbedContentsResponse, EncodeModelList and EncodeModel write
// the other answers.
//
// Provider side: BuildRequest writes a generateContent body for a client
// of another dialect, ParseResponse and a StreamParser read the answers
// (for every client, so usage is always metered), ParseError maps failures
// to typed errors, BuildEmbeddingsRequest and ParseEmbeddingsResponse
// serve embeddings, and RewriteForUpstream forwards a same-dialect body,
// which needs no change because the model is in the URL.
//
// Some Gemini features have no canonical form (cachedContent, files
// stored at Google, code execution parts, non-text output modalities).
// DecodeRequest accepts them, because a same-dialect provider gets the
// original body; CheckTranslatable reports them as errs.Invalid naming the
// field, and must be called before the request is built for a provider of
// another dialect.
//
// Token counts: Gemini's promptTokenCount includes cached tokens
// (cachedContentTokenCount) as the canonical InputTokens does, but its
// candidatesTokenCount excludes thinking (thoughtsTokenCount), which the
// canonical OutputTokens includes; parsing adds it and encoding subtracts
// it again.
package gemini
