// Package split halves an OTLP trace payload that a receiver refused as too
// large (HTTP 413), so each half can be retried on its own.
//
// Halving goes as shallow as it can: between ResourceSpans first, then between
// the ScopeSpans of a lone ResourceSpans, then between the spans of a lone
// ScopeSpans. Every other field at each level (resource, scope, schema URL) is
// copied into both halves, so each half is a complete, valid message. A
// payload holding a single span cannot be halved.
package split

import (
	"encoding/json"
	"errors"
	"fmt"

	"google.golang.org/protobuf/encoding/protowire"
)

// ErrUnsplittable reports a payload with a single span, or none.
var ErrUnsplittable = errors.New("payload holds a single span and cannot be split")

// Field numbers from opentelemetry-proto trace/v1/trace.proto:
// TracesData.resource_spans = 1, ResourceSpans.scope_spans = 2,
// ScopeSpans.spans = 2.
var protoPath = []protowire.Number{1, 2, 2}

// The same path in OTLP/JSON, as Python ops writes it.
var jsonPath = []string{"resourceSpans", "scopeSpans", "spans"}

// Halve splits data, an OTLP TracesData in the encoding named by mime
// ("application/json" or else protobuf), into two payloads of the same
// encoding that together hold every span of data.
func Halve(data []byte, mime string) (first, second []byte, err error) {
	if mime == "application/json" {
		return halveJSON(data, jsonPath)
	}
	return halveProto(data, protoPath)
}

// record is one top-level field of a protobuf message, tag included.
type record struct {
	num protowire.Number
	raw []byte // tag + value
	val []byte // value only, for length-delimited fields
}

func records(msg []byte) ([]record, error) {
	var out []record
	for len(msg) > 0 {
		num, typ, tagLen := protowire.ConsumeTag(msg)
		if tagLen < 0 {
			return nil, fmt.Errorf("malformed protobuf: %w", protowire.ParseError(tagLen))
		}
		valLen := protowire.ConsumeFieldValue(num, typ, msg[tagLen:])
		if valLen < 0 {
			return nil, fmt.Errorf("malformed protobuf: %w", protowire.ParseError(valLen))
		}
		r := record{num: num, raw: msg[:tagLen+valLen]}
		if typ == protowire.BytesType {
			r.val, _ = protowire.ConsumeBytes(msg[tagLen:])
		}
		out = append(out, r)
		msg = msg[tagLen+valLen:]
	}
	return out, nil
}

func halveProto(msg []byte, path []protowire.Number) ([]byte, []byte, error) {
	recs, err := records(msg)
	if err != nil {
		return nil, nil, err
	}
	field := path[0]
	var children []int
	for i, r := range recs {
		if r.num == field {
			children = append(children, i)
		}
	}
	switch {
	case len(children) >= 2:
		// Records of field before the midpoint go first, the rest second;
		// everything else goes to both.
		mid := children[len(children)/2]
		var a, b []byte
		for i, r := range recs {
			switch {
			case r.num != field:
				a, b = append(a, r.raw...), append(b, r.raw...)
			case i < mid:
				a = append(a, r.raw...)
			default:
				b = append(b, r.raw...)
			}
		}
		return a, b, nil
	case len(children) == 1 && len(path) > 1:
		subA, subB, err := halveProto(recs[children[0]].val, path[1:])
		if err != nil {
			return nil, nil, err
		}
		var a, b []byte
		for i, r := range recs {
			if i == children[0] {
				a = protowire.AppendBytes(protowire.AppendTag(a, field, protowire.BytesType), subA)
				b = protowire.AppendBytes(protowire.AppendTag(b, field, protowire.BytesType), subB)
				continue
			}
			a, b = append(a, r.raw...), append(b, r.raw...)
		}
		return a, b, nil
	default:
		return nil, nil, ErrUnsplittable
	}
}

func halveJSON(msg []byte, path []string) ([]byte, []byte, error) {
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(msg, &obj); err != nil {
		return nil, nil, fmt.Errorf("malformed OTLP/JSON: %w", err)
	}
	var items []json.RawMessage
	if raw, ok := obj[path[0]]; ok {
		if err := json.Unmarshal(raw, &items); err != nil {
			return nil, nil, fmt.Errorf("malformed OTLP/JSON %q: %w", path[0], err)
		}
	}
	var partA, partB []json.RawMessage
	switch {
	case len(items) >= 2:
		partA, partB = items[:len(items)/2], items[len(items)/2:]
	case len(items) == 1 && len(path) > 1:
		subA, subB, err := halveJSON(items[0], path[1:])
		if err != nil {
			return nil, nil, err
		}
		partA, partB = []json.RawMessage{subA}, []json.RawMessage{subB}
	default:
		return nil, nil, ErrUnsplittable
	}
	a, err := withField(obj, path[0], partA)
	if err != nil {
		return nil, nil, err
	}
	b, err := withField(obj, path[0], partB)
	if err != nil {
		return nil, nil, err
	}
	return a, b, nil
}

// withField marshals obj with key replaced by items, leaving obj untouched.
func withField(obj map[string]json.RawMessage, key string, items []json.RawMessage) ([]byte, error) {
	list, err := json.Marshal(items)
	if err != nil {
		return nil, err
	}
	out := make(map[string]json.RawMessage, len(obj))
	for k, v := range obj {
		out[k] = v
	}
	out[key] = list
	return json.Marshal(out)
}
