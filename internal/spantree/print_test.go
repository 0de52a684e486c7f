package spantree

import (
	"bytes"
	"strings"
	"testing"
	"unicode/utf8"

	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
)

// Span data comes from a file off a unit: hostile names, impossible times and cyclic
// parents must render as something sane, and never hang.
func TestTreeHostileSpans(t *testing.T) {
	tid := bytes.Repeat([]byte{0xab}, 16)
	id := func(b byte) []byte { return []byte{0, 0, 0, 0, 0, 0, 0, b} }
	span := func(sid, parent byte, name string, start, end uint64) *tracepb.Span {
		s := &tracepb.Span{TraceId: tid, SpanId: id(sid), Name: name, StartTimeUnixNano: start, EndTimeUnixNano: end}
		if parent != 0 {
			s.ParentSpanId = id(parent)
		}
		return s
	}
	set := NewSet()
	set.Add(&tracepb.TracesData{ResourceSpans: []*tracepb.ResourceSpans{{ScopeSpans: []*tracepb.ScopeSpans{{Spans: []*tracepb.Span{
		span(1, 0, "root \x1b[31mred\x1b[0m\nnext line", 1000, 2000),
		span(2, 1, "ends before it starts", 1500, 10),
		span(3, 3, "its own parent", 1200, 1300),
		span(4, 5, "cycle a", 1000, 1100),
		span(5, 4, "cycle b", 1000, 1100),
		span(6, 1, strings.Repeat("ü", 200), 1000, 1000),
		span(1, 0, "duplicate id, ignored", 0, 99999),
	}}}}}})
	traces := set.Traces()
	if len(traces) != 1 || len(traces[0].spans) != 6 {
		t.Fatalf("traces = %d, spans = %d", len(traces), len(traces[0].spans))
	}
	var out bytes.Buffer
	traces[0].Print(&out, Options{})
	got := out.String()
	for _, want := range []string{
		`  root \x1b[31mred\x1b[0m\x0anext line`, "    ends before it starts                           0s  ", "\n  its own parent",
		"(2 spans not shown: their parent ids form a cycle)", "…",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("output lacks %q:\n%s", want, got)
		}
	}
	for _, l := range strings.Split(strings.TrimSpace(got), "\n") {
		if strings.ContainsRune(l, '\x1b') || utf8.RuneCountInString(l) > NameWidth+2+8+2+5+2+BarWidth+2+2+MsgWidth {
			t.Errorf("line not sanitised or too long: %q", l)
		}
	}
}

func TestBarPlacesSpansInTheTrace(t *testing.T) {
	tr := &Trace{start: 1000, end: 2000}
	node := func(start, end uint64) *spanNode {
		return &spanNode{span: &tracepb.Span{StartTimeUnixNano: start, EndTimeUnixNano: end}}
	}
	for _, c := range []struct {
		start, end uint64
		want       string
	}{
		{1000, 2000, strings.Repeat("#", 40)},
		{1500, 2000, strings.Repeat(" ", 20) + strings.Repeat("#", 20)},
		{1000, 1250, strings.Repeat("#", 10) + strings.Repeat(" ", 30)},
		{2000, 2000, strings.Repeat(" ", 39) + "#"}, // an instant at the end stays visible
		{1100, 1100, strings.Repeat(" ", 4) + "#" + strings.Repeat(" ", 35)},
	} {
		if got := tr.bar(node(c.start, c.end)); got != c.want {
			t.Errorf("bar(%d..%d) = %q, want %q", c.start, c.end, got, c.want)
		}
	}
	if got := (&Trace{start: 5, end: 5}).bar(node(5, 5)); got != strings.Repeat("#", 40) {
		t.Errorf("zero-length trace: %q", got)
	}
}

func TestFormatDuration(t *testing.T) {
	for ns, want := range map[uint64]string{
		0: "0s", 999: "999ns", 1234: "1.23µs", 45_678_000: "45.7ms", 100_400_000: "100ms",
		1_234_000_000: "1.23s", 123_400_000_000: "2m3s", 1e15: "277h46m40s",
	} {
		if got := FormatDuration(ns); got != want {
			t.Errorf("FormatDuration(%d) = %q, want %q", ns, got, want)
		}
	}
}
