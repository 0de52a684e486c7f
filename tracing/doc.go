// Package tracing turns each dispatch of a Go charm into a durable OpenTelemetry trace.
//
// A charm's main function is one call:
//
//	func main() { tracing.Main(setup) }
//
//	func setup(c *tracing.Charm) error {
//		c.Router.Handle("start", func(ctx context.Context, e charmhooks.Event) error {
//			return c.Tools.StatusSet(charmhooks.StatusActive, "")
//		})
//		return nil
//	}
//
// Main reads the Juju context, opens the trace buffer ($JUJU_CHARM_DIR/.tracing-data.db),
// installs a tracer provider whose resource carries the same attributes as ops[tracing]
// (service.name = application, service.namespace = model UUID, juju_unit, …) as the
// global provider, and starts the dispatch's root span. When Juju 4 passes its hook span
// (TRACEPARENT/TRACESTATE, else JUJU_TRACE_ID/JUJU_SPAN_ID/JUJU_TRACE_FLAGS), the root is
// its child if Juju sampled it, and otherwise the root of a trace of its own with a link
// to it, so the charm's trace never depends on Juju's sampling. It logs the trace id for
// jhack (unless WithoutJhackLine), follows the tracing and certificate_transfer relations to a destination, and
// runs the charm: every handler call is a span, every hook-tool call a child span that
// records names and keys, never values. Charm code makes its own spans with otel.Tracer(...) from the ctx
// its handler receives. An error or panic is recorded on the root span (type only, never
// the message) and as a sys_crash security event, and the exit status is the charm's own.
//
// Spans are stored, never sent, while the charm runs; the exporter sends the backlog
// oldest-first to the receiver the relations name, in the background and at the end of
// the dispatch within one budget (WithBudget, default 5 s). A dispatch whose event had a
// charm handler raises its rows to the observed priority, so they outlive unobserved
// ones when the buffer is full; a dispatch that failed (an error or a panic) raises them
// to the failed priority, above both.
//
// Charm.Logger writes to juju-log; while a span is current each line ends with
// "trace_id=<32 hex> span_id=<16 hex>", which Grafana's Loki-to-Tempo derived fields
// match (WithoutLogTraceIDs turns it off).
//
// # Relations (requirer side)
//
// tracing v2 on WithTracingRelation's endpoint (default "charm-tracing"): the leader
// publishes receivers=["otlp_http"] when the value differs; the destination is the first
// otlp_http receiver's URL plus /v1/traces. certificate_transfer v1 (v0 fallback) on
// WithCARelation's endpoint (default "receive-ca-cert") supplies the CA of an https
// receiver; until it has, spans stay buffered. Relation events of the two endpoints re-read
// their databags; other dispatches trust the stored destination and make no hook-tool call
// for it, since Juju runs a relation event for every change of a relation. The unit agent
// is asked again (relation-ids) on upgrade-charm, after a reconciler change, a failed
// drain or a failed reconciliation.
//
// # Failure
//
// Tracing never fails a hook: a buffer that cannot open, bad relation data or a dead
// receiver leaves the charm running untraced or buffer-only, with one warning in the
// unit's log. CHARMTRACE_DISABLE=1 (or WithDisabled) turns tracing off entirely.
//
// # One global provider
//
// The provider installed as OpenTelemetry's global one is the same value for the whole
// process: it sends each span to the dispatch whose span is its parent in ctx, else to
// the dispatch running. So a package-level tracer (var tracer = otel.Tracer("x")), bound
// once, keeps working in every dispatch of a process — a test process runs many — and in
// parallel ones.
//
// Wrap does the same for charms written as a func() error, such as goops charms; off a
// unit (goopstest) it traces in memory and keeps tracing's own lines out of the unit's
// log. WithoutSending and WithStderr are for harnesses: package charmtest runs a charm
// through Run with them.
package tracing
