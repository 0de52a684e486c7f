package otlpreceiver

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"

	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
)

// decodeProtobuf reads an ExportTraceServiceRequest body. TracesData has the same
// wire form (field 1, repeated ResourceSpans), so it decodes into that without
// pulling in the collector's gRPC service package.
func decodeProtobuf(body []byte) (*tracepb.TracesData, error) {
	td := &tracepb.TracesData{}
	if err := proto.Unmarshal(body, td); err != nil {
		return nil, fmt.Errorf("protobuf body: %w", err)
	}
	return td, nil
}

// decodeJSON reads an OTLP/JSON body. OTLP/JSON differs from protojson in the ids:
// traceId, spanId and parentSpanId are hex strings, where protojson expects base64
// for bytes fields. They are rewritten to base64 before protojson decodes the rest
// (lowerCamelCase or original field names, enums as integers or names).
func decodeJSON(body []byte) (*tracepb.TracesData, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber() // int64 fields may be numbers beyond float64's precision
	var doc any
	if err := dec.Decode(&doc); err != nil {
		return nil, fmt.Errorf("json body: %w", err)
	}
	if err := hexIDsToBase64(doc); err != nil {
		return nil, fmt.Errorf("json body: %w", err)
	}
	fixed, err := json.Marshal(doc)
	if err != nil {
		return nil, fmt.Errorf("json body: %w", err)
	}
	td := &tracepb.TracesData{}
	if err := (protojson.UnmarshalOptions{DiscardUnknown: true}).Unmarshal(fixed, td); err != nil {
		return nil, fmt.Errorf("json body: %w", err)
	}
	return td, nil
}

// idKeys are the OTLP/JSON fields that hold hex-encoded ids (in spans and links),
// under both spellings protojson accepts.
var idKeys = map[string]bool{
	"traceId": true, "spanId": true, "parentSpanId": true,
	"trace_id": true, "span_id": true, "parent_span_id": true,
}

// hexIDsToBase64 rewrites, in place, every id field of a decoded JSON document from
// hex to base64.
func hexIDsToBase64(v any) error {
	switch v := v.(type) {
	case map[string]any:
		for k, child := range v {
			if s, ok := child.(string); ok && idKeys[k] {
				raw, err := hex.DecodeString(s)
				if err != nil {
					return fmt.Errorf("%s %q is not hex", k, s)
				}
				v[k] = base64.StdEncoding.EncodeToString(raw)
				continue
			}
			if err := hexIDsToBase64(child); err != nil {
				return err
			}
		}
	case []any:
		for _, child := range v {
			if err := hexIDsToBase64(child); err != nil {
				return err
			}
		}
	}
	return nil
}
