package charmhooks_test

import (
	"context"
	"log/slog"
	"testing"

	"go.opentelemetry.io/otel/trace"

	"github.com/charmtrace/charmtrace/charmhooks"
	"github.com/charmtrace/charmtrace/internal/fakejuju"
)

func spanContext(t *testing.T, tid, sid string, flags trace.TraceFlags) context.Context {
	t.Helper()
	traceID, err := trace.TraceIDFromHex(tid)
	if err != nil {
		t.Fatal(err)
	}
	spanID, err := trace.SpanIDFromHex(sid)
	if err != nil {
		t.Fatal(err)
	}
	return trace.ContextWithSpanContext(context.Background(),
		trace.NewSpanContext(trace.SpanContextConfig{TraceID: traceID, SpanID: spanID, TraceFlags: flags}))
}

func TestLogHandlerAddsTheCurrentSpansIDs(t *testing.T) {
	const tid, sid, other = "4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7", "b7ad6b7169203331"
	handlerCtx := spanContext(t, tid, other, trace.FlagsSampled)
	for _, c := range []struct {
		name string
		opts charmhooks.LogHandlerOptions
		ctx  context.Context
		want string
	}{
		{"span in the record's context", charmhooks.LogHandlerOptions{},
			spanContext(t, tid, sid, trace.FlagsSampled), "hello k=v trace_id=" + tid + " span_id=" + sid},
		{"no span anywhere", charmhooks.LogHandlerOptions{}, context.Background(), "hello k=v"},
		{"unsampled span", charmhooks.LogHandlerOptions{}, spanContext(t, tid, sid, 0), "hello k=v"},
		{"span from Context when the record has none",
			charmhooks.LogHandlerOptions{Context: func() context.Context { return handlerCtx }},
			context.Background(), "hello k=v trace_id=" + tid + " span_id=" + other},
		{"the record's span wins over Context",
			charmhooks.LogHandlerOptions{Context: func() context.Context { return handlerCtx }},
			spanContext(t, tid, sid, trace.FlagsSampled), "hello k=v trace_id=" + tid + " span_id=" + sid},
		{"opted out", charmhooks.LogHandlerOptions{OmitTraceIDs: true, Context: func() context.Context { return handlerCtx }},
			spanContext(t, tid, sid, trace.FlagsSampled), "hello k=v"},
	} {
		t.Run(c.name, func(t *testing.T) {
			fake := fakejuju.NewRunner(&fakejuju.State{Unit: "myapp/0"}, nil)
			log := slog.New(charmhooks.NewLogHandler(fake, &c.opts))
			log.InfoContext(c.ctx, "hello", "k", "v")
			if got := fake.State().Logs; len(got) != 1 || got[0].Message != c.want {
				t.Fatalf("logs = %+v, want %q", got, c.want)
			}
		})
	}
}
