// Package otlpjson converts OTLP trace data between its protobuf messages and the OTLP/JSON
// encoding of the OTLP specification ("JSON Protobuf Encoding").
//
// OTLP/JSON is the canonical protobuf JSON mapping with three departures, and plain protojson
// output is therefore not OTLP/JSON:
//
//   - traceId, spanId and parentSpanId (in spans and links) are hex strings, not base64;
//   - enums are integers ("kind": 2), never names;
//   - field names are lowerCamelCase only.
//
// 64-bit integers are decimal strings and other bytes fields (an attribute's bytesValue) stay
// base64, as in protojson.
//
// Rather than a second hand-written encoder, Marshal lets protojson do the encoding (with
// enum numbers) and rewrites only the id fields, streaming over the JSON tokens so the field
// order protojson chose is kept. Unmarshal does the reverse and is tolerant of what real
// producers write: Python ops[tracing] rows (hex ids, integer enums, a snake_case
// dropped_attributes_count), ids that are already base64, unknown fields.
package otlpjson
