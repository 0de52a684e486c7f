package main

import (
	"fmt"
	"strings"
	"testing"

	"github.com/charmtrace/charmtrace/internal/spantree"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
)

// shownTraces returns the last digit of each trace id tree printed.
func shownTraces(out string) []string {
	var got []string
	for _, h := range traceHeaders(out) {
		got = append(got, h[len("trace 4b00000000000000000000000000000"):][:1])
	}
	return got
}

// A deferred start is re-run at the start of the next dispatches: those are not
// dispatches of start, and --event start shows them only with --reruns.
func TestTreeEventTellsDispatchesFromReruns(t *testing.T) {
	path := bufferPath(t)
	mustWriteDispatches(t, path,
		dispatch{event: "install"},
		dispatch{event: "start", at: 1e9},
		dispatch{event: "update-status", at: 2e9, rerun: "start"},
		dispatch{event: "config-changed", at: 3e9, rerun: "start"})
	for _, c := range []struct {
		args []string
		want []string
	}{
		{[]string{"--event", "start"}, []string{"2"}},
		{[]string{"--event", "start", "--reruns"}, []string{"2", "3", "4"}},
		{[]string{"--event", "update-status"}, []string{"3"}},
		{[]string{"--event", "install", "--reruns"}, []string{"1"}},
	} {
		code, out, errOut := runCLI(t, append([]string{"tree", path}, c.args...)...)
		if got := shownTraces(out); code != exitOK || fmt.Sprint(got) != fmt.Sprint(c.want) {
			t.Errorf("%v: exit %d, traces %v, want %v; stderr %q", c.args, code, got, c.want, errOut)
		}
	}
	if code, _, errOut := runCLI(t, "tree", "--reruns", path); code != exitUsage || !strings.Contains(errOut, "--reruns needs --event") {
		t.Errorf("--reruns alone: exit %d, %q", code, errOut)
	}
}

// ops marks re-runs with deferred=true on the handler span under ops.main.
func TestTreeEventOpsReruns(t *testing.T) {
	boolAttr := func(k string, v bool) *commonpb.KeyValue {
		return &commonpb.KeyValue{Key: k, Value: &commonpb.AnyValue{Value: &commonpb.AnyValue_BoolValue{BoolValue: v}}}
	}
	trace := func(tid byte, handlers ...*tracepb.Span) *spantree.Trace {
		set := spantree.NewSet()
		spans := []*tracepb.Span{{TraceId: []byte{15: tid}, SpanId: []byte{7: 1}, Name: "ops.main"}}
		for i, h := range handlers {
			h.TraceId, h.SpanId, h.ParentSpanId = []byte{15: tid}, []byte{7: byte(i + 2)}, []byte{7: 1}
			spans = append(spans, h)
		}
		set.Add(&tracepb.TracesData{ResourceSpans: []*tracepb.ResourceSpans{{ScopeSpans: []*tracepb.ScopeSpans{{Spans: spans}}}}})
		return set.Traces()[0]
	}
	start := trace(1, &tracepb.Span{Name: "start: Charm", Attributes: []*commonpb.KeyValue{boolAttr("deferred", false)}})
	rerun := trace(2, &tracepb.Span{Name: "start: Charm", Attributes: []*commonpb.KeyValue{boolAttr("deferred", true)}},
		&tracepb.Span{Name: "update_status: Charm", Attributes: []*commonpb.KeyValue{boolAttr("deferred", false)}})
	if !start.DispatchOf("start") || start.RerunOf("start") {
		t.Error("an ops start dispatch is not recognised as one")
	}
	if rerun.DispatchOf("start") || !rerun.RerunOf("start") || !rerun.DispatchOf("update_status") {
		t.Error("an ops re-run of start is taken for a dispatch of start")
	}
}

