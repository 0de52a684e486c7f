package spantree

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// A buffer file can come from anywhere, and every text in it — span names, attribute
// values, status messages, content types, drop reasons, settings — is the writer's choice.
// Printed raw, such text can move the cursor, recolour or retitle the reader's terminal
// (escape sequences), or reorder what the reader sees (bidi overrides). Every text taken
// from a file goes through Printable before it is shown; JSON output through cmd/charmtrace's jsonSafe.

// UnsafeRune reports whether r must not reach a terminal as it is: C0 and C1 controls
// (ESC, CSI, BEL, newlines), DEL, format characters (bidi overrides and isolates,
// zero-width joiners, the BOM), line and paragraph separators, and the replacement
// character that stands for invalid UTF-8.
func UnsafeRune(r rune) bool {
	return unicode.IsControl(r) || unicode.In(r, unicode.Cf, unicode.Zl, unicode.Zp) || r == utf8.RuneError
}

// Printable returns s with every unsafe rune written as a visible Go escape (\x1b,
// \u202e), so that the reader sees that something was there and what it was, and the
// terminal sees plain text. Invalid UTF-8 bytes are shown as \xNN too.
func Printable(s string) string {
	if !strings.ContainsFunc(s, UnsafeRune) && utf8.ValidString(s) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size <= 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case UnsafeRune(r) && r < 0x80:
			fmt.Fprintf(&b, `\x%02x`, r)
		case UnsafeRune(r) && r > 0xffff:
			fmt.Fprintf(&b, `\U%08x`, r)
		case UnsafeRune(r):
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteRune(r)
		}
		i += size
	}
	return b.String()
}

// Truncate shortens s to width runes, marking the cut with "…" so that a shortened name
// is never mistaken for a whole one.
func Truncate(s string, width int) string {
	r := []rune(s)
	if len(r) <= width {
		return s
	}
	return string(r[:width-1]) + "…"
}
