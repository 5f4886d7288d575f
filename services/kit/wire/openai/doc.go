// Package openai is the OpenAI wire format: Chat Completions, Embeddings,
// models and errors, and their translation to and from Tollgate's canonical
// inference model (inferencev1).
//
// The router uses the client side: DecodeChatRequest, DecodeEmbeddingsRequest
// and DecodeGatewayExtras read request bodies; EncodeChatResponse,
// EncodeChunk, EncodeEmbeddingsResponse, EncodeModelList and EncodeError
// write answers. The provider adapter uses the provider side: BuildChatRequest
// and BuildEmbeddingsRequest write provider requests, ParseChatResponse,
// ParseChunk, ParseEmbeddingsResponse and ParseError read provider answers,
// and RewriteForUpstream forwards a same-dialect body with only its routing
// fields changed.
package openai
