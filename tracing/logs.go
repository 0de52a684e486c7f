package tracing

import (
	"context"
	"log/slog"

	"go.opentelemetry.io/otel/trace"

	"github.com/charmtrace/charmtrace/charmhooks"
)

// WithoutLogTraceIDs keeps trace and span ids out of the lines Charm.Logger writes. By
// default, a line logged while a span is current ends with " trace_id=<32 hex>
// span_id=<16 hex>", which Grafana's Loki-to-Tempo derived fields turn into a link to the
// trace.
func WithoutLogTraceIDs() Option { return func(c *config) { c.noLogTraceIDs = true } }

// logger is Charm.Logger: juju-log through the untraced runner, each line correlated
// with the span current when it is written — the running handler's, else the root's.
func (d *dispatch) logger(root context.Context, router *charmhooks.Router) *slog.Logger {
	opts := &charmhooks.LogHandlerOptions{Fallback: d.cfg.stderr, OmitTraceIDs: d.tp == nil || d.cfg.noLogTraceIDs}
	opts.Context = currentContext(router.Current, root)
	return slog.New(charmhooks.NewLogHandler(d.base, opts))
}

// currentContext returns where the current span is found: inner() while a handler runs,
// root otherwise (setup, reconciliation, between handlers).
func currentContext(inner func() context.Context, root context.Context) func() context.Context {
	return func() context.Context {
		if c := inner(); trace.SpanFromContext(c).SpanContext().IsValid() {
			return c
		}
		return root
	}
}
