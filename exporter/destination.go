package exporter

import (
	"errors"
	"fmt"
	"hash/fnv"
	"net/http"
	"net/url"
	"time"

	"github.com/charmtrace/charmtrace/buffer"
	"github.com/charmtrace/charmtrace/exporter/internal/otlphttp"
	charmtls "github.com/charmtrace/charmtrace/tls"
)

const userAgent = "charmtrace"

// newClient validates dest and builds the OTLP/HTTP client for it. Error texts
// never repeat the URL: it could carry credentials.
func newClient(dest buffer.Destination, maxRetryAfter time.Duration) (*otlphttp.Client, error) {
	if dest.URL == "" {
		return nil, errors.New("no destination URL")
	}
	u, err := url.Parse(dest.URL)
	if err != nil {
		return nil, errors.New("destination URL does not parse")
	}
	if u.User != nil {
		return nil, errors.New("destination URL must not carry credentials")
	}
	if u.Host == "" || u.Opaque != "" {
		return nil, errors.New("destination URL has no host")
	}
	var client *http.Client
	switch u.Scheme {
	case "http":
		client = charmtls.Client(nil) // plaintext: the CA bundle does not apply
	case "https":
		cfg, err := charmtls.Config([]byte(dest.CA))
		if err != nil {
			return nil, fmt.Errorf("destination CA: %w", err)
		}
		client = charmtls.Client(cfg)
	default:
		return nil, fmt.Errorf("destination URL scheme %q is not http or https", u.Scheme)
	}
	return &otlphttp.Client{HTTP: client, URL: dest.URL, UserAgent: userAgent, MaxRetryAfter: maxRetryAfter}, nil
}

// fingerprint identifies a destination so a stored back-off window can tell
// whether it still applies. It is a change detector, not a security feature.
func fingerprint(dest buffer.Destination) string {
	h := fnv.New64a()
	h.Write([]byte(dest.URL))
	h.Write([]byte{0})
	h.Write([]byte(dest.CA))
	return fmt.Sprintf("%016x", h.Sum64())
}

// destHost is the host[:port] of a destination URL, for log lines: never its
// user information, path or query. newClient has refused a URL with
// credentials already; this holds whatever the URL is.
func destHost(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return "the tracing receiver"
	}
	return u.Host
}
