package tls

import (
	"bytes"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"strconv"
)

// ErrNotCertificate reports a CA bundle that holds something other than certificates: a
// private key, a PEM block of another type, a block with headers (an encrypted one), or a
// CERTIFICATE block that does not parse. Such a bundle is refused whole: a provider that
// publishes its key as the CA has made a mistake worth seeing, and the key must not be
// kept anywhere. The wrapping error names the block by number and type, never its content.
var ErrNotCertificate = errors.New("CA bundle holds something other than certificates")

// Certificates parses a CA bundle, a concatenation of PEM "CERTIFICATE" blocks, and
// returns its certificates in order. Text outside the blocks (the comment lines some
// bundles carry) is ignored. A bundle holding any other block is an error wrapping
// ErrNotCertificate; one with no block at all, an error wrapping ErrNoCertificates.
//
// Whoever stores a bundle should store the certificates' PEM re-encoded from the result
// (see EncodeCertificates), not the bundle as given: then nothing but certificates is
// kept, whatever text came with them.
func Certificates(bundle []byte) ([]*x509.Certificate, error) {
	var certs []*x509.Certificate
	rest := bundle
	for n := 1; ; n++ {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			break
		}
		switch {
		case block.Type != "CERTIFICATE":
			return nil, fmt.Errorf("%w: PEM block %d is %s, not a certificate", ErrNotCertificate, n, quoteType(block.Type))
		case len(block.Headers) != 0:
			return nil, fmt.Errorf("%w: PEM block %d has headers (encrypted?)", ErrNotCertificate, n)
		}
		cert, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			// x509's error says what is wrong with the DER, never quotes it.
			return nil, fmt.Errorf("%w: PEM block %d is not a valid certificate", ErrNotCertificate, n)
		}
		certs = append(certs, cert)
	}
	if len(certs) == 0 {
		return nil, fmt.Errorf("%w: no PEM block found", ErrNoCertificates)
	}
	return certs, nil
}

// EncodeCertificates returns the PEM encoding of certs, one block after the other.
func EncodeCertificates(certs []*x509.Certificate) []byte {
	var b bytes.Buffer
	for _, c := range certs {
		pem.Encode(&b, &pem.Block{Type: "CERTIFICATE", Bytes: c.Raw}) // a bytes.Buffer never fails
	}
	return b.Bytes()
}

// quoteType quotes a PEM type for an error: short, and with anything unprintable escaped.
func quoteType(t string) string {
	const n = 40
	if r := []rune(t); len(r) > n {
		t = string(r[:n]) + "…"
	}
	return strconv.Quote(t)
}
