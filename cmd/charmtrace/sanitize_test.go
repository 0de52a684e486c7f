package main

import (
	"context"
	"encoding/json"
	"fmt"
	"runtime/debug"
	"strings"
	"testing"

	"github.com/charmtrace/charmtrace/internal/spantree"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	resourcepb "go.opentelemetry.io/proto/otlp/resource/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/proto"

	"github.com/charmtrace/charmtrace/buffer"
)

// hostile is text a crafted file can hold: a terminal title change (OSC ... BEL), a
// colour, a screen clear through the 8-bit CSI, a right-to-left override, a zero-width
// joiner, a line separator, and an invalid byte.
const hostile = "\x1b]0;pwned\x07\x1b[31m\u009b2J\u202eevil\u200d\u2028\xff"

// rawUnsafe lists what must never reach the reader's terminal as it is.
func rawUnsafe(s string) []string {
	var found []string
	for _, r := range []string{"\x1b", "\x07", "\u009b", "\u202e", "\u200d", "\u2028", "\xff"} {
		if strings.Contains(s, r) {
			found = append(found, fmt.Sprintf("%q", r))
		}
	}
	return found
}

func TestPrintable(t *testing.T) {
	for in, want := range map[string]string{
		"start: onEvent":     "start: onEvent",
		"ünïcödé ✓ 日本":       "ünïcödé ✓ 日本",
		"a\x1b[31mb":         `a\x1b[31mb`,
		"tab\tnl\n":          `tab\x09nl\x0a`,
		"\u202eevil":         `\u202eevil`,
		"csi\u009b":          `csi\u009b`,
		"bad\xff":            `bad\xff`,
		"tag\U000E0041":      `tag\U000e0041`,
		"del\x7f":            `del\x7f`,
		"bom\ufeff":          `bom\ufeff`,
		"para\u2029":         `para\u2029`,
		"replacement\ufffd!": `replacement\ufffd!`,
	} {
		if got := printable(in); got != want {
			t.Errorf("printable(%q) = %q, want %q", in, got, want)
		}
	}
}

// jsonSafe changes how a document reads on a terminal, never what it decodes to.
func TestJSONSafe(t *testing.T) {
	for _, v := range []string{"plain", hostile[:len(hostile)-1], "tag\U000E0041 and \u2028 and \x7f"} {
		js, err := json.Marshal(map[string]string{"name": v})
		if err != nil {
			t.Fatal(err)
		}
		safe := jsonSafe(js)
		if bad := rawUnsafe(string(safe)); len(bad) > 0 {
			t.Errorf("%q: %s still raw in %s", v, bad, safe)
		}
		var back map[string]string
		if err := json.Unmarshal(safe, &back); err != nil || back["name"] != v {
			t.Errorf("%q: decodes to %q, %v", v, back["name"], err)
		}
	}
}

// hostileBuffer writes a buffer whose every text is hostile: span names, status message,
// attribute keys and values, resource attributes, a row's content type, a drop reason and
// the destination URL.
func hostileBuffer(t *testing.T) string {
	t.Helper()
	hostileBytes := hostile
	path := bufferPath(t)
	b, err := buffer.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	ctx := context.Background()
	str := func(k, v string) *commonpb.KeyValue {
		return &commonpb.KeyValue{Key: k, Value: &commonpb.AnyValue{Value: &commonpb.AnyValue_StringValue{StringValue: v}}}
	}
	// Protobuf strings are valid UTF-8 (a row with an invalid byte does not decode and is
	// skipped), so the span data leaves out the invalid byte; the row's columns keep it.
	hostile := strings.TrimSuffix(hostile, "\xff")
	td := &tracepb.TracesData{ResourceSpans: []*tracepb.ResourceSpans{{
		Resource: &resourcepb.Resource{Attributes: []*commonpb.KeyValue{str("juju_unit", "unit/0"+hostile), str("k"+hostile, hostile)}},
		ScopeSpans: []*tracepb.ScopeSpans{{Spans: []*tracepb.Span{{
			TraceId: make([]byte, 16), SpanId: []byte{1, 2, 3, 4, 5, 6, 7, 8}, Name: "start" + hostile,
			StartTimeUnixNano: 1, EndTimeUnixNano: 2,
			Attributes: []*commonpb.KeyValue{str("juju.event", "start"), str("a"+hostile, hostile)},
			Status:     &tracepb.Status{Code: tracepb.Status_STATUS_CODE_ERROR, Message: "boom" + hostile},
		}}}},
	}}}
	data, err := proto.Marshal(td)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.Push(ctx, data, buffer.MimeProtobuf); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Push(ctx, []byte("x"), "text/plain"+hostileBytes); err != nil {
		t.Fatal(err)
	}
	id, err := b.Push(ctx, []byte("y"), buffer.MimeProtobuf)
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Drop(ctx, id, "reason"+hostileBytes); err != nil {
		t.Fatal(err)
	}
	if _, err := b.SetDestination(ctx, buffer.Destination{URL: "http://tempo:4318/" + hostileBytes}); err != nil {
		t.Fatal(err)
	}
	return path
}

