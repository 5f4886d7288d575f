package router

import (
	"math/rand/v2"
	"time"

	telemetryv1 "github.com/tollgate/tollgate/gen/go/tollgate/telemetry/v1"
)

// Logging error codes of inference tables, as Databricks names them.
const (
	codeRequestTooLarge  = "MAX_REQUEST_SIZE_EXCEEDED"
	codeResponseTooLarge = "MAX_RESPONSE_SIZE_EXCEEDED"
)

// payloadCapture collects what an inference table stores for one sampled
// request. Only bodies are kept: credentials travel in headers and are
// never captured.
type payloadCapture struct {
	fraction  float64
	maxBytes  int64
	prefix    string
	request   []byte
	response  []byte
	stream    *assembler
	door      frontDoor
	model     string
	providerT time.Duration
}

// samplePayload decides, once per request, whether its payload is logged.
func (s *Service) samplePayload(c *call) {
	if c.route == nil {
		return
	}
	it := c.route.ep.InferenceTable
	if it == nil || !it.Enabled || rand.Float64() >= it.SamplingFraction {
		return
	}
	c.payload = &payloadCapture{fraction: it.SamplingFraction, maxBytes: it.MaxPayloadBytes, prefix: it.TableNamePrefix}
}

// event renders the capture for the usage event.
func (p *payloadCapture) event(c *call) *telemetryv1.InferencePayload {
	out := &telemetryv1.InferencePayload{SamplingFraction: p.fraction, TableNamePrefix: p.prefix,
		ExecutionDurationMs: time.Since(c.start).Milliseconds()}
	if int64(len(c.payloadRequest)) > p.maxBytes {
		out.LoggingErrorCodes = append(out.LoggingErrorCodes, codeRequestTooLarge)
	} else {
		out.Request = c.payloadRequest
	}
	resp := p.response
	if resp == nil && p.stream != nil && p.door != nil {
		resp = p.door.encodeResponse(p.stream.response(), p.model)
	}
	if int64(len(resp)) > p.maxBytes {
		out.LoggingErrorCodes = append(out.LoggingErrorCodes, codeResponseTooLarge)
	} else {
		out.Response = resp
	}
	return out
}
