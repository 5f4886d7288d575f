package clickhouse

import (
	"math"
	"slices"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	telemetryv1 "github.com/tollgate/tollgate/gen/go/tollgate/telemetry/v1"
)

// usageBlock holds endpoint_usage rows column by column, the shape the
// native protocol sends, so a batch is appended with one call per column.
type usageBlock struct {
	accountID, workspaceID, servedEntityID, clientRequestID, requestID, requester []string
	statusCode                                                                    []int32
	requestTime                                                                   []time.Time
	inputTokens, outputTokens, inputChars, outputChars                            []int64
	contextKeys, contextValues                                                    [][]string
	streaming                                                                     []uint8
	endpoint, provider, model, requesterType                                      []string
	groups                                                                        [][]string
	userAgent, clientKind, apiType                                                []string
	latencyMs, ttfbMs, cacheRead, cacheCreation, reasoning                        []int64
	fallbackAttempts                                                              []int32
	rateLimited                                                                   []uint8
	errorCode                                                                     []string
	tokensEstimated                                                               []uint8
	servedEntityName                                                              []string
}

func (u *usageBlock) len() int { return len(u.requestID) }

func (u *usageBlock) reset() {
	*u = usageBlock{
		accountID: u.accountID[:0], workspaceID: u.workspaceID[:0], servedEntityID: u.servedEntityID[:0],
		clientRequestID: u.clientRequestID[:0], requestID: u.requestID[:0], requester: u.requester[:0],
		statusCode: u.statusCode[:0], requestTime: u.requestTime[:0],
		inputTokens: u.inputTokens[:0], outputTokens: u.outputTokens[:0], inputChars: u.inputChars[:0], outputChars: u.outputChars[:0],
		contextKeys: u.contextKeys[:0], contextValues: u.contextValues[:0], streaming: u.streaming[:0],
		endpoint: u.endpoint[:0], provider: u.provider[:0], model: u.model[:0], requesterType: u.requesterType[:0],
		groups: u.groups[:0], userAgent: u.userAgent[:0], clientKind: u.clientKind[:0], apiType: u.apiType[:0],
		latencyMs: u.latencyMs[:0], ttfbMs: u.ttfbMs[:0], cacheRead: u.cacheRead[:0], cacheCreation: u.cacheCreation[:0], reasoning: u.reasoning[:0],
		fallbackAttempts: u.fallbackAttempts[:0], rateLimited: u.rateLimited[:0], errorCode: u.errorCode[:0],
		tokensEstimated: u.tokensEstimated[:0], servedEntityName: u.servedEntityName[:0],
	}
}

// add appends one event as a row.
func (u *usageBlock) add(e *telemetryv1.UsageEvent) {
	u.accountID = append(u.accountID, e.GetAccountId())
	u.workspaceID = append(u.workspaceID, e.GetWorkspaceId())
	u.servedEntityID = append(u.servedEntityID, e.GetServedEntityId())
	u.clientRequestID = append(u.clientRequestID, e.GetClientRequestId())
	u.requestID = append(u.requestID, e.GetDatabricksRequestId())
	u.requester = append(u.requester, e.GetRequester())
	u.statusCode = append(u.statusCode, e.GetStatusCode())
	u.requestTime = append(u.requestTime, requestTime(e))
	u.inputTokens = append(u.inputTokens, e.GetInputTokenCount())
	u.outputTokens = append(u.outputTokens, e.GetOutputTokenCount())
	u.inputChars = append(u.inputChars, e.GetInputCharacterCount())
	u.outputChars = append(u.outputChars, e.GetOutputCharacterCount())
	keys, values := usageContext(e.GetUsageContext())
	u.contextKeys = append(u.contextKeys, keys)
	u.contextValues = append(u.contextValues, values)
	u.streaming = append(u.streaming, boolByte(e.GetRequestStreaming()))
	u.endpoint = append(u.endpoint, e.GetEndpointName())
	u.provider = append(u.provider, e.GetProvider())
	u.model = append(u.model, e.GetModel())
	u.requesterType = append(u.requesterType, e.GetRequesterType())
	groups := e.GetGroups()
	if groups == nil {
		groups = []string{}
	}
	u.groups = append(u.groups, groups)
	u.userAgent = append(u.userAgent, e.GetUserAgent())
	u.clientKind = append(u.clientKind, e.GetClientKind())
	u.apiType = append(u.apiType, e.GetApiType())
	u.latencyMs = append(u.latencyMs, e.GetLatencyMs())
	u.ttfbMs = append(u.ttfbMs, e.GetTimeToFirstByteMs())
	u.cacheRead = append(u.cacheRead, e.GetCacheReadInputTokens())
	u.cacheCreation = append(u.cacheCreation, e.GetCacheCreationInputTokens())
	u.reasoning = append(u.reasoning, e.GetReasoningTokens())
	u.fallbackAttempts = append(u.fallbackAttempts, e.GetFallbackAttempts())
	u.rateLimited = append(u.rateLimited, boolByte(e.GetRateLimited()))
	u.errorCode = append(u.errorCode, e.GetErrorCode())
	u.tokensEstimated = append(u.tokensEstimated, boolByte(e.GetTokensEstimated()))
	u.servedEntityName = append(u.servedEntityName, e.GetServedEntityName())
}