// Every subcommand that shows text from a file shows it sanitised, on stdout and stderr.
func TestEveryCommandSanitisesFileText(t *testing.T) {
	path := hostileBuffer(t)
	for _, args := range [][]string{
		{"inspect", path}, {"inspect", "--json", path},
		{"tree", path}, {"tree", "--attrs", path}, {"tree", "--failed", "--event", "start", path},
		{"export", path},
	} {
		code, out, errOut := runCLI(t, args...)
		if bad := rawUnsafe(out + errOut); len(bad) > 0 {
			t.Errorf("%v (exit %d): %s printed raw:\n%s\n%s", args, code, bad, out, errOut)
		}
		if !strings.Contains(out+errOut, `\x1b]0;pwned`) && !strings.Contains(out+errOut, `\u001b]0;pwned`) {
			t.Errorf("%v: the hostile text is not shown at all:\n%s\n%s", args, out, errOut)
		}
	}
}

// A parent chain far deeper than any real trace is walked without recursion: with the
// goroutine stack limited to 8 MiB, a recursive walk of 100 000 levels dies with a fatal
// stack overflow.
func TestTreeWalksDeepChainsIteratively(t *testing.T) {
	const depth = 100_000
	spans := make([]*tracepb.Span, depth)
	for i := range spans {
		spans[i] = &tracepb.Span{TraceId: make([]byte, 16), SpanId: spanID(i + 1), Name: "s", StartTimeUnixNano: uint64(i), EndTimeUnixNano: uint64(i + 1)}
		if i > 0 {
			spans[i].ParentSpanId = spanID(i)
		}
	}
	// A cycle hanging off nowhere, as well.
	spans = append(spans,
		&tracepb.Span{TraceId: make([]byte, 16), SpanId: spanID(depth + 1), ParentSpanId: spanID(depth + 2), Name: "c1"},
		&tracepb.Span{TraceId: make([]byte, 16), SpanId: spanID(depth + 2), ParentSpanId: spanID(depth + 1), Name: "c2"})
	set := spantree.NewSet()
	set.Add(&tracepb.TracesData{ResourceSpans: []*tracepb.ResourceSpans{{ScopeSpans: []*tracepb.ScopeSpans{{Spans: spans}}}}})
	defer debug.SetMaxStack(debug.SetMaxStack(8 << 20))
	var out strings.Builder
	set.Traces()[0].Print(&out, spantree.Options{})
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if got := len(lines); got != 1+depth+1 {
		t.Fatalf("%d lines, want a header, %d spans and the cycle note", got, depth)
	}
	// Past the indentation limit each line says its depth, so nothing is flattened silently.
	if last := lines[depth]; !strings.Contains(last, fmt.Sprintf("[%d] s", depth-1)) {
		t.Errorf("deepest span line %q does not say its depth", last)
	}
	if !strings.Contains(lines[depth+1], "2 spans not shown: their parent ids form a cycle") {
		t.Errorf("last line %q", lines[depth+1])
	}
}

func spanID(i int) []byte {
	return []byte{byte(i >> 56), byte(i >> 48), byte(i >> 40), byte(i >> 32), byte(i >> 24), byte(i >> 16), byte(i >> 8), byte(i)}
}