func TestTreeFailedKeepsTracesWithAnError(t *testing.T) {
	path := bufferPath(t)
	mustWriteDispatches(t, path, dispatch{event: "install"}, dispatch{event: "start", at: 1e9, failure: "ERROR denied"},
		dispatch{event: "update-status", at: 2e9})
	code, out, errOut := runCLI(t, "tree", "--failed", path)
	if got := shownTraces(out); code != exitOK || fmt.Sprint(got) != "[2]" {
		t.Fatalf("exit %d, traces %v, want [2]; stderr %q", code, got, errOut)
	}
	if _, _, errOut := runCLI(t, "tree", "--failed", "--event", "install", path); !strings.Contains(errOut, "none of the 3 traces") {
		t.Errorf("--failed --event install: stderr %q", errOut)
	}
}

func TestTreeAttrsShowsSpanAndResourceAttributes(t *testing.T) {
	path := bufferPath(t)
	mustWriteDispatches(t, path, dispatch{event: "install"})
	code, out, errOut := runCLI(t, "tree", "--attrs", path)
	if code != exitOK {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
	for _, want := range []string{
		"\n  resource juju_unit=\"example/0\"\n",
		"\n  install   ", "\n      juju.event=\"install\"\n",
		"\n    install: onEvent", "\n        juju.deferred=false\n",
		"\n      secret-get", "\n          juju.tool=\"secret-get\"\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	// Without --attrs, no attribute lines.
	if _, out, _ := runCLI(t, "tree", path); strings.Contains(out, "juju.tool=") || strings.Contains(out, "resource ") {
		t.Errorf("attributes shown without --attrs:\n%s", out)
	}
}

// Names longer than the column, and long attribute values, end in a visible "…": never a
// silent cut.
func TestTreeElidesLongTextVisibly(t *testing.T) {
	long := strings.Repeat("n", 50) + "TAIL"
	values := make([]*commonpb.AnyValue, 50)
	for i := range values {
		values[i] = &commonpb.AnyValue{Value: &commonpb.AnyValue_StringValue{StringValue: strings.Repeat("v", 10)}}
	}
	deep := &commonpb.AnyValue{Value: &commonpb.AnyValue_StringValue{StringValue: "x"}}
	for range 10_000 {
		deep = &commonpb.AnyValue{Value: &commonpb.AnyValue_ArrayValue{ArrayValue: &commonpb.ArrayValue{Values: []*commonpb.AnyValue{deep}}}}
	}
	set := spantree.NewSet()
	set.Add(&tracepb.TracesData{ResourceSpans: []*tracepb.ResourceSpans{{ScopeSpans: []*tracepb.ScopeSpans{{Spans: []*tracepb.Span{
		{TraceId: []byte{15: 1}, SpanId: []byte{7: 1}, Name: "root"},
		{TraceId: []byte{15: 1}, SpanId: []byte{7: 2}, ParentSpanId: []byte{7: 1}, Name: long, Attributes: []*commonpb.KeyValue{
			{Key: "list", Value: &commonpb.AnyValue{Value: &commonpb.AnyValue_ArrayValue{ArrayValue: &commonpb.ArrayValue{Values: values}}}},
			{Key: "deep", Value: deep},
		}},
	}}}}}})
	var out strings.Builder
	set.Traces()[0].Print(&out, spantree.Options{Attrs: true})
	got := out.String()
	if strings.Contains(got, "TAIL") || !strings.Contains(got, "    "+strings.Repeat("n", 30)) {
		t.Fatalf("name not as expected:\n%s", got)
	}
	for _, l := range strings.Split(got, "\n") {
		if strings.Contains(l, "nnnn") && !strings.Contains(l, "nnn…") {
			t.Errorf("long name cut without a mark: %q", l)
		}
		if strings.HasPrefix(strings.TrimSpace(l), "list=") && !strings.HasSuffix(l, "…") {
			t.Errorf("long value cut without a mark: %q", l)
		}
		if strings.HasPrefix(strings.TrimSpace(l), "deep=") && !strings.Contains(l, "[[[[[…]]]]]") {
			t.Errorf("deep value: %q", l)
		}
	}
}
