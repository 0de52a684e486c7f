package otlpjson

import (
	"encoding/hex"
	"encoding/json"
	"math"
	"regexp"
	"strings"
	"testing"

	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	resourcepb "go.opentelemetry.io/proto/otlp/resource/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
)

func mustHex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func str(k, v string) *commonpb.KeyValue {
	return &commonpb.KeyValue{Key: k, Value: &commonpb.AnyValue{Value: &commonpb.AnyValue_StringValue{StringValue: v}}}
}

// richTraces uses every field of the trace model that carries an id, an enum, a 64-bit
// integer or a bytes value, since those are where OTLP/JSON departs from protojson.
func richTraces(t testing.TB) *tracepb.TracesData {
	traceID := mustHex(t, "0af7651916cd43dd8448eb211c80319c")
	return &tracepb.TracesData{ResourceSpans: []*tracepb.ResourceSpans{{
		Resource: &resourcepb.Resource{Attributes: []*commonpb.KeyValue{str("service.name", "example"), str("juju_unit", "example/0")}},
		ScopeSpans: []*tracepb.ScopeSpans{{
			Scope: &commonpb.InstrumentationScope{Name: "charmtrace", Version: "0.1.0"},
			Spans: []*tracepb.Span{{
				TraceId:           traceID,
				SpanId:            mustHex(t, "b7ad6b7169203331"),
				ParentSpanId:      mustHex(t, "00f067aa0ba902b7"),
				TraceState:        "congo=t61rcWkgMzE",
				Name:              "install <&> \"quoted\"",
				Kind:              tracepb.Span_SPAN_KIND_SERVER,
				StartTimeUnixNano: 1_700_000_000_123_456_789,
				EndTimeUnixNano:   math.MaxUint64,
				Flags:             0x301,
				Attributes: []*commonpb.KeyValue{
					str("traceId", "an attribute named like an id stays as it is"),
					{Key: "count", Value: &commonpb.AnyValue{Value: &commonpb.AnyValue_IntValue{IntValue: math.MinInt64}}},
					{Key: "ratio", Value: &commonpb.AnyValue{Value: &commonpb.AnyValue_DoubleValue{DoubleValue: math.NaN()}}},
					{Key: "ok", Value: &commonpb.AnyValue{Value: &commonpb.AnyValue_BoolValue{BoolValue: true}}},
					{Key: "raw", Value: &commonpb.AnyValue{Value: &commonpb.AnyValue_BytesValue{BytesValue: []byte{0, 1, 0xfe, 0xff}}}},
					{Key: "list", Value: &commonpb.AnyValue{Value: &commonpb.AnyValue_ArrayValue{ArrayValue: &commonpb.ArrayValue{
						Values: []*commonpb.AnyValue{{Value: &commonpb.AnyValue_StringValue{StringValue: "a"}}}}}}},
					{Key: "map", Value: &commonpb.AnyValue{Value: &commonpb.AnyValue_KvlistValue{KvlistValue: &commonpb.KeyValueList{
						Values: []*commonpb.KeyValue{str("spanId", "nested")}}}}},
				},
				DroppedAttributesCount: 2,
				Events: []*tracepb.Span_Event{{TimeUnixNano: 1_700_000_000_200_000_000, Name: "StartEvent",
					Attributes: []*commonpb.KeyValue{str("kind", "start")}}},
				Links: []*tracepb.Span_Link{{TraceId: mustHex(t, "4bf92f3577b34da6a3ce929d0e0e4736"),
					SpanId: mustHex(t, "00f067aa0ba902b7"), Flags: 0x100}},
				Status: &tracepb.Status{Code: tracepb.Status_STATUS_CODE_ERROR, Message: "secret-get failed"},
			}, {
				TraceId:           traceID,
				SpanId:            mustHex(t, "00000000000000ff"),
				Name:              "child",
				Kind:              tracepb.Span_SPAN_KIND_INTERNAL,
				StartTimeUnixNano: 1,
				EndTimeUnixNano:   2,
			}},
		}},
	}}}
}

func TestRoundTripIsLossless(t *testing.T) {
	want := richTraces(t)
	js, err := Marshal(want)
	if err != nil {
		t.Fatal(err)
	}
	got := &tracepb.TracesData{}
	if err := Unmarshal(js, got); err != nil {
		t.Fatalf("Unmarshal(%s): %v", js, err)
	}
	// NaN != NaN, so compare the NaN attribute separately and blank it in both.
	gotRatio := got.ResourceSpans[0].ScopeSpans[0].Spans[0].Attributes[2].Value
	if !math.IsNaN(gotRatio.GetDoubleValue()) {
		t.Fatalf("NaN attribute came back as %v", gotRatio)
	}
	for _, td := range []*tracepb.TracesData{want, got} {
		td.ResourceSpans[0].ScopeSpans[0].Spans[0].Attributes[2].Value = nil
	}
	if !proto.Equal(want, got) {
		t.Fatalf("round trip changed the data:\nwant %v\ngot  %v\njson %s", want, got, js)
	}
}

