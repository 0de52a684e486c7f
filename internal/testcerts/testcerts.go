// Package testcerts mints throw-away X.509 certificates for tests and the demo:
// a root CA, intermediates, and leaves for loopback servers. Keys are ECDSA P-256
// because generating them is fast; nothing here is meant to protect real data.
package testcerts

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"time"
)

// Authority is a certificate authority that can sign intermediates and leaves.
type Authority struct {
	Cert *x509.Certificate
	key  *ecdsa.PrivateKey
	// chain holds the authority's own certificate followed by the intermediates
	// above it, excluding the root: what a server sends after its leaf.
	chain [][]byte
}

// LeafOptions shapes a server certificate. The zero value gives a leaf valid
// for an hour for 127.0.0.1, ::1 and localhost.
type LeafOptions struct {
	Hosts     []string // IP addresses or DNS names; default loopback names
	NotBefore time.Time
	NotAfter  time.Time
}

// NewRoot creates a self-signed root CA.
func NewRoot(commonName string) (*Authority, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	tmpl := caTemplate(commonName)
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, fmt.Errorf("create root: %w", err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	return &Authority{Cert: cert, key: key}, nil
}

// NewIntermediate creates a CA signed by a.
func (a *Authority) NewIntermediate(commonName string) (*Authority, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	der, err := x509.CreateCertificate(rand.Reader, caTemplate(commonName), a.Cert, &key.PublicKey, a.key)
	if err != nil {
		return nil, fmt.Errorf("create intermediate: %w", err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	chain := append([][]byte{der}, a.chain...)
	return &Authority{Cert: cert, key: key, chain: chain}, nil
}

// NewLeaf creates a server certificate signed by a, with the chain up to (not
// including) the root attached, ready for tls.Config.Certificates.
func (a *Authority) NewLeaf(o LeafOptions) (tls.Certificate, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, err
	}
	hosts := o.Hosts
	if len(hosts) == 0 {
		hosts = []string{"127.0.0.1", "::1", "localhost"}
	}
	notBefore, notAfter := o.NotBefore, o.NotAfter
	if notBefore.IsZero() {
		notBefore = time.Now().Add(-time.Minute)
	}
	if notAfter.IsZero() {
		notAfter = time.Now().Add(time.Hour)
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial(),
		Subject:      pkix.Name{CommonName: hosts[0]},
		NotBefore:    notBefore,
		NotAfter:     notAfter,
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	for _, h := range hosts {
		if ip := net.ParseIP(h); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else {
			tmpl.DNSNames = append(tmpl.DNSNames, h)
		}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, a.Cert, &key.PublicKey, a.key)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("create leaf: %w", err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		return tls.Certificate{}, err
	}
	return tls.Certificate{
		Certificate: append([][]byte{der}, a.chain...),
		PrivateKey:  key,
		Leaf:        leaf,
	}, nil
}

// PEM returns the authority's certificate PEM-encoded, as a CA bundle holds it.
func (a *Authority) PEM() []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: a.Cert.Raw})
}

func caTemplate(commonName string) *x509.Certificate {
	return &x509.Certificate{
		SerialNumber:          serial(),
		Subject:               pkix.Name{CommonName: commonName},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
}

func serial() *big.Int {
	var b [8]byte
	rand.Read(b[:]) // never fails: since Go 1.24 crypto/rand crashes instead
	return new(big.Int).SetBytes(b[:])
}
