package facade

import (
	"context"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"github.com/grpc-ecosystem/grpc-gateway/v2/utilities"
	"google.golang.org/genproto/googleapis/api/httpbody"
	"google.golang.org/grpc/metadata"
	"google.golang.org/protobuf/proto"

	routerv1 "github.com/tollgate/tollgate/gen/go/tollgate/router/v1"
	telemetryv1 "github.com/tollgate/tollgate/gen/go/tollgate/telemetry/v1"
	"github.com/tollgate/tollgate/services/kit/errs"
	"github.com/tollgate/tollgate/services/kit/inproc"
	"github.com/tollgate/tollgate/services/router/httperr"
	"github.com/tollgate/tollgate/services/router/requestid"
)

// Metadata keys the facade adds to every call; clients cannot set them
// (only the header names in forwardedHeaders reach the router).
const (
	MDRequestID = "x-tollgate-request-id"
	MDQuery     = "x-tollgate-query"
	// MDHTTPStatus is response header metadata a raw-body RPC sets when its
	// single frame is an error body: the facade answers with that status.
	MDHTTPStatus = "x-tollgate-http-status"
	// MDRetryAfter becomes the Retry-After header.
	MDRetryAfter = "retry-after"
)

// forwardedHeaders are the client headers the router may read.
var forwardedHeaders = map[string]bool{
	"X-Api-Key": true, "X-Goog-Api-Key": true, "User-Agent": true,
	"Anthropic-Version": true, "Anthropic-Beta": true, "Openai-Beta": true,
}

// Options configure the facade.
type Options struct {
	// MaxBodyBytes is read per request so config reloads apply at once.
	MaxBodyBytes func() int64
	// Ready reports whether the router can serve (policy loaded…), for /healthz.
	Ready func() bool
	Log   *slog.Logger
	// Conn options for the in-process connection (the interceptors the network server runs).
	Conn []inproc.Option
	// Telemetry, when set, serves the usage query API (telemetry.v1) on the same front door.
	Telemetry telemetryv1.TelemetryServiceClient
}

// Handler is the facade's http.Handler.
type Handler struct {
	mux  *runtime.ServeMux
	opts Options
}

// New builds the facade over the router implementation.
//
// grpc-gateway's RegisterXHandlerServer cannot serve streaming RPCs, so the
// facade registers RegisterXHandlerClient over an in-process connection that
// invokes the same implementation directly: no socket, no serialization.
func New(ctx context.Context, router routerv1.RouterServiceServer, opts Options) (*Handler, error) {
	mux := runtime.NewServeMux(
		runtime.WithMarshalerOption(runtime.MIMEWildcard, newRawBodyMarshaler()),
		runtime.WithIncomingHeaderMatcher(func(key string) (string, bool) {
			if forwardedHeaders[key] {
				return strings.ToLower(key), true
			}
			return "", false
		}),
		runtime.WithOutgoingHeaderMatcher(func(key string) (string, bool) {
			if key == MDRetryAfter {
				return "Retry-After", true
			}
			return "", false
		}),
		runtime.WithMetadata(annotate),
		runtime.WithErrorHandler(errorHandler),
		runtime.WithRoutingErrorHandler(routingErrorHandler),
		runtime.WithForwardResponseRewriter(unwrapBody),
		runtime.WithForwardResponseOption(applyStatus),
		runtime.SetQueryParameterParser(rawBodyQuery{}),
	)
	conn := inproc.New(&routerv1.RouterService_ServiceDesc, router, opts.Conn...)
	if err := routerv1.RegisterRouterServiceHandlerClient(ctx, mux, routerv1.NewRouterServiceClient(conn)); err != nil {
		return nil, err
	}
	if opts.Telemetry != nil {
		if err := telemetryv1.RegisterTelemetryServiceHandlerClient(ctx, mux, opts.Telemetry); err != nil {
			return nil, err
		}
	}
	return &Handler{mux: mux, opts: opts}, nil
}

// ServeHTTP assigns the request id, enforces the body limit and serves.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	id := requestid.New()
	tw := &trackingWriter{ResponseWriter: w, oneMessageRoute: !isJSONArrayStream(r)}
	tw.Header().Set("X-Request-Id", id)
	if r.Method == http.MethodHead {
		// Clients preconnect with HEAD on their base URL (Claude Code does);
		// answer without touching the API routes.
		tw.WriteHeader(http.StatusOK)
		return
	}
	if r.URL.Path == "/healthz" {
		if h.opts.Ready != nil && !h.opts.Ready() {
			http.Error(tw, "not ready\n", http.StatusServiceUnavailable)
			return
		}
		_, _ = tw.Write([]byte("ok\n"))
		return
	}
	if h.opts.MaxBodyBytes != nil && r.Body != nil {
		limit := h.opts.MaxBodyBytes()
		if r.ContentLength > limit {
			writeError(tw, r, errs.New(errs.KindTooLarge, "request_too_large",
				"request body of %d bytes exceeds the limit of %d bytes", r.ContentLength, limit))
			return
		}
		r.Body = http.MaxBytesReader(tw, r.Body, limit)
	}
	path := r.URL.Path
	r = r.WithContext(withInbound(r.Context(), &Inbound{RequestID: id, RawQuery: r.URL.RawQuery, Header: r.Header}))
	if !needsMetadata(path) {
		// The router reads Inbound; leave grpc-gateway no header to copy into
		// metadata (r is already a shallow copy, Inbound keeps the original).
		r.Header, r.Host, r.RemoteAddr = nil, "", ""
	}
	h.mux.ServeHTTP(tw, r)
}

