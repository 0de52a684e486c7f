// Package tls builds the client-side TLS and HTTP transport settings charmtrace
// uses to reach an OTLP/HTTP receiver.
//
// The package shares its name with crypto/tls on purpose: it is the one place
// in charmtrace that decides TLS policy. Inside this package crypto/tls is
// imported as cryptotls; callers usually import this package under a name such
// as charmtls.
//
// The policy follows what Juju's Tempo deployments need (see the certificate
// transfer relation):
//
//   - TLS 1.2 to 1.3. Older Tempo coordinators stop at 1.2, so 1.3 is never
//     required.
//   - The CA bundle from the relation is the only trust: its certificates become
//     RootCAs verbatim, so an intermediate CA alone verifies a leaf it signed
//     (Go treats every pool certificate as an anchor, the equivalent of
//     OpenSSL's partial-chain flag). An empty bundle means the system roots.
//   - A bundle is certificates only: one holding a private key, another PEM
//     type or a certificate that does not parse is refused whole, with an
//     error that names the block by number and type and never quotes it,
//     instead of silently trusting part of it. Certificates and
//     EncodeCertificates let a caller keep only the certificates of a bundle.
//   - Verification is never switched off.
//   - HTTP/1.1 only, chosen through http.Transport.Protocols so no tls.Config
//     is mutated to get there.
package tls
