package tracing

import (
	"context"
	"testing"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/trace"

	"github.com/charmtrace/charmtrace/charmhooks"
)

// pkgTracer is a charm's package-level tracer: bound once, when the package loads,
// before any dispatch has installed a provider.
var pkgTracer = otel.Tracer("charm/package-level")

func userSpanSetup(c *Charm) error {
	c.Router.Handle("update-status", func(ctx context.Context, _ charmhooks.Event) error {
		_, span := pkgTracer.Start(ctx, "user work")
		span.End()
		return nil
	}, charmhooks.HandlerName("user"))
	return nil
}

// Two dispatches in one process (a test process runs many): the package-level tracer's
// spans reach each dispatch's own pipeline, parented to that dispatch's handler span.
func TestPackageLevelTracerAcrossDispatches(t *testing.T) {
	u := newUnit(t)
	for i := range 2 {
		if status := u.dispatch("update-status", nil, userSpanSetup); status != 0 {
			t.Fatalf("dispatch %d: status %d", i, status)
		}
		var user, handler trace.SpanContext
		var parent trace.SpanID
		for _, s := range u.rec.Ended() {
			switch s.Name() {
			case "user work":
				user, parent = s.SpanContext(), s.Parent().SpanID()
			case "update-status: user":
				handler = s.SpanContext()
			}
		}
		if !user.IsValid() {
			t.Fatalf("dispatch %d: the package-level tracer's span is missing", i)
		}
		if parent != handler.SpanID() || user.TraceID() != handler.TraceID() {
			t.Errorf("dispatch %d: user span's parent %v, want the handler span %v", i, parent, handler.SpanID())
		}
	}
}

// With two dispatches live at once (parallel tests), a span goes to the dispatch whose
// span is its parent, not to the latest one; after both end, spans record nothing.
func TestGlobalProviderRoutesByParent(t *testing.T) {
	a, b := newUnit(t), newUnit(t)
	status := a.dispatch("update-status", nil, func(c *Charm) error {
		c.Router.Handle("update-status", func(ctxA context.Context, _ charmhooks.Event) error {
			// b starts after a, so b is the latest dispatch while its handler runs.
			s := b.dispatch("update-status", nil, func(c *Charm) error {
				c.Router.Handle("update-status", func(context.Context, charmhooks.Event) error {
					_, span := pkgTracer.Start(ctxA, "a's work")
					span.End()
					return nil
				})
				return nil
			})
			if s != 0 {
				t.Errorf("inner dispatch: status %d", s)
			}
			return nil
		})
		return nil
	})
	if status != 0 {
		t.Fatalf("outer dispatch: status %d", status)
	}
	found := false
	for _, s := range a.rec.Ended() {
		found = found || s.Name() == "a's work"
	}
	if !found {
		t.Error("a's span did not reach a's pipeline")
	}
	for _, s := range b.rec.Ended() {
		if s.Name() == "a's work" {
			t.Error("a's span reached b's pipeline")
		}
	}
	if _, s := pkgTracer.Start(context.Background(), "after"); s.IsRecording() {
		t.Error("a span started with no dispatch running records")
	}
}
