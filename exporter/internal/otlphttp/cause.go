package otlphttp

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"syscall"
)

// Cause says in a few words why a request delivered nothing, for an operator reading the
// unit's log: the status, a TLS verification failure, or how the connection failed. It
// never quotes the URL (Go's *url.Error does) or the receiver's body. "" when delivered.
func (r Result) Cause() string {
	switch {
	case r.Outcome == Delivered:
		return ""
	case r.Status >= 300 && r.Status < 400:
		return fmt.Sprintf("redirected with HTTP %d (redirects are not followed)", r.Status)
	case r.Status != 0:
		return fmt.Sprintf("HTTP %d %s", r.Status, http.StatusText(r.Status))
	case r.Err == nil:
		return "no answer"
	}
	err := r.Err
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	var unknownCA x509.UnknownAuthorityError
	var hostname x509.HostnameError
	var invalid x509.CertificateInvalidError
	var verify *tls.CertificateVerificationError
	var alert tls.AlertError
	var header tls.RecordHeaderError
	var dns *net.DNSError
	switch {
	case errors.As(err, &unknownCA):
		return "TLS verification failed: certificate signed by an unknown authority (check the CA relation)"
	case errors.As(err, &hostname):
		return "TLS verification failed: the certificate is not valid for this host name"
	case errors.As(err, &invalid):
		return fmt.Sprintf("TLS verification failed: %v", invalid)
	case errors.As(err, &verify):
		return "TLS verification failed"
	case errors.As(err, &alert), errors.As(err, &header):
		return "TLS handshake failed"
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, os.ErrDeadlineExceeded):
		return "no answer within the time budget"
	case errors.As(err, &dns):
		return "host name not found"
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused"
	case errors.Is(err, syscall.ECONNRESET):
		return "connection reset"
	case errors.Is(err, syscall.EHOSTUNREACH), errors.Is(err, syscall.ENETUNREACH):
		return "host unreachable"
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return "no answer within the time budget"
	}
	if strings.HasPrefix(err.Error(), "tls: ") {
		return "TLS handshake failed"
	}
	return "connection failed"
}
