// Package cohere is Cohere's chat v2 wire format (POST /v2/chat, JSON and
// server-sent events) and its translation to and from Tollgate's canonical
// inference model (inferencev1). It is the provider side only: no client
// speaks Cohere to Tollgate.
//
// BuildRequest writes a chat v2 body from a canonical request;
// ParseResponse reads an answer; StreamParser reads the stream's events
// (message-start, content-*, tool-plan-delta, tool-call-*, citation-*,
// message-end); ParseError maps Cohere's failures to typed errors.
//
// Cohere's tool_plan (the model's account of the tools it is about to
// call) is canonical reasoning: parsed into reasoning, and an assistant
// turn's reasoning is sent back as its tool_plan when it calls tools.
// Usage is Cohere's token counts (usage.tokens), or its billed units when
// it gives no token counts.
package cohere