// columns are the column slices in usageColumns order, rows [from, to).
func (u *usageBlock) columns(from, to int) []any {
	return []any{
		u.accountID[from:to], u.workspaceID[from:to], u.servedEntityID[from:to], u.clientRequestID[from:to],
		u.requestID[from:to], u.requester[from:to], u.statusCode[from:to], u.requestTime[from:to],
		u.inputTokens[from:to], u.outputTokens[from:to], u.inputChars[from:to],
		u.outputChars[from:to], u.contextKeys[from:to], u.contextValues[from:to],
		u.streaming[from:to], u.endpoint[from:to], u.provider[from:to], u.model[from:to], u.requesterType[from:to],
		u.groups[from:to], u.userAgent[from:to], u.clientKind[from:to], u.apiType[from:to], u.latencyMs[from:to],
		u.ttfbMs[from:to], u.cacheRead[from:to],
		u.cacheCreation[from:to], u.reasoning[from:to], u.fallbackAttempts[from:to],
		u.rateLimited[from:to], u.errorCode[from:to], u.tokensEstimated[from:to], u.servedEntityName[from:to],
	}
}

// keep compacts the block to the rows whose keep[i] is true, preserving order.
func (u *usageBlock) keep(keep []bool) {
	u.accountID = compact(u.accountID, keep)
	u.workspaceID = compact(u.workspaceID, keep)
	u.servedEntityID = compact(u.servedEntityID, keep)
	u.clientRequestID = compact(u.clientRequestID, keep)
	u.requestID = compact(u.requestID, keep)
	u.requester = compact(u.requester, keep)
	u.statusCode = compact(u.statusCode, keep)
	u.requestTime = compact(u.requestTime, keep)
	u.inputTokens = compact(u.inputTokens, keep)
	u.outputTokens = compact(u.outputTokens, keep)
	u.inputChars = compact(u.inputChars, keep)
	u.outputChars = compact(u.outputChars, keep)
	u.contextKeys = compact(u.contextKeys, keep)
	u.contextValues = compact(u.contextValues, keep)
	u.streaming = compact(u.streaming, keep)
	u.endpoint = compact(u.endpoint, keep)
	u.provider = compact(u.provider, keep)
	u.model = compact(u.model, keep)
	u.requesterType = compact(u.requesterType, keep)
	u.groups = compact(u.groups, keep)
	u.userAgent = compact(u.userAgent, keep)
	u.clientKind = compact(u.clientKind, keep)
	u.apiType = compact(u.apiType, keep)
	u.latencyMs = compact(u.latencyMs, keep)
	u.ttfbMs = compact(u.ttfbMs, keep)
	u.cacheRead = compact(u.cacheRead, keep)
	u.cacheCreation = compact(u.cacheCreation, keep)
	u.reasoning = compact(u.reasoning, keep)
	u.fallbackAttempts = compact(u.fallbackAttempts, keep)
	u.rateLimited = compact(u.rateLimited, keep)
	u.errorCode = compact(u.errorCode, keep)
	u.tokensEstimated = compact(u.tokensEstimated, keep)
	u.servedEntityName = compact(u.servedEntityName, keep)
}

