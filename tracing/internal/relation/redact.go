package relation

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Redact returns raw, a URL as a remote application wrote it, in a form safe to quote in
// a log line or an error: credentials, query and fragment are replaced by "…", control
// and invalid characters by "?", and the result is cut to a log-friendly length.
//
// It works on the text, not on a parsed URL, because the URLs that most need redacting
// are the ones that do not parse (a bad port, a missing host): Go's parse error would
// quote them whole, credentials included. It errs on the side of hiding: everything up to
// the last "@" is taken for credentials, even where a URL parser would read a path.
func Redact(raw string) string {
	s := raw
	// Query and fragment can carry tokens; nothing after the first ? or # is kept.
	if i := strings.IndexAny(s, "?#"); i >= 0 {
		s = s[:i] + "…"
	}
	if at := strings.LastIndexByte(s, '@'); at >= 0 {
		s = schemePrefix(s[:at]) + "…@" + s[at+1:]
	}
	s = strings.Map(func(r rune) rune {
		if r == utf8.RuneError || unicode.IsControl(r) || unicode.Is(unicode.Cf, r) {
			return '?'
		}
		return r
	}, s)
	return truncate(s)
}

// schemePrefix returns the "scheme://" s starts with, or "" if it does not start with one:
// only a well-formed scheme is kept, so that no part of the credentials is.
func schemePrefix(s string) string {
	i := strings.Index(s, "://")
	if i <= 0 {
		return ""
	}
	for j, r := range s[:i] {
		letter := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z'
		if !letter && (j == 0 || !(r >= '0' && r <= '9' || r == '+' || r == '-' || r == '.')) {
			return ""
		}
	}
	return s[:i+3]
}
