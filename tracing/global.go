package tracing

import (
	"context"
	"slices"
	"sync"

	"go.opentelemetry.io/otel"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/embedded"
	"go.opentelemetry.io/otel/trace/noop"
)

// global is the tracer provider tracing installs as OpenTelemetry's global one, the same
// value for every dispatch of the process. A charm's package-level tracer (var tracer =
// otel.Tracer("my-charm")) is bound to whatever global provider exists when it is first
// used and never again, so installing each dispatch's own provider would lose every span
// from the second dispatch of a process on: a test process runs many. global instead
// hands out tracers that choose a dispatch per span.
var global = &dispatchProviders{}

// dispatchProviders routes each span to the provider of the dispatch it belongs to: the
// one whose span is the parent in ctx, else the latest dispatch still running. With no
// dispatch running, spans are non-recording (they still carry their parent's context).
type dispatchProviders struct {
	embedded.TracerProvider

	mu   sync.Mutex
	live []*sdktrace.TracerProvider // dispatches running now, oldest first
}

// install makes tp a live dispatch and global the OpenTelemetry global provider, and
// returns the function that retires tp.
func (g *dispatchProviders) install(tp *sdktrace.TracerProvider) (retire func()) {
	g.mu.Lock()
	g.live = append(g.live, tp)
	g.mu.Unlock()
	// Set only when something else is installed: setting the same value again is
	// harmless but not free, and a charm's own provider set in between is replaced, as
	// each dispatch's provider always replaced it.
	if otel.GetTracerProvider() != trace.TracerProvider(g) {
		otel.SetTracerProvider(g)
	}
	return func() {
		g.mu.Lock()
		defer g.mu.Unlock()
		if i := slices.Index(g.live, tp); i >= 0 {
			g.live = slices.Delete(g.live, i, i+1)
		}
	}
}

// pick returns the provider for a span started with ctx, or nil.
func (g *dispatchProviders) pick(ctx context.Context) *sdktrace.TracerProvider {
	parent, _ := trace.SpanFromContext(ctx).TracerProvider().(*sdktrace.TracerProvider)
	g.mu.Lock()
	defer g.mu.Unlock()
	if parent != nil && slices.Contains(g.live, parent) {
		return parent
	}
	if n := len(g.live); n > 0 {
		return g.live[n-1]
	}
	return nil
}

// Tracer returns a tracer whose spans go to the dispatch they belong to.
func (g *dispatchProviders) Tracer(name string, opts ...trace.TracerOption) trace.Tracer {
	return &dispatchTracer{g: g, name: name, opts: opts}
}

type dispatchTracer struct {
	embedded.Tracer

	g    *dispatchProviders
	name string
	opts []trace.TracerOption
}

func (t *dispatchTracer) Start(ctx context.Context, name string, opts ...trace.SpanStartOption) (context.Context, trace.Span) {
	if tp := t.g.pick(ctx); tp != nil {
		// The SDK keeps one tracer per scope, so this is a map lookup after the first.
		return tp.Tracer(t.name, t.opts...).Start(ctx, name, opts...)
	}
	return noop.NewTracerProvider().Tracer(t.name).Start(ctx, name, opts...)
}
