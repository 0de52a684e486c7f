package main

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"
)

// A buffer file can come from anywhere, and every text in it — span names, attribute
// values, status messages, content types, drop reasons, settings — is the writer's choice.
// Printed raw, such text can move the cursor, recolour or retitle the reader's terminal
// (escape sequences), or reorder what the reader sees (bidi overrides). Every text taken
// from a file goes through printable before it is shown; JSON output through jsonSafe.

// unsafeRune reports whether r must not reach a terminal as it is: C0 and C1 controls
// (ESC, CSI, BEL, newlines), DEL, format characters (bidi overrides and isolates,
// zero-width joiners, the BOM), line and paragraph separators, and the replacement
// character that stands for invalid UTF-8.
func unsafeRune(r rune) bool {
	return unicode.IsControl(r) || unicode.In(r, unicode.Cf, unicode.Zl, unicode.Zp) || r == utf8.RuneError
}

// printable returns s with every unsafe rune written as a visible Go escape (\x1b,
// \u202e), so that the reader sees that something was there and what it was, and the
// terminal sees plain text. Invalid UTF-8 bytes are shown as \xNN too.
func printable(s string) string {
	if !strings.ContainsFunc(s, unsafeRune) && utf8.ValidString(s) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size <= 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case unsafeRune(r) && r < 0x80:
			fmt.Fprintf(&b, `\x%02x`, r)
		case unsafeRune(r) && r > 0xffff:
			fmt.Fprintf(&b, `\U%08x`, r)
		case unsafeRune(r):
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteRune(r)
		}
		i += size
	}
	return b.String()
}

// jsonSafe rewrites the unsafe runes that JSON encoders leave raw (DEL, C1 controls,
// bidi and other format characters, line separators) as \uXXXX escapes. In valid JSON
// such runes can only be inside strings, where the escape means the same character: the
// document decodes to exactly the same data, and prints harmlessly.
func jsonSafe(js []byte) []byte {
	if !strings.ContainsFunc(string(js), unsafeRune) {
		return js
	}
	out := make([]byte, 0, len(js)+16)
	for i := 0; i < len(js); {
		r, size := utf8.DecodeRune(js[i:])
		switch {
		case !unsafeRune(r) || r < 0x20 || (r == utf8.RuneError && size <= 1):
			out = append(out, js[i:i+size]...)
		case r > 0xffff:
			r1, r2 := utf16.EncodeRune(r) // JSON escapes only 16-bit units
			out = fmt.Appendf(out, `\u%04x\u%04x`, r1, r2)
		default:
			out = fmt.Appendf(out, `\u%04x`, r)
		}
		i += size
	}
	return out
}

// truncate shortens s to width runes, marking the cut with "…" so that a shortened name
// is never mistaken for a whole one.
func truncate(s string, width int) string {
	r := []rune(s)
	if len(r) <= width {
		return s
	}
	return string(r[:width-1]) + "…"
}
