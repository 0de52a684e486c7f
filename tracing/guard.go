package tracing

import (
	"context"
	"fmt"
	"sync"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

// guardedExporter keeps a panic in the exporter from killing the charm: the SDK calls
// ExportSpans on its own goroutine, where a panic would end the process, hook and all.
// A panic becomes an error for the batch, one warning, and tracing off for the rest of
// the dispatch. It also turns the first batch that cannot be stored (a full disk) into
// one warning in the unit's log; the SDK would only print it on stderr.
type guardedExporter struct {
	next sdktrace.SpanExporter
	warn func(string)

	mu       sync.Mutex
	broken   bool
	warnOnce sync.Once
}

func (g *guardedExporter) ExportSpans(ctx context.Context, spans []sdktrace.ReadOnlySpan) (err error) {
	if g.isBroken() {
		return errExporterBroken
	}
	defer g.recover("ExportSpans", &err)
	if err = g.next.ExportSpans(ctx, spans); err != nil {
		g.warnOnce.Do(func() {
			g.warn(fmt.Sprintf("tracing: spans could not be stored and are lost (%v)", err))
		})
	}
	return err
}

func (g *guardedExporter) Shutdown(ctx context.Context) (err error) {
	if g.isBroken() {
		return nil
	}
	defer g.recover("Shutdown", &err)
	return g.next.Shutdown(ctx)
}

var errExporterBroken = fmt.Errorf("tracing: the exporter failed earlier in this dispatch")

func (g *guardedExporter) isBroken() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.broken
}

func (g *guardedExporter) recover(op string, err *error) {
	v := recover()
	if v == nil {
		return
	}
	g.mu.Lock()
	g.broken = true
	g.mu.Unlock()
	g.warn(fmt.Sprintf("tracing off for the rest of this dispatch: the exporter panicked in %s (%T)", op, v))
	*err = fmt.Errorf("tracing: exporter panicked in %s", op)
}
