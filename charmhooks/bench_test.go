package charmhooks_test

import (
	"context"
	"testing"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/charmtrace/charmtrace/charmhooks"
	"github.com/charmtrace/charmtrace/internal/fakejuju"
)

// BenchmarkRunner compares one hook-tool call through the plain runner and
// through the traced runner (recording SDK, every span sampled), both
// against the fakejuju executable and in process, where the tracing cost
// is not hidden by process start-up.
func BenchmarkRunner(b *testing.B) {
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(tracetest.NewNoopExporter()))
	b.Cleanup(func() { tp.Shutdown(context.Background()) })
	tracer := tp.Tracer("bench")

	_, execRunner := unit(b, relationState(), nil)
	inProcess := fakejuju.NewRunner(relationState(), nil)
	runners := []struct {
		name string
		r    charmhooks.Runner
	}{
		{"exec/plain", execRunner},
		{"exec/traced", charmhooks.NewTracedRunner(execRunner, tracer)},
		{"inprocess/plain", inProcess},
		{"inprocess/traced", charmhooks.NewTracedRunner(inProcess, tracer)},
	}
	for _, rr := range runners {
		b.Run(rr.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := rr.r.Run("relation-get", "--format=json", "-r", "charm-tracing:7", "--app", "-", "tempo"); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
