package spantree

import (
	"cmp"
	"encoding/hex"
	"slices"
	"strings"

	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	resourcepb "go.opentelemetry.io/proto/otlp/resource/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
)

// Trace is one trace gathered from every row that holds some of its spans: a
// dispatch's spans may be spread over several rows (one per exported batch), and several
// dispatches can share a trace when Juju hands them the same parent.
type Trace struct {
	ID         string               // 32 hex digits
	spans      map[string]*spanNode // by span id in hex
	roots      []*spanNode          // spans whose parent is not in the buffer, by start time
	start, end uint64               // Unix nanoseconds, over all spans
}

type spanNode struct {
	span     *tracepb.Span
	resource *resourcepb.Resource
	children []*spanNode // by start time
}

func (n *spanNode) start() uint64 { return n.span.StartTimeUnixNano }

// end is the span's end, or its start for a span that claims to end before it began.
func (n *spanNode) end() uint64 { return max(n.span.EndTimeUnixNano, n.span.StartTimeUnixNano) }

// Set gathers spans into traces.
type Set struct {
	byID map[string]*Trace
}

func NewSet() *Set { return &Set{byID: map[string]*Trace{}} }

// Add takes the spans of one row. A span seen before (same trace and span id, as when a
// row was split and both halves kept) is counted once.
func (ts *Set) Add(td *tracepb.TracesData) {
	for _, rs := range td.ResourceSpans {
		for _, ss := range rs.ScopeSpans {
			for _, sp := range ss.Spans {
				tid := hex.EncodeToString(sp.TraceId)
				t := ts.byID[tid]
				if t == nil {
					t = &Trace{ID: tid, spans: map[string]*spanNode{}}
					ts.byID[tid] = t
				}
				sid := hex.EncodeToString(sp.SpanId)
				if _, dup := t.spans[sid]; dup {
					continue
				}
				t.spans[sid] = &spanNode{span: sp, resource: rs.Resource}
			}
		}
	}
}

// Traces links parents and children and returns the traces, oldest first.
func (ts *Set) Traces() []*Trace {
	out := make([]*Trace, 0, len(ts.byID))
	for _, t := range ts.byID {
		first := true
		for _, n := range t.spans {
			if first || n.start() < t.start {
				t.start = n.start()
			}
			if first || n.end() > t.end {
				t.end = n.end()
			}
			first = false
			parent := t.spans[hex.EncodeToString(n.span.ParentSpanId)]
			if len(n.span.ParentSpanId) == 0 || parent == nil || parent == n {
				t.roots = append(t.roots, n)
				continue
			}
			parent.children = append(parent.children, n)
		}
		sortNodes(t.roots)
		for _, n := range t.spans {
			sortNodes(n.children)
		}
		out = append(out, t)
	}
	slices.SortFunc(out, func(a, b *Trace) int {
		return cmp.Or(cmp.Compare(a.start, b.start), cmp.Compare(a.ID, b.ID))
	})
	return out
}

func sortNodes(ns []*spanNode) {
	slices.SortFunc(ns, func(a, b *spanNode) int {
		return cmp.Or(cmp.Compare(a.start(), b.start()), cmp.Compare(a.span.Name, b.span.Name),
			slices.Compare(a.span.SpanId, b.span.SpanId))
	})
}

// DispatchOf reports whether the trace is a dispatch of the Juju event name: a root that
// is the event (charmtrace names its root span after the event and sets juju.event), or a
// root whose direct child is (ops names its handler spans "<event>: <handler>" under a
// bare ops.main root). A re-run of a deferred event, which a later dispatch of another
// event makes, is not a dispatch of it.
func (t *Trace) DispatchOf(name string) bool {
	for _, r := range t.roots {
		if (r.span.Name == name || isEvent(r, name)) && !deferred(r) {
			return true
		}
		for _, c := range r.children {
			if isEvent(c, name) && !deferred(c) {
				return true
			}
		}
	}
	return false
}

// RerunOf reports whether a dispatch in the trace re-ran a deferred event name.
func (t *Trace) RerunOf(name string) bool {
	for _, n := range t.spans {
		if isEvent(n, name) && deferred(n) {
			return true
		}
	}
	return false
}

// Failed reports whether some span of the trace has the status error.
func (t *Trace) Failed() bool {
	for _, n := range t.spans {
		if n.span.Status.GetCode() == tracepb.Status_STATUS_CODE_ERROR {
			return true
		}
	}
	return false
}

// isEvent reports whether span n stands for the event name: charmtrace's juju.event
// attribute (on the root and on handler spans), or a name "<name>: <handler>" (handler
// spans of both).
func isEvent(n *spanNode, name string) bool {
	return StringAttr(n.span.Attributes, "juju.event") == name || strings.HasPrefix(n.span.Name, name+": ")
}

// deferred reports whether span n is the re-run of a deferred event: charmtrace sets
// juju.deferred=true on it, ops deferred=true.
func deferred(n *spanNode) bool {
	for _, kv := range n.span.Attributes {
		if kv.Key == "juju.deferred" || kv.Key == "deferred" {
			if kv.Value.GetBoolValue() {
				return true
			}
		}
	}
	return false
}

func StringAttr(attrs []*commonpb.KeyValue, key string) string {
	for _, kv := range attrs {
		if kv.Key == key {
			return kv.Value.GetStringValue()
		}
	}
	return ""
}