// TestMarshalFollowsTheSpec checks the OTLP/JSON rules on the encoded document itself.
func TestMarshalFollowsTheSpec(t *testing.T) {
	js, err := Marshal(richTraces(t))
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		ResourceSpans []struct {
			ScopeSpans []struct {
				Spans []map[string]any `json:"spans"`
			} `json:"scopeSpans"`
		} `json:"resourceSpans"`
	}
	if err := json.Unmarshal(js, &doc); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, js)
	}
	span := doc.ResourceSpans[0].ScopeSpans[0].Spans[0]
	hexID := regexp.MustCompile(`^[0-9a-f]+$`)
	for key, want := range map[string]string{
		"traceId": "0af7651916cd43dd8448eb211c80319c", "spanId": "b7ad6b7169203331", "parentSpanId": "00f067aa0ba902b7",
	} {
		if span[key] != want || !hexID.MatchString(span[key].(string)) {
			t.Errorf("%s = %v, want hex %s", key, span[key], want)
		}
	}
	link := span["links"].([]any)[0].(map[string]any)
	if link["traceId"] != "4bf92f3577b34da6a3ce929d0e0e4736" || link["spanId"] != "00f067aa0ba902b7" {
		t.Errorf("link ids = %v, want hex", link)
	}
	if span["kind"] != float64(2) {
		t.Errorf("kind = %#v, want the integer 2", span["kind"])
	}
	if st := span["status"].(map[string]any); st["code"] != float64(2) {
		t.Errorf("status.code = %#v, want the integer 2", st["code"])
	}
	if span["startTimeUnixNano"] != "1700000000123456789" || span["endTimeUnixNano"] != "18446744073709551615" {
		t.Errorf("times = %#v %#v, want decimal strings", span["startTimeUnixNano"], span["endTimeUnixNano"])
	}
	if span["flags"] != float64(0x301) {
		t.Errorf("flags = %#v, want the number 769 (fixed32 stays a number)", span["flags"])
	}
	attrs := map[string]map[string]any{}
	for _, a := range span["attributes"].([]any) {
		kv := a.(map[string]any)
		attrs[kv["key"].(string)] = kv["value"].(map[string]any)
	}
	if attrs["count"]["intValue"] != "-9223372036854775808" {
		t.Errorf("intValue = %#v, want a decimal string", attrs["count"]["intValue"])
	}
	if attrs["raw"]["bytesValue"] != "AAH+/w==" {
		t.Errorf("bytesValue = %#v, want base64 (only ids are hex)", attrs["raw"]["bytesValue"])
	}
	if attrs["traceId"]["stringValue"] != "an attribute named like an id stays as it is" {
		t.Errorf("an attribute value was rewritten: %v", attrs["traceId"])
	}
	if !strings.Contains(string(js), `"name":"install <&> \"quoted\""`) {
		t.Errorf("span name not kept readable: %s", js)
	}
	// lowerCamelCase only: no JSON key has an underscore (attribute names are values).
	keyRE := regexp.MustCompile(`"([A-Za-z_]+)":`)
	for _, m := range keyRE.FindAllStringSubmatch(string(js), -1) {
		if strings.Contains(m[1], "_") {
			t.Errorf("key %q is not lowerCamelCase", m[1])
		}
	}
}

// opsRow is a row as Python ops[tracing] writes it (ops/_tracing/_otlp_json.py): hex ids,
// integer kind and status code, times as strings, flags 0x100, the snake_case
// dropped_attributes_count, no scope version, compact separators.
const opsRow = `{"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"pyapp"}},{"key":"service.instance.id","value":{"stringValue":"0"}},{"key":"juju_unit","value":{"stringValue":"pyapp/0"}}]},"scopeSpans":[{"scope":{"name":"ops"},"spans":[{"name":"start: PyCharm","kind":1,"traceId":"0000000000000000000000000000abcd","spanId":"00000000000000e2","flags":256,"startTimeUnixNano":"1700000000100000000","endTimeUnixNano":"1700000000300000000","status":{"code":2,"message":"boom"},"attributes":[{"key":"retries","value":{"intValue":"3"}},{"key":"ratio","value":{"doubleValue":0.5}},{"key":"tags","value":{"arrayValue":{"values":[{"stringValue":"a"},{"stringValue":"b"}]}}}],"dropped_attributes_count":1,"parentSpanId":"00000000000000e1","events":[{"name":"StartEvent","timeUnixNano":"1700000000150000000","attributes":[{"key":"deferred","value":{"boolValue":false}}]}]},{"name":"ops.main","kind":1,"traceId":"0000000000000000000000000000ABCD","spanId":"00000000000000e1","flags":256,"startTimeUnixNano":"1700000000000000000","endTimeUnixNano":"1700000000400000000","status":{}}]}]}]}`

