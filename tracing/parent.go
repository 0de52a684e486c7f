package tracing

import (
	"context"
	"strconv"
	"strings"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	"github.com/charmtrace/charmtrace/charmhooks"
)

// Juju 4's unit agent passes the span it started for the hook in the environment: the
// W3C pair TRACEPARENT/TRACESTATE in newer builds (OpenTelemetry's convention for
// environment carriers) and JUJU_TRACE_ID/JUJU_SPAN_ID/JUJU_TRACE_FLAGS. Juju samples
// about one hook in ten (open-telemetry-sample-ratio, default 0.1) and exports only those
// spans. A charm root hung under an unsampled parent would be an orphan in Tempo ("root
// span not yet received", invisible to rootName queries), and a parent-based sampler
// would drop it altogether. So how the root relates to Juju's span depends on the flag:
//
//   - sampled: the root is a child of Juju's span, in Juju's trace;
//   - not sampled: the root starts a trace of its own and links to Juju's span, so the
//     relation is kept and the charm's trace is sampled on its own terms.

// jujuParent is Juju's span for this hook as the environment gave it.
type jujuParent struct {
	sc      trace.SpanContext // remote; invalid when Juju passed none that parses
	ignored []string          // what was set but malformed, for one DEBUG line
}

// readParent parses Juju's span: TRACEPARENT (with TRACESTATE) first, then the JUJU_*
// variables. A malformed value is skipped, never fatal: the environment is Juju's, but a
// charm's hook must not fail over tracing.
func readParent(jc *charmhooks.Context) jujuParent {
	var p jujuParent
	if jc.TraceParent != "" {
		carrier := propagation.MapCarrier{"traceparent": jc.TraceParent, "tracestate": jc.TraceState}
		sc := trace.SpanContextFromContext(propagation.TraceContext{}.Extract(context.Background(), carrier))
		if sc.IsValid() {
			if _, err := trace.ParseTraceState(jc.TraceState); err != nil {
				// The propagator drops a bad tracestate silently; say so once.
				p.ignored = append(p.ignored, "TRACESTATE (not a W3C tracestate)")
			}
			p.sc = sc
			return p
		}
		p.ignored = append(p.ignored, "TRACEPARENT (not 00-<32 hex>-<16 hex>-<2 hex>)")
	}
	if jc.TraceID == "" && jc.SpanID == "" {
		return p
	}
	sc, ok := jujuVars(jc)
	if !ok {
		p.ignored = append(p.ignored, "JUJU_TRACE_ID/JUJU_SPAN_ID/JUJU_TRACE_FLAGS (not <32 hex>/<16 hex>/<decimal>)")
		return p
	}
	p.sc = sc
	return p
}

// jujuVars parses JUJU_TRACE_ID, JUJU_SPAN_ID and JUJU_TRACE_FLAGS. Juju always sets the
// three together; flags that are absent read as 0 (not sampled), the W3C default, which
// at worst links a trace that could have been a child.
func jujuVars(jc *charmhooks.Context) (trace.SpanContext, bool) {
	tid, err := trace.TraceIDFromHex(strings.ToLower(jc.TraceID))
	if err != nil {
		return trace.SpanContext{}, false
	}
	sid, err := trace.SpanIDFromHex(strings.ToLower(jc.SpanID))
	if err != nil {
		return trace.SpanContext{}, false
	}
	var flags trace.TraceFlags
	if jc.TraceFlags != "" {
		n, err := strconv.ParseUint(jc.TraceFlags, 10, 8)
		if err != nil {
			return trace.SpanContext{}, false
		}
		flags = trace.TraceFlags(n) & (trace.FlagsSampled | trace.FlagsRandom)
	}
	sc := trace.NewSpanContext(trace.SpanContextConfig{TraceID: tid, SpanID: sid, TraceFlags: flags, Remote: true})
	return sc, sc.IsValid()
}

// rootOptions returns the context and start options that relate the root span to p: a
// remote parent when Juju sampled its span, a link (carrying TRACESTATE) when it did not.
func (p jujuParent) rootOptions(ctx context.Context) (context.Context, []trace.SpanStartOption) {
	switch {
	case !p.sc.IsValid():
		return ctx, nil
	case p.sc.IsSampled():
		return trace.ContextWithRemoteSpanContext(ctx, p.sc), nil
	default:
		link := trace.Link{SpanContext: p.sc}
		if ts := p.sc.TraceState(); ts.Len() > 0 {
			// The OTLP transform of otel-go (v1.47) leaves a link's trace_state out, so
			// the tracestate also travels as an attribute of the link.
			link.Attributes = []attribute.KeyValue{AttrLinkTraceState.String(ts.String())}
		}
		return ctx, []trace.SpanStartOption{trace.WithNewRoot(), trace.WithLinks(link)}
	}
}

// AttrLinkTraceState is the attribute of the link to Juju's unsampled span that carries
// TRACESTATE.
const AttrLinkTraceState = attribute.Key("juju.tracestate")

// debugLine is the one DEBUG line that says what was ignored, or "".
func (p jujuParent) debugLine() string {
	if len(p.ignored) == 0 {
		return ""
	}
	// Names only: the values are Juju's, but an environment is no place to quote from.
	return "tracing: ignored Juju's malformed trace context: " + strings.Join(p.ignored, ", ")
}
