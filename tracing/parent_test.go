package tracing

import (
	"context"
	"encoding/hex"
	"strings"
	"testing"

	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"

	"github.com/charmtrace/charmtrace/charmhooks"
	"github.com/charmtrace/charmtrace/internal/fakejuju"
	"github.com/charmtrace/charmtrace/internal/otlpreceiver"
)

const (
	jujuTrace = "0af7651916cd43dd8448eb211c80319c"
	jujuSpan  = "b7ad6b7169203331"
	otherSpan = "00f067aa0ba902b7"
)

// relatedUnit is a fake unit related to a real OTLP receiver on loopback, its
// destination already stored: every later dispatch delivers its own trace at its end.
func relatedUnit(t *testing.T) (*unit, *otlpreceiver.Receiver) {
	t.Helper()
	recv, err := otlpreceiver.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { recv.Close() })
	u := newUnit(t)
	rel := &fakejuju.Relation{ID: 7, Endpoint: "charm-tracing", RemoteApp: "tempo",
		RemoteAppData: map[string]string{"receivers": receiversJSON(recv.URL())}}
	u.st.Relations = []*fakejuju.Relation{rel}
	u.dispatch("charm-tracing-relation-changed", relationEnv(rel), noSetup)
	if d := u.destination(); d.URL != recv.TracesURL() {
		t.Fatalf("destination = %+v", d)
	}
	return u, recv
}

// receivedRoot returns the one span named name the receiver got, and the other spans
// of its trace.
func receivedRoot(t *testing.T, recv *otlpreceiver.Receiver, name string) (*tracepb.Span, []*tracepb.Span) {
	t.Helper()
	var root *tracepb.Span
	for _, s := range recv.Spans() {
		if s.Span.GetName() == name {
			if root != nil {
				t.Fatalf("two %q spans received", name)
			}
			root = s.Span
		}
	}
	if root == nil {
		t.Fatalf("no %q span received", name)
	}
	var rest []*tracepb.Span
	for _, s := range recv.Spans() {
		if s.Span != root && string(s.Span.GetTraceId()) == string(root.GetTraceId()) {
			rest = append(rest, s.Span)
		}
	}
	return root, rest
}

