package facade

import (
	"net/http"
	"strings"
)

// trackingWriter remembers whether the status line went out, so the facade
// never writes it twice; Unwrap keeps http.ResponseController (Flush) working.
//
// It also drops grpc-gateway's flush after every message unless the response
// is an event stream: a JSON answer is one message, and flushing it early
// costs a second write syscall (the chunk terminator) for nothing.
type trackingWriter struct {
	http.ResponseWriter
	wroteHeader bool
	streaming   bool
	status      int
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
	if !w.streaming {
		return
	}
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

func (w *trackingWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
