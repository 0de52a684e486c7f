package security

import (
	"fmt"
	"time"
)

// eventJSON renders an event the way the Python framework does with
// json.dumps on a dict: keys in insertion order, ", " and ": " separators,
// ensure_ascii escaping. encoding/json cannot be told to do either, and a
// log rule written against the Python charms' lines should match ours.
func eventJSON(when time.Time, level, appID, event, description string) string {
	b := make([]byte, 0, 192+len(appID)+len(event)+len(description))
	b = append(b, `{"datetime": `...)
	b = appendPyString(b, isoformat(when))
	b = append(b, `, "level": `...)
	b = appendPyString(b, level)
	b = append(b, `, "type": "security", "appid": `...)
	b = appendPyString(b, appID)
	b = append(b, `, "event": `...)
	b = appendPyString(b, event)
	b = append(b, `, "description": `...)
	b = appendPyString(b, description)
	return string(append(b, '}'))
}

// isoformat is Python's datetime.isoformat() of the instant in UTC:
// microseconds are shown only when non-zero, and the offset is "+00:00".
func isoformat(t time.Time) string {
	t = t.UTC()
	s := t.Format("2006-01-02T15:04:05")
	if us := t.Nanosecond() / 1000; us != 0 {
		s += fmt.Sprintf(".%06d", us)
	}
	return s + "+00:00"
}

// appendPyString appends s as a JSON string with Python's ensure_ascii
// rules: only printable ASCII is kept literally; \b \f \n \r \t have short
// escapes; everything else becomes \uXXXX (UTF-16, so a surrogate pair
// above U+FFFF). An invalid UTF-8 byte becomes U+FFFD.
func appendPyString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	u4 := func(b []byte, r rune) []byte {
		return append(b, '\\', 'u', hex[r>>12&0xf], hex[r>>8&0xf], hex[r>>4&0xf], hex[r&0xf])
	}
	b = append(b, '"')
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			b = append(b, '\\', byte(r))
		case r == '\b':
			b = append(b, `\b`...)
		case r == '\f':
			b = append(b, `\f`...)
		case r == '\n':
			b = append(b, `\n`...)
		case r == '\r':
			b = append(b, `\r`...)
		case r == '\t':
			b = append(b, `\t`...)
		case r >= ' ' && r <= '~':
			b = append(b, byte(r))
		case r > 0xffff:
			r -= 0x10000
			b = u4(b, 0xd800+(r>>10))
			b = u4(b, 0xdc00+(r&0x3ff))
		default:
			// Includes utf8.RuneError, which range yields for invalid bytes.
			b = u4(b, r)
		}
	}
	return append(b, '"')
}
