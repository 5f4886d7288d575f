package facade

import (
	"net/http"
	"strings"
)

// trackingWriter remembers whether the status line went out, so the facade
// never writes it twice; Unwrap keeps http.ResponseController (Flush) working.
//
// It also shapes grpc-gateway's flush after every message. An event stream
// flushes each frame. A whole JSON answer (one message, its length known up
// front: see applyStatus) is sent with a Content-Length and flushed at once,
// in one write: the client has its answer before the router's bookkeeping
// after the last message (metrics, the usage event) runs, and no chunk
// terminator follows. Any other response (Gemini's JSON-array stream) waits
// for the end of the handler.
type trackingWriter struct {
	http.ResponseWriter
	wroteHeader bool
	streaming   bool
	// wholeBody says the response is a single message of known length.
	wholeBody bool
	// oneMessageRoute says the route answers with one message unless it
	// fails (every route but a JSON-array stream).
	oneMessageRoute bool
	status          int
}

func (w *trackingWriter) WriteHeader(code int) {
	if w.wroteHeader {
		return
	}
	w.wroteHeader = true
	w.status = code
	w.streaming = strings.HasPrefix(w.Header().Get("Content-Type"), "text/event-stream")
	w.ResponseWriter.WriteHeader(code)
}

func (w *trackingWriter) Write(b []byte) (int, error) {
	if !w.wroteHeader {
		w.WriteHeader(http.StatusOK)
	}
	return w.ResponseWriter.Write(b)
}

func (w *trackingWriter) Flush() {
	if !w.streaming && !w.wholeBody {
		return
	}
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

func (w *trackingWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
