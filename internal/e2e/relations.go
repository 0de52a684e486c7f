package e2e

import (
	"encoding/json"
	"strings"
)

// TempoReceivers is the `receivers` value of Tempo's application databag in the
// tracing (v2) relation, byte for byte as Tempo writes it (Python's json.dumps, with
// its ", " and ": " separators): an otlp_grpc receiver (host:port, no scheme) and an
// otlp_http one at httpURL (scheme, host and port; no path, no trailing slash).
func TempoReceivers(httpURL string) string {
	return `[{"protocol": {"name": "otlp_grpc", "type": "grpc"}, "url": ` + quote(grpcAddress(httpURL)) + `}, ` +
		`{"protocol": {"name": "otlp_http", "type": "http"}, "url": ` + quote(httpURL) + `}]`
}

// grpcAddress is the otlp_grpc address Tempo publishes beside an http URL: the same
// host on port 4317, without a scheme. Nothing listens there; a requirer that asks
// for otlp_http must not use it.
func grpcAddress(httpURL string) string {
	host := httpURL[strings.Index(httpURL, "://")+3:]
	if i := strings.LastIndexByte(host, ':'); i >= 0 {
		host = host[:i]
	}
	return host + ":4317"
}

// CertificatesV1 is the provider's application databag in a certificate_transfer v1
// relation, as self-signed-certificates writes it: `certificates`, a JSON list of PEM
// strings (json.dumps of a Python set), and `version`.
func CertificatesV1(pems ...string) map[string]string {
	quoted := make([]string, len(pems))
	for i, p := range pems {
		quoted[i] = quote(p)
	}
	return map[string]string{"certificates": "[" + strings.Join(quoted, ", ") + "]", "version": "1"}
}

// quote is a JSON string as Python's json.dumps writes one: both escape quotes,
// backslashes and control characters alike; PEMs and URLs hold none of the
// characters (<, >, &) on which Go's encoder differs.
func quote(s string) string {
	b, _ := json.Marshal(s) // a string always encodes
	return string(b)
}
