package otlpjson

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/encoding/protojson"
)

// Marshal encodes td as one OTLP/JSON document ({"resourceSpans":[...]}, the shape of an
// ExportTraceServiceRequest), compact, without a trailing newline.
func Marshal(td *tracepb.TracesData) ([]byte, error) {
	pj, err := protojson.MarshalOptions{UseEnumNumbers: true}.Marshal(td)
	if err != nil {
		return nil, fmt.Errorf("otlpjson: %w", err)
	}
	out, err := rewriteIDs(pj, base64ToHex)
	if err != nil {
		return nil, fmt.Errorf("otlpjson: %w", err)
	}
	return out, nil
}

// Unmarshal decodes one OTLP/JSON document into td, replacing its contents. Unknown fields
// are ignored, as the specification requires of receivers.
func Unmarshal(data []byte, td *tracepb.TracesData) error {
	pj, err := rewriteIDs(data, hexToBase64)
	if err != nil {
		return fmt.Errorf("otlpjson: %w", err)
	}
	if err := (protojson.UnmarshalOptions{DiscardUnknown: true}).Unmarshal(pj, td); err != nil {
		return fmt.Errorf("otlpjson: %w", err)
	}
	return nil
}

// idKeys are the JSON keys that hold span and trace ids. In the trace data model they occur
// only as object keys of Span and Span.Link; attribute names are JSON values ("key": "..."),
// so an attribute called traceId is never mistaken for one.
var idKeys = map[string]bool{"traceId": true, "spanId": true, "parentSpanId": true}

func base64ToHex(s string) (string, error) {
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return "", fmt.Errorf("id %q is not base64: %w", s, err)
	}
	return hex.EncodeToString(b), nil
}

// hexToBase64 turns a hex id into what protojson reads. Ids that are not hex are left for
// protojson to read as base64 (some producers send plain protojson), or to reject.
func hexToBase64(s string) (string, error) {
	if len(s) != 2*8 && len(s) != 2*16 {
		return s, nil
	}
	b, err := hex.DecodeString(s)
	if err != nil {
		return s, nil
	}
	return base64.StdEncoding.EncodeToString(b), nil
}

// frame is one open JSON object or array while rewriting.
type frame struct {
	object bool
	n      int    // tokens written at this level (keys and values alike in an object)
	key    string // the last key read, in an object
}

// rewriteIDs copies the JSON document in, replacing the string value of every id key (see
// idKeys) by conv of it. The layout becomes compact; keys, order and all other values are
// kept exactly (numbers verbatim).
func rewriteIDs(in []byte, conv func(string) (string, error)) ([]byte, error) {
	dec := json.NewDecoder(bytes.NewReader(in))
	dec.UseNumber()
	out := make([]byte, 0, len(in))
	var stack []frame
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		var top *frame
		if len(stack) > 0 {
			top = &stack[len(stack)-1]
		}
		if d, ok := tok.(json.Delim); ok && (d == '}' || d == ']') {
			out = append(out, byte(d))
			stack = stack[:len(stack)-1]
			continue
		}
		isKey := top != nil && top.object && top.n%2 == 0
		if top != nil {
			switch {
			case top.n > 0 && (!top.object || isKey):
				out = append(out, ',')
			case top.object && !isKey:
				out = append(out, ':')
			}
			top.n++
		}
		switch v := tok.(type) {
		case json.Delim:
			out = append(out, byte(v))
			stack = append(stack, frame{object: v == '{'})
		case string:
			if isKey {
				top.key = v
			} else if top != nil && top.object && idKeys[top.key] {
				if v, err = conv(v); err != nil {
					return nil, err
				}
			}
			out, err = appendString(out, v)
			if err != nil {
				return nil, err
			}
		case json.Number:
			out = append(out, v...)
		case bool:
			if v {
				out = append(out, "true"...)
			} else {
				out = append(out, "false"...)
			}
		case nil:
			out = append(out, "null"...)
		}
	}
	if len(stack) != 0 {
		return nil, errors.New("unexpected end of JSON input")
	}
	return out, nil
}

// appendString appends s as a JSON string without HTML escaping (span names and attribute
// values keep their < > & readable).
func appendString(out []byte, s string) ([]byte, error) {
	if plainASCII(s) { // ids, names, most values: nothing to escape
		out = append(out, '"')
		out = append(out, s...)
		return append(out, '"'), nil
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(s); err != nil {
		return nil, err
	}
	return append(out, bytes.TrimSuffix(b.Bytes(), []byte("\n"))...), nil
}

// plainASCII reports whether s is printable ASCII without quote or backslash, which JSON
// takes verbatim between quotes.
func plainASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c > 0x7e || c == '"' || c == '\\' {
			return false
		}
	}
	return true
}
