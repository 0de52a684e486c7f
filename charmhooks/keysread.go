package charmhooks

import (
	"bytes"
	"encoding/json"
	"sort"
	"unicode/utf8"
)

// readKeyTools print a map whose keys are names a span may record: databag keys
// (relation-get -), state keys, option and parameter names, secret content keys and the
// fixed fields of storage-get and credential-get. Only the keys are kept.
var readKeyTools = map[string]bool{
	"relation-get": true, "state-get": true, "config-get": true, "action-get": true,
	"secret-get": true, "storage-get": true, "credential-get": true,
}

// Bounds on what keysRead keeps: a remote application writes relation data, so its
// keys are untrusted and a span must stay small whatever they are.
const (
	maxKeysRead   = 64
	maxKeyReadLen = 128
)

// keysRead returns the top-level keys of a reading tool's JSON-object output: the first
// maxKeysRead in sorted order of those that are valid UTF-8 of at most maxKeyReadLen
// bytes (longer ones are left out). Any other output (a single value, smart format, not JSON) yields none.
// Values are never decoded.
func keysRead(tool string, out []byte) []string {
	if !readKeyTools[tool] {
		return nil
	}
	out = bytes.TrimSpace(out)
	if len(out) == 0 || out[0] != '{' {
		return nil
	}
	var m map[string]json.RawMessage
	if json.Unmarshal(out, &m) != nil {
		return nil
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		if len(k) <= maxKeyReadLen && utf8.ValidString(k) {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	return keys[:min(len(keys), maxKeysRead)]
}
