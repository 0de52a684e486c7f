package tls

import (
	"bytes"
	cryptotls "crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
)

// ErrNoCertificates reports a CA bundle that is not empty but holds no usable
// certificate. The wrapping error says how many PEM blocks were skipped, or that
// there was none.
var ErrNoCertificates = errors.New("CA bundle holds no usable certificate")

// Config returns a client TLS configuration that trusts exactly the
// certificates in caPEM, a concatenation of PEM "CERTIFICATE" blocks. Blocks of
// other types, blocks with headers and certificates that fail to parse are
// skipped; if nothing is left the result is an error wrapping
// ErrNoCertificates. A caPEM that is empty or only whitespace selects the
// system roots. Every call returns a new Config the caller may modify.
func Config(caPEM []byte) (*cryptotls.Config, error) {
	cfg := &cryptotls.Config{
		MinVersion: cryptotls.VersionTLS12,
		MaxVersion: cryptotls.VersionTLS13,
	}
	if len(bytes.TrimSpace(caPEM)) == 0 {
		return cfg, nil // nil RootCAs: the system roots
	}
	pool, err := certPool(caPEM)
	if err != nil {
		return nil, err
	}
	cfg.RootCAs = pool
	return cfg, nil
}

// certPool parses a PEM bundle itself rather than through
// x509.CertPool.AppendCertsFromPEM, which hides how many blocks it skipped.
func certPool(caPEM []byte) (*x509.CertPool, error) {
	pool := x509.NewCertPool()
	added, skipped := 0, 0
	for rest := caPEM; ; {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			break
		}
		if block.Type != "CERTIFICATE" || len(block.Headers) != 0 {
			skipped++
			continue
		}
		cert, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			skipped++
			continue
		}
		pool.AddCert(cert)
		added++
	}
	if added == 0 && skipped == 0 {
		return nil, fmt.Errorf("%w: no PEM block found", ErrNoCertificates)
	}
	if added == 0 {
		return nil, fmt.Errorf("%w: %d PEM block(s) skipped", ErrNoCertificates, skipped)
	}
	return pool, nil
}
