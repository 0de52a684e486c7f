package relation

import (
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	charmtls "github.com/charmtrace/charmtrace/tls"
)

// maxCertificates bounds how many PEMs a provider may hand us; a real CA bundle holds a
// handful.
const maxCertificates = 100

// ErrNoCertificates means the provider has not published a CA yet: with an https receiver
// the charm buffers until it does.
var ErrNoCertificates = errors.New("the certificate_transfer provider has published no certificates yet")

// CABundle returns the CA bundle to trust from a certificate_transfer relation: the
// provider's app databag "certificates" (v1), or else the v0 keys "ca", "certificate" and
// "chain" of one remote unit's databag. The bundle holds certificates only, each
// re-encoded as PEM, de-duplicated, sorted and joined with "\n", so the same set always
// yields the same bundle (and the stored destination changes only when the set does).
// A value holding anything else (a private key, another PEM type, a certificate that does
// not parse) is refused before anything is stored.
func CABundle(app map[string]string, units []map[string]string) (string, error) {
	var pems []string
	if raw, ok := app["certificates"]; ok && raw != "" {
		if len(raw) > maxValue {
			return "", fmt.Errorf("%w: certificates is %d bytes, over the %d limit", ErrInvalid, len(raw), maxValue)
		}
		if err := json.Unmarshal([]byte(raw), &pems); err != nil {
			return "", fmt.Errorf("%w: certificates is not a JSON list of strings: %v", ErrInvalid, err)
		}
	}
	if len(pems) == 0 {
		for _, u := range units {
			v0, err := v0Certificates(u)
			if err != nil {
				return "", err
			}
			if len(v0) > 0 {
				pems = v0
				break // like the reference library: one remote unit's data
			}
		}
	}
	return normalise(pems)
}

// v0Certificates reads the v0 unit keys. Writers disagree on encoding (the v0 library
// writes raw PEM, the v1 library's compatibility mode JSON strings), so each value is tried
// as JSON first and taken raw otherwise.
func v0Certificates(unit map[string]string) ([]string, error) {
	var out []string
	for _, key := range []string{"ca", "certificate", "chain"} {
		raw, ok := unit[key]
		if !ok || raw == "" {
			continue
		}
		if len(raw) > maxValue {
			return nil, fmt.Errorf("%w: %s is %d bytes, over the %d limit", ErrInvalid, key, len(raw), maxValue)
		}
		var one string
		var many []string
		switch {
		case json.Unmarshal([]byte(raw), &one) == nil:
			out = append(out, one)
		case json.Unmarshal([]byte(raw), &many) == nil:
			out = append(out, many...)
		default:
			out = append(out, raw)
		}
	}
	return out, nil
}

// normalise turns the provider's PEM strings into the bundle to store: every certificate
// re-encoded from its parsed form, so that nothing but certificates is ever kept (not the
// text around them, not a key published by mistake). A string holding anything but
// certificates refuses the whole set; the error names the entry and the block, never
// their content.
func normalise(pems []string) (string, error) {
	var set []string
	for i, p := range pems {
		if strings.TrimSpace(p) == "" {
			continue
		}
		certs, err := charmtls.Certificates([]byte(p))
		if errors.Is(err, charmtls.ErrNoCertificates) {
			return "", fmt.Errorf("%w: certificate %d is not PEM", ErrInvalid, i+1)
		}
		if err != nil {
			return "", fmt.Errorf("%w: certificate %d: %v", ErrInvalid, i+1, err)
		}
		if len(set)+len(certs) > maxCertificates {
			return "", fmt.Errorf("%w: more than the %d certificates accepted", ErrInvalid, maxCertificates)
		}
		for _, c := range certs {
			set = append(set, strings.TrimSpace(string(charmtls.EncodeCertificates([]*x509.Certificate{c}))))
		}
	}
	slices.Sort(set)
	set = slices.Compact(set)
	if len(set) == 0 {
		return "", ErrNoCertificates
	}
	return strings.Join(set, "\n"), nil
}
