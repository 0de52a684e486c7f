package relation

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Protocol is the receiver protocol charm tracing asks for and sends with.
const Protocol = "otlp_http"

// RequestedReceivers is the requirer's app databag value for the key "receivers".
var RequestedReceivers = []string{Protocol}

// maxValue bounds any single databag value read: a receiver list or a CA bundle is a few
// KiB; anything past this is refused rather than parsed.
const maxValue = 1 << 20

// Why no destination could be taken from the tracing relation. Each means "buffer only".
var (
	ErrNoData     = errors.New("the provider has published no receivers yet")
	ErrLegacy     = errors.New("the provider speaks a legacy tracing format (host/ingesters); only tracing v2 is supported")
	ErrNoReceiver = errors.New("the provider offers no otlp_http receiver")
	ErrInvalid    = errors.New("invalid tracing relation data")
	ErrBadURL     = errors.New("invalid receiver URL")
)

type receiver struct {
	Protocol json.RawMessage `json:"protocol"`
	URL      *string         `json:"url"`
}

type protocol struct {
	Name string `json:"name"`
	Type string `json:"type"`
}

// TracesURL reads the provider's app databag of a tracing v2 relation and returns where to
// POST OTLP/HTTP traces: the first otlp_http receiver's URL without trailing slashes, plus
// /v1/traces. Only http and https URLs are accepted.
func TracesURL(app map[string]string) (string, error) {
	raw, ok := app["receivers"]
	if !ok {
		if _, legacy := app["host"]; legacy {
			return "", ErrLegacy
		}
		if _, legacy := app["ingesters"]; legacy {
			return "", ErrLegacy
		}
		return "", ErrNoData
	}
	if len(raw) > maxValue {
		return "", fmt.Errorf("%w: receivers is %d bytes, over the %d limit", ErrInvalid, len(raw), maxValue)
	}
	var rs []receiver
	if err := json.Unmarshal([]byte(raw), &rs); err != nil {
		return "", fmt.Errorf("%w: receivers is not a JSON list of receivers: %v", ErrInvalid, err)
	}
	for i, r := range rs {
		var p protocol
		if err := json.Unmarshal(r.Protocol, &p); err != nil {
			var name string
			if json.Unmarshal(r.Protocol, &name) == nil {
				return "", ErrLegacy // {"protocol": "otlp_http", "port": 4318}
			}
			return "", fmt.Errorf("%w: receiver %d has no protocol object", ErrInvalid, i)
		}
		if p.Type != "http" && p.Type != "grpc" {
			return "", fmt.Errorf("%w: receiver %d has protocol type %q, want http or grpc", ErrInvalid, i, truncate(p.Type))
		}
		if r.URL == nil {
			return "", fmt.Errorf("%w: receiver %d has no url", ErrInvalid, i)
		}
	}
	for _, r := range rs {
		var p protocol
		json.Unmarshal(r.Protocol, &p) // validated above
		if p.Name == Protocol {
			return traceEndpoint(*r.URL)
		}
	}
	return "", ErrNoReceiver
}

// maxURL bounds a receiver URL: ingress and service URLs are far shorter, and a URL is
// stored, logged and sent with every request.
const maxURL = 2048

// traceEndpoint checks a receiver's base URL and appends the OTLP traces path.
//
// No error quotes base as it is, nor Go's parse error (which does): a malformed URL can
// still carry credentials, and these errors end up in the unit's log. They quote
// Redact(base) instead.
func traceEndpoint(base string) (string, error) {
	if len(base) > maxURL {
		return "", fmt.Errorf("%w: %d bytes, over the %d limit", ErrBadURL, len(base), maxURL)
	}
	if !utf8.ValidString(base) || strings.ContainsFunc(base, func(r rune) bool {
		return unicode.IsControl(r) || unicode.Is(unicode.Cf, r) || r == utf8.RuneError // Cf: bidi overrides, zero-width
	}) {
		return "", fmt.Errorf("%w: %q has control or invalid characters", ErrBadURL, Redact(base))
	}
	// Checked on the text: "http://a/?" and "http://a/#" parse to an empty query and
	// fragment, and would slip past a check of the parsed fields.
	if strings.ContainsAny(base, "?#") {
		return "", fmt.Errorf("%w: %q has a query or fragment", ErrBadURL, Redact(base))
	}
	u, err := url.Parse(base)
	if err != nil {
		return "", fmt.Errorf("%w: %q does not parse (%s)", ErrBadURL, Redact(base), parseProblem(err))
	}
	if u.User != nil {
		// Credentials in a URL would end up in logs and settings; no receiver needs them.
		return "", fmt.Errorf("%w: %q carries credentials; URLs with credentials are refused", ErrBadURL, Redact(base))
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return "", fmt.Errorf("%w: %q is not an http:// or https:// URL", ErrBadURL, Redact(base))
	}
	if u.Host == "" || u.Hostname() == "" || u.Opaque != "" {
		return "", fmt.Errorf("%w: %q has no host", ErrBadURL, Redact(base))
	}
	return strings.TrimRight(base, "/") + "/v1/traces", nil
}

// parseProblem says what url.Parse found wrong without quoting the URL: its *url.Error
// holds the URL, and the inner error often quotes a part of it (the port, the host).
func parseProblem(err error) string {
	msg := err.Error()
	switch {
	case strings.Contains(msg, "invalid port"):
		return "invalid port"
	case strings.Contains(msg, "missing protocol scheme"):
		return "no scheme"
	case strings.Contains(msg, "invalid character") && strings.Contains(msg, "host name"):
		return "invalid character in the host"
	case strings.Contains(msg, "invalid userinfo"):
		return "invalid credentials part"
	case strings.Contains(msg, "IPv6"):
		return "invalid IPv6 address"
	case strings.Contains(msg, "escape"):
		return "invalid percent-escape"
	}
	return "malformed URL"
}

// NeedsWrite reports whether the requirer's own app databag must be (re)written to request
// otlp_http: only when the parsed value differs, so that a byte-different but equal value
// written by another library does not make the relation flap.
func NeedsWrite(current string, present bool) bool {
	if !present {
		return true
	}
	var got []string
	if json.Unmarshal([]byte(current), &got) != nil {
		return true
	}
	return len(got) != len(RequestedReceivers) || got[0] != RequestedReceivers[0]
}

// truncate keeps hostile values from flooding a log line. It cuts on a rune boundary,
// so that a cut value stays valid UTF-8.
func truncate(s string) string {
	const n = 80
	if len(s) <= n {
		return s
	}
	i := n
	for i > 0 && !utf8.RuneStart(s[i]) {
		i--
	}
	return s[:i] + "…"
}
