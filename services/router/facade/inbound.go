package facade

import (
	"context"
	"net/http"
	"strings"
)

// Inbound is what the router needs from the HTTP request: its id, raw query
// and headers. The facade always runs in the router's process and reaches it
// over an in-process connection, so it hands these over in the call's
// context rather than as gRPC metadata: grpc-gateway would otherwise copy
// every forwarded header into metadata, the connection would copy it from
// outgoing to incoming, and the router would copy it once more to read it,
// on every request. A context value never crosses the network, so a remote
// gRPC caller cannot forge one; the router falls back to metadata for those.
type Inbound struct {
	RequestID string
	// RawQuery is the URL's query without '?' (Gemini's ?key=, ?alt=sse).
	RawQuery string
	// Header is the client's request header, shared read-only.
	Header http.Header
}

type inboundKey struct{}

// withInbound returns ctx carrying in.
func withInbound(ctx context.Context, in *Inbound) context.Context {
	return context.WithValue(ctx, inboundKey{}, in)
}

// InboundFrom returns the facade's view of the HTTP request behind ctx, or
// nil when the call did not come through the facade.
func InboundFrom(ctx context.Context) *Inbound {
	in, _ := ctx.Value(inboundKey{}).(*Inbound)
	return in
}

// metadataRoutePrefix is where the routes of other services (the usage API
// of telemetry, which may be remote) live: those still get the request's
// headers as gRPC metadata.
const metadataRoutePrefix = "/api/2.0/tollgate/"

// needsMetadata reports whether the route at path is served by another
// service and so reads the request's headers from gRPC metadata.
func needsMetadata(path string) bool { return strings.HasPrefix(path, metadataRoutePrefix) }