func TestUnmarshalOpsRow(t *testing.T) {
	td := &tracepb.TracesData{}
	if err := Unmarshal([]byte(opsRow), td); err != nil {
		t.Fatal(err)
	}
	spans := td.ResourceSpans[0].ScopeSpans[0].Spans
	if len(spans) != 2 {
		t.Fatalf("spans = %d", len(spans))
	}
	child, root := spans[0], spans[1]
	if hex.EncodeToString(child.TraceId) != "0000000000000000000000000000abcd" ||
		hex.EncodeToString(root.TraceId) != "0000000000000000000000000000abcd" {
		t.Errorf("trace ids = %x, %x (upper-case hex must decode too)", child.TraceId, root.TraceId)
	}
	if hex.EncodeToString(child.ParentSpanId) != "00000000000000e1" || hex.EncodeToString(root.SpanId) != "00000000000000e1" {
		t.Errorf("parentage lost: child parent %x, root id %x", child.ParentSpanId, root.SpanId)
	}
	if child.Kind != tracepb.Span_SPAN_KIND_INTERNAL || child.Status.GetCode() != tracepb.Status_STATUS_CODE_ERROR || child.Status.GetMessage() != "boom" {
		t.Errorf("kind/status = %v %v", child.Kind, child.Status)
	}
	if child.StartTimeUnixNano != 1700000000100000000 || child.EndTimeUnixNano != 1700000000300000000 {
		t.Errorf("times = %d %d", child.StartTimeUnixNano, child.EndTimeUnixNano)
	}
	if child.DroppedAttributesCount != 1 || child.Flags != 256 {
		t.Errorf("dropped_attributes_count/flags = %d %d", child.DroppedAttributesCount, child.Flags)
	}
	if child.Attributes[0].Value.GetIntValue() != 3 || len(child.Events) != 1 || child.Events[0].TimeUnixNano != 1700000000150000000 {
		t.Errorf("attributes/events = %v %v", child.Attributes, child.Events)
	}
	if td.ResourceSpans[0].Resource.Attributes[0].Value.GetStringValue() != "pyapp" {
		t.Errorf("resource = %v", td.ResourceSpans[0].Resource)
	}
}

// Some producers send plain protojson (base64 ids, enum names); a tolerant reader takes it.
func TestUnmarshalPlainProtojson(t *testing.T) {
	want := richTraces(t)
	want.ResourceSpans[0].ScopeSpans[0].Spans[0].Attributes[2].Value = nil // NaN
	pj, err := protojson.Marshal(want)
	if err != nil {
		t.Fatal(err)
	}
	got := &tracepb.TracesData{}
	if err := Unmarshal(pj, got); err != nil {
		t.Fatal(err)
	}
	if !proto.Equal(want, got) {
		t.Fatalf("protojson input decoded differently:\nwant %v\ngot  %v", want, got)
	}
}

func TestUnmarshalRejectsBadInput(t *testing.T) {
	for name, in := range map[string]string{
		"empty":         ``,
		"not json":      `GIF89a`,
		"truncated":     opsRow[:len(opsRow)/2],
		"bad id":        `{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"zz not an id"}]}]}]}`,
		"wrong type":    `{"resourceSpans":{"x":1}}`,
		"python NaN":    `{"resourceSpans":[{"scopeSpans":[{"spans":[{"attributes":[{"key":"r","value":{"doubleValue":NaN}}]}]}]}]}`,
		"two documents": `{}{}`,
	} {
		t.Run(name, func(t *testing.T) {
			if err := Unmarshal([]byte(in), &tracepb.TracesData{}); err == nil {
				t.Fatalf("Unmarshal(%q) succeeded", in)
			}
		})
	}
}

func FuzzUnmarshal(f *testing.F) {
	f.Add([]byte(opsRow))
	f.Add([]byte(`{"resourceSpans":[]}`))
	f.Add([]byte(`[{"traceId":"00"},{"spanId":[1,{}]}]`))
	f.Fuzz(func(t *testing.T, in []byte) {
		td := &tracepb.TracesData{}
		if Unmarshal(in, td) != nil {
			return
		}
		// Whatever decodes must encode and decode to the same data.
		js, err := Marshal(td)
		if err != nil {
			t.Fatalf("Marshal after a successful Unmarshal: %v", err)
		}
		again := &tracepb.TracesData{}
		if err := Unmarshal(js, again); err != nil {
			t.Fatalf("re-decoding %s: %v", js, err)
		}
	})
}

func BenchmarkMarshal(b *testing.B) {
	td := richTraces(b)
	td.ResourceSpans[0].ScopeSpans[0].Spans[0].Attributes[2].Value = nil
	n, _ := Marshal(td)
	b.SetBytes(int64(len(n)))
	for b.Loop() {
		if _, err := Marshal(td); err != nil {
			b.Fatal(err)
		}
	}
}
