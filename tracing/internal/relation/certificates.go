package relation

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// maxCertificates bounds how many PEMs a provider may hand us; a real CA bundle holds a
// handful.
const maxCertificates = 100

// ErrNoCertificates means the provider has not published a CA yet: with an https receiver
// the charm buffers until it does.
var ErrNoCertificates = errors.New("the certificate_transfer provider has published no certificates yet")

// CABundle returns the CA bundle to trust from a certificate_transfer relation: the
// provider's app databag "certificates" (v1), or else the v0 keys "ca", "certificate" and
// "chain" of one remote unit's databag. PEMs are trimmed, de-duplicated, sorted and
// joined with "\n", so the same set always yields the same bundle (and the stored
// destination changes only when the set does).
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

func normalise(pems []string) (string, error) {
	set := make([]string, 0, len(pems))
	for _, p := range pems {
		p = strings.TrimSpace(p)
		if p == "" {
			continue
		}
		if !strings.HasPrefix(p, "-----BEGIN ") {
			return "", fmt.Errorf("%w: a certificate is not PEM: %q", ErrInvalid, truncate(p))
		}
		set = append(set, p)
	}
	slices.Sort(set)
	set = slices.Compact(set)
	if len(set) == 0 {
		return "", ErrNoCertificates
	}
	if len(set) > maxCertificates {
		return "", fmt.Errorf("%w: %d certificates, more than the %d accepted", ErrInvalid, len(set), maxCertificates)
	}
	return strings.Join(set, "\n"), nil
}
