package tls

import (
	"bytes"
	cryptotls "crypto/tls"
	"crypto/x509"
	"errors"
)

// ErrNoCertificates reports a CA bundle that is not empty but holds no PEM
// block at all.
var ErrNoCertificates = errors.New("CA bundle holds no usable certificate")

// Config returns a client TLS configuration that trusts exactly the
// certificates in caPEM, a concatenation of PEM "CERTIFICATE" blocks (see
// Certificates). A bundle holding anything else — a private key, another block
// type, a certificate that does not parse — is refused with an error wrapping
// ErrNotCertificate, rather than trusted in part; one holding no PEM block at
// all, with an error wrapping ErrNoCertificates. A caPEM that is empty or only
// whitespace selects the system roots. Every call returns a new Config the
// caller may modify.
func Config(caPEM []byte) (*cryptotls.Config, error) {
	cfg := &cryptotls.Config{
		MinVersion: cryptotls.VersionTLS12,
		MaxVersion: cryptotls.VersionTLS13,
	}
	if len(bytes.TrimSpace(caPEM)) == 0 {
		return cfg, nil // nil RootCAs: the system roots
	}
	certs, err := Certificates(caPEM)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	for _, c := range certs {
		pool.AddCert(c)
	}
	cfg.RootCAs = pool
	return cfg, nil
}
