package openai

import "github.com/tollgate/tollgate/services/kit/wire/internal/jsonx"

// Databricks AI Gateway accepts two extra top-level body fields on every
// OpenAI-style request. Tollgate reads them for its own bookkeeping and
// RewriteForUpstream strips them, because OpenAI rejects unknown fields.
const (
	gatewayFieldClientRequestID = "client_request_id"
	gatewayFieldUsageContext    = "usage_context"
)

// GatewayExtras are the gateway-only fields of a request body.
type GatewayExtras struct {
	// ClientRequestID is the caller's own id for the request (client_request_id).
	ClientRequestID string
	// UsageContext is caller-supplied attribution, string values only (usage_context).
	UsageContext map[string]string
}

// DecodeGatewayExtras reads client_request_id (a string) and usage_context
// (an object of strings) from any JSON object body: chat or embeddings.
// Absent fields yield zero values; wrong types are errs.Invalid naming the
// field. Chat handlers can get the same result without a second pass from
// DecodeChatRequestExtras.
func DecodeGatewayExtras(body []byte) (clientRequestID string, usageContext map[string]string, err error) {
	var crid, uctx []byte
	err = jsonx.ScanTopLevel(body, func(key, val []byte) {
		switch string(key) {
		case gatewayFieldClientRequestID:
			crid = val
		case gatewayFieldUsageContext:
			uctx = val
		}
	})
	if err != nil {
		return "", nil, jsonx.ToInvalid(err)
	}
	x, err := decodeExtras(crid, uctx)
	if err != nil {
		return "", nil, jsonx.ToInvalid(err)
	}
	return x.ClientRequestID, x.UsageContext, nil
}

func decodeExtras(crid, uctx []byte) (GatewayExtras, error) {
	var x GatewayExtras
	var err error
	if jsonx.Present(crid) {
		if x.ClientRequestID, err = jsonx.ReadString(crid); err != nil {
			return x, jsonx.InField(gatewayFieldClientRequestID, err)
		}
	}
	if jsonx.Present(uctx) {
		if x.UsageContext, err = jsonx.ReadStringMap(uctx); err != nil {
			return x, jsonx.InField(gatewayFieldUsageContext, err)
		}
	}
	return x, nil
}
