package charmhooks_test

import (
	"context"
	"fmt"
	"log/slog"

	"go.opentelemetry.io/otel/trace"

	"github.com/charmtrace/charmtrace/charmhooks"
	"github.com/charmtrace/charmtrace/internal/fakejuju"
)

// A line logged while a sampled span is current ends with that span's ids, in
// the form Grafana's Loki-to-Tempo derived fields match (trace_id=(\w+)).
func ExampleNewLogHandler() {
	agent := fakejuju.NewRunner(&fakejuju.State{Unit: "myapp/0"}, nil)
	log := slog.New(charmhooks.NewLogHandler(agent, nil))

	tid, _ := trace.TraceIDFromHex("4bf92f3577b34da6a3ce929d0e0e4736")
	sid, _ := trace.SpanIDFromHex("00f067aa0ba902b7")
	ctx := trace.ContextWithSpanContext(context.Background(),
		trace.NewSpanContext(trace.SpanContextConfig{TraceID: tid, SpanID: sid, TraceFlags: trace.FlagsSampled}))

	log.InfoContext(ctx, "config rendered", "files", 2)
	log.Info("no span current")
	for _, l := range agent.State().Logs {
		fmt.Println(l.Level, l.Message)
	}
	// Output:
	// INFO config rendered files=2 trace_id=4bf92f3577b34da6a3ce929d0e0e4736 span_id=00f067aa0ba902b7
	// INFO no span current
}
