package main

import (
	"fmt"
	"strings"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/charmtrace/charmtrace/internal/spantree"
)

// A buffer file can come from anywhere, and every text in it is the writer's choice: every
// text taken from a file goes through printable before it is shown, JSON output through
// jsonSafe. The sanitiser itself lives in spantree, which renders traces for the harness
// too.

func printable(s string) string           { return spantree.Printable(s) }
func truncate(s string, width int) string { return spantree.Truncate(s, width) }
func unsafeRune(r rune) bool              { return spantree.UnsafeRune(r) }

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