// payloadBlock holds one <prefix>_payload table's rows column by column.
type payloadBlock struct {
	table            string
	requestID        []string
	clientRequestID  []string
	requestDate      []time.Time
	requestTime      []time.Time
	statusCode       []int32
	samplingFraction []float64
	executionMs      []int64
	request          [][]byte
	response         [][]byte
	servedEntityID   []string
	loggingErrors    [][]string
	requester        []string
}

func (p *payloadBlock) len() int { return len(p.requestID) }

func (p *payloadBlock) add(e *telemetryv1.UsageEvent) {
	pl := e.GetPayload()
	t := requestTime(e)
	p.requestID = append(p.requestID, e.GetDatabricksRequestId())
	p.clientRequestID = append(p.clientRequestID, e.GetClientRequestId())
	p.requestDate = append(p.requestDate, t)
	p.requestTime = append(p.requestTime, t)
	p.statusCode = append(p.statusCode, e.GetStatusCode())
	p.samplingFraction = append(p.samplingFraction, pl.GetSamplingFraction())
	p.executionMs = append(p.executionMs, pl.GetExecutionDurationMs())
	p.request = append(p.request, pl.GetRequest())
	p.response = append(p.response, pl.GetResponse())
	p.servedEntityID = append(p.servedEntityID, e.GetServedEntityId())
	codes := pl.GetLoggingErrorCodes()
	if codes == nil {
		codes = []string{}
	}
	p.loggingErrors = append(p.loggingErrors, codes)
	p.requester = append(p.requester, e.GetRequester())
}

func (p *payloadBlock) columns(from, to int) []any {
	return []any{
		p.requestID[from:to], p.clientRequestID[from:to], p.requestDate[from:to], p.requestTime[from:to],
		p.statusCode[from:to], p.samplingFraction[from:to], p.executionMs[from:to], p.request[from:to],
		p.response[from:to], p.servedEntityID[from:to], p.loggingErrors[from:to], p.requester[from:to],
	}
}

func (p *payloadBlock) keep(keep []bool) {
	p.requestID = compact(p.requestID, keep)
	p.clientRequestID = compact(p.clientRequestID, keep)
	p.requestDate = compact(p.requestDate, keep)
	p.requestTime = compact(p.requestTime, keep)
	p.statusCode = compact(p.statusCode, keep)
	p.samplingFraction = compact(p.samplingFraction, keep)
	p.executionMs = compact(p.executionMs, keep)
	p.request = compact(p.request, keep)
	p.response = compact(p.response, keep)
	p.servedEntityID = compact(p.servedEntityID, keep)
	p.loggingErrors = compact(p.loggingErrors, keep)
	p.requester = compact(p.requester, keep)
}

// appendColumns appends whole column slices to a prepared insert.
func appendColumns(b driver.Batch, cols []any) error {
	for i, c := range cols {
		if err := b.Column(i).Append(c); err != nil {
			return err
		}
	}
	return nil
}

func compact[T any](s []T, keep []bool) []T {
	n := 0
	for i := range s {
		if keep[i] {
			s[n] = s[i]
			n++
		}
	}
	clear(s[n:])
	return s[:n]
}

// requestTime is the event's arrival time at DateTime's one-second
// resolution, clamped to the range DateTime can hold. Loading and
// reconciling both use it, so they agree on which partition a row is in.
func requestTime(e *telemetryv1.UsageEvent) time.Time {
	sec := e.GetRequestTimeUnixMs() / 1000
	sec = min(max(sec, 0), math.MaxUint32)
	return time.Unix(sec, 0).UTC()
}

// usageContext splits the map into key and value arrays sorted by key, so
// the same map always becomes the same row.
func usageContext(m map[string]string) (keys, values []string) {
	if len(m) == 0 {
		return []string{}, []string{}
	}
	keys = make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	values = make([]string, len(keys))
	for i, k := range keys {
		values[i] = m[k]
	}
	return keys, values
}

func boolByte(b bool) uint8 {
	if b {
		return 1
	}
	return 0
}
