package tls

import (
	cryptotls "crypto/tls"
	"net"
	"net/http"
	"time"
)

// Transport returns an HTTP/1.1-only transport using a clone of cfg for TLS
// (nil cfg: crypto/tls defaults, fine for http:// URLs). cfg itself is never
// modified, now or when the transport later dials.
//
// The transport has no overall timeout of its own: callers bound each request
// with its context, which net/http applies to DNS, dial, TLS handshake and body
// alike. The proxy comes from the environment (HTTP_PROXY, HTTPS_PROXY,
// NO_PROXY), as for any other HTTP client in a Juju hook.
//
// The transport is plain net/http: nothing wraps it, so requests through it are
// never traced, which keeps an exporter from tracing its own exports.
func Transport(cfg *cryptotls.Config) *http.Transport {
	var protocols http.Protocols
	protocols.SetHTTP1(true)
	t := &http.Transport{
		Proxy: http.ProxyFromEnvironment,
		DialContext: (&net.Dialer{
			Timeout:   30 * time.Second,
			KeepAlive: 30 * time.Second,
		}).DialContext,
		Protocols:           &protocols,
		TLSHandshakeTimeout: 10 * time.Second,
		MaxIdleConns:        4,
		IdleConnTimeout:     90 * time.Second,
	}
	if cfg != nil {
		t.TLSClientConfig = cfg.Clone()
	}
	return t
}

// Client returns an http.Client over Transport(cfg) that never follows
// redirects: a 3xx response is returned to the caller as is. Following one
// would turn a POST into a body-less GET whose 2xx looks like a delivery.
func Client(cfg *cryptotls.Config) *http.Client {
	return &http.Client{
		Transport: Transport(cfg),
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
}
