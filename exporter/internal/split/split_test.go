package split

import (
	"encoding/json"
	"errors"
	"testing"

	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	resourcepb "go.opentelemetry.io/proto/otlp/resource/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/proto"
)

// traces builds a TracesData with shape[r][s] spans in scope s of resource r.
func traces(shape [][]int) *tracepb.TracesData {
	td := &tracepb.TracesData{}
	for r, scopes := range shape {
		rs := &tracepb.ResourceSpans{
			Resource: &resourcepb.Resource{Attributes: []*commonpb.KeyValue{{
				Key: "service.name", Value: &commonpb.AnyValue{Value: &commonpb.AnyValue_StringValue{StringValue: string(rune('a' + r))}},
			}}},
			SchemaUrl: "https://opentelemetry.io/schemas/1.43.0",
		}
		for s, n := range scopes {
			ss := &tracepb.ScopeSpans{Scope: &commonpb.InstrumentationScope{Name: string(rune('A' + s))}}
			for i := range n {
				ss.Spans = append(ss.Spans, &tracepb.Span{Name: "span", SpanId: []byte{byte(r), byte(s), byte(i), 0, 0, 0, 0, 1}})
			}
			rs.ScopeSpans = append(rs.ScopeSpans, ss)
		}
		td.ResourceSpans = append(td.ResourceSpans, rs)
	}
	return td
}

// spanIDs lists every span id with the resource and scope names it sits under.
func spanIDs(t *testing.T, b []byte) []string {
	t.Helper()
	var td tracepb.TracesData
	if err := proto.Unmarshal(b, &td); err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, rs := range td.ResourceSpans {
		res := rs.Resource.Attributes[0].Value.GetStringValue()
		if rs.SchemaUrl == "" {
			t.Error("schema URL lost in a half")
		}
		for _, ss := range rs.ScopeSpans {
			for _, sp := range ss.Spans {
				out = append(out, res+"/"+ss.Scope.Name+"/"+string(sp.SpanId))
			}
		}
	}
	return out
}

func TestHalveProto(t *testing.T) {
	cases := []struct {
		name        string
		shape       [][]int
		first, rest int // spans in each half
	}{
		{"three resources", [][]int{{2}, {1}, {3}}, 2, 4},
		{"one resource, two scopes", [][]int{{2, 5}}, 2, 5},
		{"one scope, five spans", [][]int{{5}}, 2, 3},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			data, err := proto.Marshal(traces(c.shape))
			if err != nil {
				t.Fatal(err)
			}
			a, b, err := Halve(data, "application/x-protobuf")
			if err != nil {
				t.Fatal(err)
			}
			ids := append(spanIDs(t, a), spanIDs(t, b)...)
			if len(spanIDs(t, a)) != c.first || len(spanIDs(t, b)) != c.rest {
				t.Errorf("halves hold %d and %d spans, want %d and %d", len(spanIDs(t, a)), len(spanIDs(t, b)), c.first, c.rest)
			}
			want := spanIDs(t, data)
			if len(ids) != len(want) {
				t.Fatalf("%d spans after split, %d before", len(ids), len(want))
			}
			for i := range want {
				if ids[i] != want[i] {
					t.Fatalf("span %d: %q, want %q (with its resource and scope)", i, ids[i], want[i])
				}
			}
		})
	}
}

func TestHalveUnsplittable(t *testing.T) {
	one, _ := proto.Marshal(traces([][]int{{1}}))
	empty, _ := proto.Marshal(traces(nil))
	for name, data := range map[string][]byte{"one span": one, "empty": empty} {
		if _, _, err := Halve(data, "application/x-protobuf"); !errors.Is(err, ErrUnsplittable) {
			t.Errorf("%s: err = %v, want ErrUnsplittable", name, err)
		}
	}
}

func TestHalveMalformed(t *testing.T) {
	for _, data := range [][]byte{{0x0a, 0x05, 1}, {0xff}, {0x0a}} {
		_, _, err := Halve(data, "application/x-protobuf")
		if err == nil || errors.Is(err, ErrUnsplittable) {
			t.Errorf("% x: err = %v, want a malformed-payload error", data, err)
		}
	}
	if _, _, err := Halve([]byte(`{"resourceSpans":{}}`), "application/json"); err == nil {
		t.Error("JSON with an object for resourceSpans accepted")
	}
}

// An ops-written JSON row: one resource, one scope, three spans.
const opsJSON = `{"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"app"}}]},` +
	`"scopeSpans":[{"scope":{"name":"ops"},"spans":[{"name":"a"},{"name":"b"},{"name":"c"}]}]}]}`

func TestHalveJSON(t *testing.T) {
	a, b, err := Halve([]byte(opsJSON), "application/json")
	if err != nil {
		t.Fatal(err)
	}
	names := func(p []byte) (out []string) {
		var td struct {
			ResourceSpans []struct {
				Resource   json.RawMessage
				ScopeSpans []struct {
					Scope struct{ Name string }
					Spans []struct{ Name string }
				}
			}
		}
		if err := json.Unmarshal(p, &td); err != nil {
			t.Fatal(err)
		}
		for _, rs := range td.ResourceSpans {
			if len(rs.Resource) == 0 {
				t.Error("resource lost in a half")
			}
			for _, ss := range rs.ScopeSpans {
				for _, sp := range ss.Spans {
					out = append(out, ss.Scope.Name+"/"+sp.Name)
				}
			}
		}
		return out
	}
	got := append(names(a), names(b)...)
	if len(names(a)) != 1 || len(got) != 3 || got[0] != "ops/a" || got[1] != "ops/b" || got[2] != "ops/c" {
		t.Fatalf("halves = %v + %v", names(a), names(b))
	}
	if _, _, err := Halve([]byte(`{"resourceSpans":[{"scopeSpans":[{"spans":[{}]}]}]}`), "application/json"); !errors.Is(err, ErrUnsplittable) {
		t.Errorf("single JSON span: err = %v", err)
	}
}

func FuzzHalve(f *testing.F) {
	for _, shape := range [][][]int{{{1}}, {{2, 3}}, {{1}, {4}}} {
		b, _ := proto.Marshal(traces(shape))
		f.Add(b, false)
	}
	f.Add([]byte(opsJSON), true)
	f.Fuzz(func(t *testing.T, data []byte, isJSON bool) {
		mime := "application/x-protobuf"
		if isJSON {
			mime = "application/json"
		}
		a, b, err := Halve(data, mime)
		if err != nil {
			return
		}
		if len(a) == 0 || len(b) == 0 {
			t.Fatal("empty half")
		}
		if isJSON {
			return
		}
		var whole, ha, hb tracepb.TracesData
		if proto.Unmarshal(data, &whole) != nil {
			return // unknown-but-well-formed wire data need not decode as TracesData
		}
		if proto.Unmarshal(a, &ha) != nil || proto.Unmarshal(b, &hb) != nil {
			t.Fatal("a half of a valid TracesData does not decode")
		}
		if n := count(&ha) + count(&hb); n != count(&whole) {
			t.Fatalf("%d spans after split, %d before", n, count(&whole))
		}
	})
}

func count(td *tracepb.TracesData) (n int) {
	for _, rs := range td.ResourceSpans {
		for _, ss := range rs.ScopeSpans {
			n += len(ss.Spans)
		}
	}
	return n
}
