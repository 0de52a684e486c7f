package otlpreceiver

import "crypto/tls"

// Option configures Start.
type Option func(*config)

type config struct {
	cert  *tls.Certificate
	fault FaultFunc
}

// WithTLS serves HTTPS with cert (TLS 1.2 and 1.3) instead of plain HTTP. Clients
// must trust the CA that signed it; internal/testcerts mints one for 127.0.0.1.
func WithTLS(cert tls.Certificate) Option {
	return func(c *config) { c.cert = &cert }
}

// WithFaults makes fn decide how each request is answered.
func WithFaults(fn FaultFunc) Option {
	return func(c *config) { c.fault = fn }
}
