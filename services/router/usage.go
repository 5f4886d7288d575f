package router

import (
	"strconv"
	"time"

	inferencev1 "github.com/tollgate/tollgate/gen/go/tollgate/inference/v1"
	telemetryv1 "github.com/tollgate/tollgate/gen/go/tollgate/telemetry/v1"
	"github.com/tollgate/tollgate/services/kit/errs"
)

// fail records err on the call and returns it.
func (c *call) fail(err error) error {
	te := errs.From(err)
	c.err, c.status = te, te.HTTPStatus()
	return te
}

// observeChunk accumulates what a streamed chunk says about usage.
func (c *call) observeChunk(ch *inferencev1.ChatChunk) {
	if u := ch.GetUsage(); u != nil {
		c.usage = u
	}
	for _, d := range ch.GetDeltas() {
		c.outChars += int64(len(d.GetText()))
		for _, tc := range d.GetToolCalls() {
			c.outChars += int64(len(tc.GetArgumentsJson()))
		}
	}
}

func inputChars(r *inferencev1.ChatRequest) int64 {
	var n int64
	for _, m := range r.GetMessages() {
		for _, p := range m.GetContent() {
			n += int64(len(p.GetText()))
		}
	}
	return n
}

func outputChars(r *inferencev1.ChatResponse) int64 {
	var n int64
	for _, ch := range r.GetChoices() {
		for _, p := range ch.GetMessage().GetContent() {
			n += int64(len(p.GetText()))
		}
		for _, tc := range ch.GetMessage().GetToolCalls() {
			n += int64(len(tc.GetArgumentsJson()))
		}
	}
	return n
}

// apiType names the dialect in usage rows.
func apiType(d inferencev1.Dialect) string {
	switch d {
	case inferencev1.Dialect_DIALECT_OPENAI_CHAT:
		return "openai_chat"
	case inferencev1.Dialect_DIALECT_OPENAI_RESPONSES:
		return "openai_responses"
	case inferencev1.Dialect_DIALECT_OPENAI_EMBEDDINGS:
		return "openai_embeddings"
	case inferencev1.Dialect_DIALECT_ANTHROPIC_MESSAGES:
		return "anthropic_messages"
	case inferencev1.Dialect_DIALECT_GEMINI:
		return "gemini"
	default:
		return "canonical"
	}
}

// estimateTokens is the fallback when a provider reports no usage: about
// four characters a token for English text.
func estimateTokens(chars int64) int64 { return (chars + 3) / 4 }

// finish emits metrics and the usage event once the response is done.
func (s *Service) finish(c *call) {
	elapsed := time.Since(c.start)
	endpoint, entityName, provider, model := "", "", "", ""
	if c.route != nil {
		endpoint = c.route.ep.Name
	}
	if c.entity != nil {
		entityName, provider, model = c.entity.se.Name, c.entity.se.Provider, c.entity.se.Model
	}
	usage := c.usage
	estimated := false
	if usage == nil && c.err == nil && c.entity != nil {
		estimated = true
		usage = &inferencev1.Usage{InputTokens: estimateTokens(c.inChars), OutputTokens: estimateTokens(c.outChars), Estimated: true}
	} else if usage != nil {
		estimated = usage.GetEstimated()
	}
	s.metrics.observe(c, endpoint, entityName, provider, model, elapsed, usage)

	if c.route == nil || !c.route.ep.UsageTrackingEnabled() || s.deps.Usage == nil {
		return
	}
	ev := &telemetryv1.UsageEvent{
		DatabricksRequestId:  c.requestID,
		ClientRequestId:      c.clientRequestID,
		AccountId:            s.deps.Config.Current().Config.Gateway.AccountID,
		WorkspaceId:          s.deps.Config.Current().Config.Gateway.WorkspaceID,
		StatusCode:           int32(c.status),
		RequestTimeUnixMs:    c.start.UnixMilli(),
		InputCharacterCount:  c.inChars,
		OutputCharacterCount: c.outChars,
		UsageContext:         c.usageContext,
		RequestStreaming:     c.streaming,
		EndpointName:         endpoint,
		Provider:             provider,
		Model:                model,
		UserAgent:            c.userAgent,
		ClientKind:           clientKind(c.userAgent),
		ApiType:              apiType(c.dialect),
		LatencyMs:            elapsed.Milliseconds(),
		TimeToFirstByteMs:    c.firstByte.Milliseconds(),
		FallbackAttempts:     int32(c.attempts),
		RateLimited:          c.rateLimited,
		TokensEstimated:      estimated,
		ServedEntityName:     entityName,
	}
	if c.entity != nil {
		ev.ServedEntityId = c.entity.id
	}
	if c.identity != nil {
		ev.Requester, ev.RequesterType, ev.Groups = c.identity.Principal, c.identity.Type, c.identity.Groups
	}
	if usage != nil {
		ev.InputTokenCount, ev.OutputTokenCount = usage.GetInputTokens(), usage.GetOutputTokens()
		ev.CacheReadInputTokens, ev.CacheCreationInputTokens = usage.GetCacheReadInputTokens(), usage.GetCacheCreationInputTokens()
		ev.ReasoningTokens = usage.GetReasoningTokens()
	}
	if c.err != nil {
		ev.ErrorCode = c.err.Code
	}
	if c.payload != nil {
		ev.Payload = c.payload.event(c)
	}
	s.deps.Usage.Emit(ev)
}

func statusLabel(code int) string { return strconv.Itoa(code) }
