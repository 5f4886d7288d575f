package router

import (
	"flag"
	"fmt"
)

// HTTP servers the facade can run on.
const (
	// ServerTollgate is the front door's own HTTP/1.1 server (kit/http1):
	// I/O on the connection's goroutine, no background read per request.
	ServerTollgate = "tollgate"
	// ServerNetHTTP is Go's net/http server, kept as a fallback and as the
	// yardstick the bench compares against.
	ServerNetHTTP = "net/http"
)

// FacadeFlags are the HTTP facade's flags, shared by the router and the
// all-in-one binaries.
type FacadeFlags struct {
	Addr   string
	Server string
}

// Register adds -http-addr and -http-server to fs.
func (f *FacadeFlags) Register(fs *flag.FlagSet) {
	fs.StringVar(&f.Addr, "http-addr", "127.0.0.1:8080", "HTTP facade listen address (OpenAI-compatible API)")
	fs.StringVar(&f.Server, "http-server", ServerTollgate,
		"HTTP server of the facade: "+ServerTollgate+" (the gateway's HTTP/1.1 server) or "+ServerNetHTTP+" (Go's)")
}

// Validate reports a bad flag value.
func (f *FacadeFlags) Validate() error {
	if f.Server != ServerTollgate && f.Server != ServerNetHTTP {
		return fmt.Errorf("-http-server: %q is neither %q nor %q", f.Server, ServerTollgate, ServerNetHTTP)
	}
	return nil
}