// annotate adds the request id and query as metadata for the routes of other
// services; the router's own routes read them from Inbound.
func annotate(ctx context.Context, r *http.Request) metadata.MD {
	in := InboundFrom(r.Context())
	if in == nil || !needsMetadata(r.URL.Path) {
		return nil
	}
	md := metadata.MD{MDRequestID: []string{in.RequestID}}
	if r.URL.RawQuery != "" {
		md[MDQuery] = []string{r.URL.RawQuery}
	}
	return md
}

// unwrapBody hands grpc-gateway the HttpBody inside our response wrappers so
// streamed frames are written raw.
func unwrapBody(_ context.Context, m proto.Message) (any, error) {
	if rb, ok := m.(interface{ XXX_ResponseBody() any }); ok {
		if b, ok := rb.XXX_ResponseBody().(*httpbody.HttpBody); ok {
			return b, nil
		}
	}
	return m, nil
}

// applyStatus turns the router's status metadata into the HTTP status before
// the first byte is written.
func applyStatus(ctx context.Context, w http.ResponseWriter, m proto.Message) error {
	tw, ok := w.(*trackingWriter)
	if !ok || tw.wroteHeader {
		return nil
	}
	if b, ok := unwrapBodyValue(m); ok && tw.oneMessageRoute && !strings.HasPrefix(b.GetContentType(), "text/event-stream") {
		tw.Header().Set("Content-Length", strconv.Itoa(len(b.GetData())))
		tw.Header().Del("Transfer-Encoding")
		tw.wholeBody = true
	}
	md, ok := runtime.ServerMetadataFromContext(ctx)
	if !ok {
		return nil
	}
	if v := md.HeaderMD.Get(MDHTTPStatus); len(v) == 1 {
		if code, err := strconv.Atoi(v[0]); err == nil && code >= 400 {
			ct := "application/json"
			if b, ok := unwrapBodyValue(m); ok && b.GetContentType() != "" {
				ct = b.GetContentType()
			}
			tw.Header().Set("Content-Type", ct)
			tw.Header().Del("Transfer-Encoding")
			tw.WriteHeader(code)
		}
	}
	return nil
}

// isJSONArrayStream says r asks for Gemini's streamGenerateContent without
// alt=sse: one JSON array written element by element, the only answer that
// is not an event stream yet comes in several messages.
func isJSONArrayStream(r *http.Request) bool {
	return strings.HasSuffix(r.URL.Path, ":streamGenerateContent") && !AltSSE(r.URL.RawQuery)
}

// AltSSE reports whether a raw query asks for alt=sse (Gemini's switch from
// a JSON-array stream to an event stream). The router decides the answer's
// framing with it, the facade how to write it: they must agree.
func AltSSE(rawQuery string) bool {
	if !strings.Contains(rawQuery, "alt=") {
		return false
	}
	v, err := url.ParseQuery(rawQuery)
	return err == nil && v.Get("alt") == "sse"
}

func unwrapBodyValue(m proto.Message) (*httpbody.HttpBody, bool) {
	if m == nil {
		return nil, false
	}
	v, _ := unwrapBody(context.Background(), m)
	b, ok := v.(*httpbody.HttpBody)
	return b, ok
}

func errorHandler(ctx context.Context, _ *runtime.ServeMux, _ runtime.Marshaler, w http.ResponseWriter, r *http.Request, err error) {
	te := errs.From(err)
	if strings.Contains(te.Message, bodyTooLargeMarker) {
		te = errs.New(errs.KindTooLarge, "request_too_large", "%s", strings.TrimPrefix(te.Message, "tollgate: "))
	}
	writeError(w, r, te)
}

func routingErrorHandler(ctx context.Context, mux *runtime.ServeMux, m runtime.Marshaler, w http.ResponseWriter, r *http.Request, code int) {
	switch code {
	case http.StatusMethodNotAllowed:
		writeError(w, r, errs.New(errs.KindMethodNotAllowed, "method_not_allowed", "%s is not allowed on %s", r.Method, r.URL.Path))
	default:
		writeError(w, r, errs.NotFound("unknown_route", "no route for %s %s", r.Method, r.URL.Path))
	}
}

func writeError(w http.ResponseWriter, r *http.Request, err error) {
	status, body, te := httperr.Render(httperr.DialectOfPath(r.URL.Path), err)
	if te.Retry > 0 {
		w.Header().Set("Retry-After", httperr.RetryAfterSeconds(te.Retry))
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// rawBodyQuery skips grpc-gateway's query-to-field mapping for raw-body
// requests (the router reads their query from metadata, and a Gemini ?key=
// must not be parsed into a message) and applies it to typed requests (the
// usage query API's filters).
type rawBodyQuery struct{}

func (rawBodyQuery) Parse(msg proto.Message, values url.Values, filter *utilities.DoubleArray) error {
	if fd := msg.ProtoReflect().Descriptor().Fields().ByName("body"); fd != nil && fd.Message() != nil &&
		fd.Message().FullName() == "google.api.HttpBody" {
		return nil
	}
	return (&runtime.DefaultQueryParser{}).Parse(msg, values, filter)
}
