package charmhooks_test

import (
	"context"
	"testing"
	"time"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/charmtrace/charmtrace/charmhooks"
	"github.com/charmtrace/charmtrace/internal/fakejuju"
)

// BenchmarkRunner compares one hook-tool call through the plain runner and
// through the traced runner (recording SDK, every span sampled), both
// against the fakejuju executable and in process, where the tracing cost
// is not hidden by process start-up. BenchmarkRunnerPaired gives the exec
// comparison with less noise.
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

// BenchmarkRunnerPaired alternates a plain and a traced call against the
// fakejuju executable in every iteration, so that both see the same
// machine load, and reports each per call and their difference.
func BenchmarkRunnerPaired(b *testing.B) {
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(tracetest.NewNoopExporter()))
	b.Cleanup(func() { tp.Shutdown(context.Background()) })
	_, plain := unit(b, relationState(), nil)
	traced := charmhooks.NewTracedRunner(plain, tp.Tracer("bench"))
	args := []string{"--format=json", "-r", "charm-tracing:7", "--app", "-", "tempo"}
	var plainTime, tracedTime time.Duration
	n := 0
	for b.Loop() {
		t0 := time.Now()
		if _, err := plain.Run("relation-get", args...); err != nil {
			b.Fatal(err)
		}
		t1 := time.Now()
		if _, err := traced.Run("relation-get", args...); err != nil {
			b.Fatal(err)
		}
		tracedTime += time.Since(t1)
		plainTime += t1.Sub(t0)
		n++
	}
	b.ReportMetric(float64(plainTime.Nanoseconds())/float64(n), "plain-ns/call")
	b.ReportMetric(float64(tracedTime.Nanoseconds())/float64(n), "traced-ns/call")
	b.ReportMetric(float64((tracedTime-plainTime).Nanoseconds())/float64(n), "overhead-ns/call")
}
