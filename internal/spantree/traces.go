package spantree

import (
	"cmp"
	"encoding/hex"
	"slices"

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

// MatchesEvent reports whether the trace is a dispatch of the Juju event name: a root span
// named name or carrying juju.event=name (charmtrace), or a root with a direct child named
// "<name>: <handler>" (how ops names handler spans under its ops.main root).
func (t *Trace) MatchesEvent(name string) bool {
	for _, r := range t.roots {
		if r.span.Name == name || StringAttr(r.span.Attributes, "juju.event") == name {
			return true
		}
		for _, c := range r.children {
			if len(c.span.Name) > len(name)+2 && c.span.Name[:len(name)+2] == name+": " {
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
