package provideradapter

import (
	"net"
	"net/http"
	"time"

	"github.com/tollgate/tollgate/services/provideradapter/upstream"
)

// newHTTPClient is the one client every provider call shares: connections to
// a provider are kept alive and reused across requests, with room for many
// concurrent calls to the same host (the default of 2 idle connections per
// host would redial under load). There is no client-wide timeout: each call
// is bounded by its own context, and streams may legitimately run for minutes.
func newHTTPClient() *http.Client {
	transport := &http.Transport{
		Proxy: http.ProxyFromEnvironment,
		DialContext: (&net.Dialer{
			Timeout:   10 * time.Second,
			KeepAlive: 30 * time.Second,
		}).DialContext,
		ForceAttemptHTTP2:     true, // used when TLS offers it; plain HTTP/1.1 otherwise
		MaxIdleConns:          2048,
		MaxIdleConnsPerHost:   256,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   10 * time.Second,
		ExpectContinueTimeout: time.Second,
		ReadBufferSize:        32 << 10,
		WriteBufferSize:       32 << 10,
	}
	// The lean transport does the I/O on the caller's goroutine; net/http's
	// stays as the fallback for proxied environments.
	return upstream.NewClient(transport)
}
