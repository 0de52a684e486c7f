package charmhooks_test

import (
	"context"
	"log/slog"
	"testing"

	"go.opentelemetry.io/otel/trace"

	"github.com/charmtrace/charmtrace/charmhooks"
)

// nopRunner accepts every call at once: what is left is the handler's own work.
type nopRunner struct{}

func (nopRunner) Run(string, ...string) ([]byte, error) { return nil, nil }

// BenchmarkLogHandlerTraceIDs measures what appending the current span's ids costs a
// record, against the same record with OmitTraceIDs (the juju-log process that follows
// on a unit is not counted: it costs milliseconds).
func BenchmarkLogHandlerTraceIDs(b *testing.B) {
	tid, _ := trace.TraceIDFromHex("4bf92f3577b34da6a3ce929d0e0e4736")
	sid, _ := trace.SpanIDFromHex("00f067aa0ba902b7")
	ctx := trace.ContextWithSpanContext(context.Background(),
		trace.NewSpanContext(trace.SpanContextConfig{TraceID: tid, SpanID: sid, TraceFlags: trace.FlagsSampled}))
	for _, c := range []struct {
		name string
		omit bool
	}{{"ids", false}, {"omitted", true}} {
		b.Run(c.name, func(b *testing.B) {
			log := slog.New(charmhooks.NewLogHandler(nopRunner{}, &charmhooks.LogHandlerOptions{OmitTraceIDs: c.omit}))
			b.ReportAllocs()
			for b.Loop() {
				log.InfoContext(ctx, "config rendered", "files", 2)
			}
		})
	}
}