func TestJujuTraceContextReachesTheReceiver(t *testing.T) {
	const state = "juju=00f067aa0ba902b7,congo=t61rcWkgMzE"
	type want int
	const (
		child  want = iota // the root is a child of Juju's span, in Juju's trace
		linked             // the root starts its own trace and links to Juju's span
		none               // no parent, no link
	)
	for _, c := range []struct {
		name      string
		env       map[string]string
		want      want
		span      string // Juju's span id the parent or link names
		state     string // the tracestate carried on the parent or the link
		debugLine bool
	}{
		{"TRACEPARENT sampled", map[string]string{
			"TRACEPARENT": "00-" + jujuTrace + "-" + jujuSpan + "-01", "TRACESTATE": state}, child, jujuSpan, state, false},
		{"TRACEPARENT unsampled", map[string]string{
			"TRACEPARENT": "00-" + jujuTrace + "-" + jujuSpan + "-00", "TRACESTATE": state}, linked, jujuSpan, state, false},
		{"JUJU_* flags 1", map[string]string{
			"JUJU_TRACE_ID": jujuTrace, "JUJU_SPAN_ID": jujuSpan, "JUJU_TRACE_FLAGS": "1"}, child, jujuSpan, "", false},
		{"JUJU_* flags 0", map[string]string{
			"JUJU_TRACE_ID": jujuTrace, "JUJU_SPAN_ID": jujuSpan, "JUJU_TRACE_FLAGS": "0"}, linked, jujuSpan, "", false},
		{"JUJU_* without flags reads as unsampled", map[string]string{
			"JUJU_TRACE_ID": jujuTrace, "JUJU_SPAN_ID": jujuSpan}, linked, jujuSpan, "", false},
		{"as Juju 4 sets both, TRACESTATE empty", map[string]string{
			"TRACEPARENT": "00-" + jujuTrace + "-" + jujuSpan + "-01", "TRACESTATE": "",
			"JUJU_TRACE_ID": jujuTrace, "JUJU_SPAN_ID": jujuSpan, "JUJU_TRACE_FLAGS": "1"}, child, jujuSpan, "", false},
		{"TRACEPARENT wins over JUJU_*", map[string]string{
			"TRACEPARENT":   "00-" + jujuTrace + "-" + jujuSpan + "-00",
			"JUJU_TRACE_ID": jujuTrace, "JUJU_SPAN_ID": otherSpan, "JUJU_TRACE_FLAGS": "1"}, linked, jujuSpan, "", false},
		{"malformed TRACEPARENT falls back to JUJU_*", map[string]string{
			"TRACEPARENT":   "00-" + jujuTrace + "-" + jujuSpan, // no flags
			"JUJU_TRACE_ID": jujuTrace, "JUJU_SPAN_ID": otherSpan, "JUJU_TRACE_FLAGS": "1"}, child, otherSpan, "", true},
		{"malformed TRACESTATE is dropped, the parent kept", map[string]string{
			"TRACEPARENT": "00-" + jujuTrace + "-" + jujuSpan + "-01", "TRACESTATE": "not a tracestate=="}, child, jujuSpan, "", true},
		{"malformed everything", map[string]string{
			"TRACEPARENT": "01-zz", "JUJU_TRACE_ID": "not-hex", "JUJU_SPAN_ID": jujuSpan, "JUJU_TRACE_FLAGS": "1"}, none, "", "", true},
		{"all-zero ids", map[string]string{
			"TRACEPARENT":   "00-00000000000000000000000000000000-" + jujuSpan + "-01",
			"JUJU_TRACE_ID": jujuTrace, "JUJU_SPAN_ID": "0000000000000000", "JUJU_TRACE_FLAGS": "1"}, none, "", "", true},
		{"flags not decimal", map[string]string{
			"JUJU_TRACE_ID": jujuTrace, "JUJU_SPAN_ID": jujuSpan, "JUJU_TRACE_FLAGS": "0x1"}, none, "", "", true},
	} {
		t.Run(c.name, func(t *testing.T) {
			u, recv := relatedUnit(t)
			logsBefore := len(u.logs())
			status := u.dispatch("install", c.env, func(ch *Charm) error {
				ch.Router.Handle("install", func(context.Context, charmhooks.Event) error {
					return ch.Tools.StatusSet(charmhooks.StatusActive, "")
				}, charmhooks.HandlerName("onInstall"))
				return nil
			})
			if status != 0 {
				t.Fatalf("status %d", status)
			}
			root, rest := receivedRoot(t, recv, "install")
			tid, pid := hex.EncodeToString(root.GetTraceId()), hex.EncodeToString(root.GetParentSpanId())
			switch c.want {
			case child:
				if tid != jujuTrace || pid != c.span || len(root.GetLinks()) != 0 {
					t.Fatalf("root trace %s parent %q links %v, want a child of %s/%s", tid, pid, root.GetLinks(), jujuTrace, c.span)
				}
				if root.GetTraceState() != c.state {
					t.Fatalf("root tracestate %q, want %q", root.GetTraceState(), c.state)
				}
			case linked:
				if tid == jujuTrace || pid != "" {
					t.Fatalf("root trace %s parent %q: want a root of a trace of its own", tid, pid)
				}
				links := root.GetLinks()
				if len(links) != 1 || hex.EncodeToString(links[0].GetTraceId()) != jujuTrace ||
					hex.EncodeToString(links[0].GetSpanId()) != c.span {
					t.Fatalf("root links %v, want one to %s/%s", links, jujuTrace, c.span)
				}
				if got := linkTraceState(links[0]); got != c.state {
					t.Fatalf("link tracestate %q, want %q", got, c.state)
				}
				if root.GetTraceState() != "" {
					t.Fatalf("Juju's tracestate %q was put on the charm's own trace", root.GetTraceState())
				}
			case none:
				if pid != "" || len(root.GetLinks()) != 0 || tid == jujuTrace {
					t.Fatalf("root trace %s parent %q links %v, want neither", tid, pid, root.GetLinks())
				}
			}
			// The whole dispatch is in the root's trace: the handler and its tool call.
			var names []string
			for _, s := range rest {
				names = append(names, s.GetName())
			}
			if got := strings.Join(names, ","); !strings.Contains(got, "install: onInstall") || !strings.Contains(got, "status-set") {
				t.Fatalf("the root's trace holds %q", got)
			}
			// jhack gets the trace the charm's spans are in.
			logs := u.logs()[logsBefore:]
			if !containsLine(logs, "DEBUG Starting root trace with id='"+tid+"'.") {
				t.Fatalf("no jhack line for trace %s in %q", tid, logs)
			}
			var debug, warnings int
			for _, l := range logs {
				if strings.HasPrefix(l, "DEBUG tracing: ignored Juju's malformed trace context") {
					debug++
				}
				if strings.HasPrefix(l, "WARNING ") {
					warnings++
				}
			}
			if want := map[bool]int{true: 1, false: 0}[c.debugLine]; debug != want || warnings != 0 {
				t.Fatalf("%d DEBUG lines about the trace context (want %d) and %d warnings in %q", debug, want, warnings, logs)
			}
		})
	}
}

// linkTraceState is the tracestate a link carries: in the OTLP field if the encoder
// fills it, else in the juju.tracestate attribute.
func linkTraceState(l *tracepb.Span_Link) string {
	var attr string
	for _, kv := range l.GetAttributes() {
		if kv.GetKey() == string(AttrLinkTraceState) {
			attr = kv.GetValue().GetStringValue()
		}
	}
	if ts := l.GetTraceState(); ts != "" && ts != attr {
		return ts + " (field) / " + attr + " (attribute)"
	}
	return attr
}

func containsLine(lines []string, want string) bool {
	for _, l := range lines {
		if l == want {
			return true
		}
	}
	return false
}
