package provideradapter

import (
	"net"
	"net/http"
	"time"
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
	return &http.Client{
		Transport: transport,
		// A provider API does not redirect; following one would replay the
		// request (and its key) somewhere unexpected.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}
