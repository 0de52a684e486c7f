package testcerts

import (
	"crypto/tls"
	"net/http"
	"net/http/httptest"
)

// NewTLSServer starts an httptest server on loopback presenting leaf and
// speaking only TLS versions minVersion..maxVersion. The caller closes it.
func NewTLSServer(h http.Handler, leaf tls.Certificate, minVersion, maxVersion uint16) *httptest.Server {
	srv := httptest.NewUnstartedServer(h)
	srv.TLS = &tls.Config{
		Certificates: []tls.Certificate{leaf},
		MinVersion:   minVersion,
		MaxVersion:   maxVersion,
	}
	srv.StartTLS()
	return srv
}
