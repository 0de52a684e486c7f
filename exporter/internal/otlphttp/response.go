package otlphttp

import (
	"encoding/json"
	"errors"
	"strconv"

	"google.golang.org/protobuf/encoding/protowire"
)

// partialSuccess is ExportTraceServiceResponse.partial_success.
type partialSuccess struct {
	Rejected int64
	Message  string
}

// Field numbers from opentelemetry-proto collector/trace/v1/trace_service.proto.
// Decoding them with protowire keeps the gRPC-laden coltracepb package out of
// the binary.
const (
	fieldPartialSuccess protowire.Number = 1 // ExportTraceServiceResponse
	fieldRejectedSpans  protowire.Number = 1 // ExportTracePartialSuccess
	fieldErrorMessage   protowire.Number = 2 // ExportTracePartialSuccess
)

var errMalformed = errors.New("malformed ExportTraceServiceResponse")

// decodeProtoResponse reads partial_success from a protobuf
// ExportTraceServiceResponse. Unknown fields are skipped; when a field
// repeats, the last one wins, as in any protobuf decoder.
func decodeProtoResponse(b []byte) (partialSuccess, error) {
	var ps partialSuccess
	err := walk(b, func(num protowire.Number, typ protowire.Type, val []byte) error {
		if num != fieldPartialSuccess || typ != protowire.BytesType {
			return nil
		}
		return walk(val, func(num protowire.Number, typ protowire.Type, val []byte) error {
			switch {
			case num == fieldRejectedSpans && typ == protowire.VarintType:
				v, _ := protowire.ConsumeVarint(val)
				ps.Rejected = int64(v)
			case num == fieldErrorMessage && typ == protowire.BytesType:
				ps.Message = string(val)
			}
			return nil
		})
	})
	return ps, err
}

// walk calls fn for every top-level field of msg with the field's value:
// the payload for length-delimited fields, the raw bytes otherwise.
func walk(msg []byte, fn func(protowire.Number, protowire.Type, []byte) error) error {
	for len(msg) > 0 {
		num, typ, n := protowire.ConsumeTag(msg)
		if n < 0 {
			return errMalformed
		}
		msg = msg[n:]
		m := protowire.ConsumeFieldValue(num, typ, msg)
		if m < 0 {
			return errMalformed
		}
		val := msg[:m]
		if typ == protowire.BytesType {
			val, _ = protowire.ConsumeBytes(val)
		}
		if err := fn(num, typ, val); err != nil {
			return err
		}
		msg = msg[m:]
	}
	return nil
}

// decodeJSONResponse reads partialSuccess from an OTLP/JSON response, where
// the int64 rejectedSpans is a decimal string (a bare number is accepted too).
func decodeJSONResponse(b []byte) (partialSuccess, error) {
	var resp struct {
		PartialSuccess struct {
			RejectedSpans json.RawMessage `json:"rejectedSpans"`
			ErrorMessage  string          `json:"errorMessage"`
		} `json:"partialSuccess"`
	}
	if err := json.Unmarshal(b, &resp); err != nil {
		return partialSuccess{}, errMalformed
	}
	ps := partialSuccess{Message: resp.PartialSuccess.ErrorMessage}
	if raw := resp.PartialSuccess.RejectedSpans; len(raw) > 0 && string(raw) != "null" {
		var s string
		if json.Unmarshal(raw, &s) != nil {
			s = string(raw)
		}
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return partialSuccess{}, errMalformed
		}
		ps.Rejected = n
	}
	return ps, nil
}
