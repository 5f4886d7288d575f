package bench

import (
	"crypto/tls"
	"net"
	"net/http"
	"time"
)

// NewClient returns an HTTP/1.1 client for a closed loop of concurrency
// workers against one host: every worker keeps its own keep-alive connection
// (idle pool ≥ concurrency, so no request pays a new TCP handshake after
// warm-up), no proxy, no transparent gzip (the gateway's bytes are measured
// as sent) and no HTTP/2.
func NewClient(concurrency int) *http.Client {
	dialer := &net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}
	tr := &http.Transport{
		Proxy:               nil,
		DialContext:         dialer.DialContext,
		MaxIdleConns:        concurrency + 8,
		MaxIdleConnsPerHost: concurrency + 8,
		IdleConnTimeout:     2 * time.Minute,
		DisableCompression:  true,
		ForceAttemptHTTP2:   false,
		// A non-nil empty map turns HTTP/2 off even if TLS were in play.
		TLSNextProto: map[string]func(string, *tls.Conn) http.RoundTripper{},
	}
	// The timeout only guards against a hung gateway; a healthy request on
	// loopback takes well under a millisecond.
	return &http.Client{Transport: tr, Timeout: 30 * time.Second}
}
