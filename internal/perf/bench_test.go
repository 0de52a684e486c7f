package perf

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/charmtrace/charmtrace/buffer"
	"github.com/charmtrace/charmtrace/exporter"
	"github.com/charmtrace/charmtrace/internal/perf/internal/harness"
	"github.com/charmtrace/charmtrace/tracing"
)

// BenchmarkDispatch runs whole dispatches of update-status in process, tracing on and
// off in turn in every iteration so that both see the same load, and reports each and
// their difference per dispatch. Process start and hook-tool processes are left out:
// this is the work tracing adds inside the charm, the part to profile
// (-cpuprofile) when the process-level figure misses.
func BenchmarkDispatch(b *testing.B) {
	for _, bc := range []struct {
		backlog int64
		spans   int
	}{{0, 1}, {0, 100}, {0, 1000}, {4 << 20, 1}, {buffer.DefaultMaxBytes, 1}} {
		b.Run(fmt.Sprintf("backlog=%dMiB/spans=%d", bc.backlog>>20, bc.spans), func(b *testing.B) {
			u := newInProcessUnit(b)
			if _, err := harness.Fill(context.Background(), u.bufferPath(), bc.backlog, 100); err != nil {
				b.Fatal(err)
			}
			setup := harness.Setup(bc.spans)
			run := func(opts ...tracing.Option) time.Duration {
				opts = append(opts, tracing.WithGetenv(u.getenv), tracing.WithRunner(u.runner))
				t0 := time.Now()
				if status := tracing.Run(setup, opts...); status != 0 {
					b.Fatalf("dispatch exited %d", status)
				}
				return time.Since(t0)
			}
			run() // the buffer's first open by tracing, outside the timing
			var on, off time.Duration
			n := 0
			for b.Loop() {
				on += run()
				off += run(tracing.WithDisabled())
				n++
			}
			b.ReportMetric(float64(on.Nanoseconds())/float64(n), "on-ns/dispatch")
			b.ReportMetric(float64(off.Nanoseconds())/float64(n), "off-ns/dispatch")
			b.ReportMetric(float64((on-off).Nanoseconds())/float64(n), "added-ns/dispatch")
		})
	}
}

// BenchmarkShutdownBlackhole times Shutdown of an exporter holding one batch, whose
// destination accepts connections and never answers, against the shutdown budget. A
// fresh buffer per iteration: a back-off window from the previous one would skip the
// network.
func BenchmarkShutdownBlackhole(b *testing.B) {
	const budget = 500 * time.Millisecond
	for _, tlsOn := range []bool{false, true} {
		b.Run(map[bool]string{false: "http", true: "https"}[tlsOn], func(b *testing.B) {
			hole, err := harness.StartReceiver(harness.Blackhole, tlsOn)
			if err != nil {
				b.Fatal(err)
			}
			defer hole.Close()
			ctx := context.Background()
			spans := harness.Spans(10)
			var worst, total time.Duration
			n := 0
			for b.Loop() {
				b.StopTimer()
				buf, err := buffer.Open(b.TempDir() + "/.tracing-data.db")
				if err != nil {
					b.Fatal(err)
				}
				exp, err := exporter.New(buf, exporter.WithShutdownBudget(budget))
				if err != nil {
					b.Fatal(err)
				}
				if _, err := exp.SetDestination(ctx, buffer.Destination{URL: hole.URL + "/v1/traces", CA: string(hole.CAPEM)}); err != nil {
					b.Fatal(err)
				}
				if err := exp.ExportSpans(ctx, spans); err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
				t0 := time.Now()
				if err := exp.Shutdown(ctx); err != nil {
					b.Fatal(err)
				}
				d := time.Since(t0)
				b.StopTimer()
				if s := exp.Stats(); s.Sent != 0 {
					b.Fatalf("a blackhole took %d rows", s.Sent)
				}
				buf.Close()
				total += d
				worst = max(worst, d)
				n++
				b.StartTimer()
			}
			b.ReportMetric(float64(budget.Milliseconds()), "budget-ms")
			b.ReportMetric(float64((total/time.Duration(n)-budget).Microseconds())/1000, "mean-over-budget-ms")
			b.ReportMetric(float64((worst-budget).Microseconds())/1000, "max-over-budget-ms")
		})
	}
}
