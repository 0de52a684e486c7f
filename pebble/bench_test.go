package pebble_test

import (
	"context"
	"strings"
	"testing"

	"github.com/canonical/pebble/client"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/charmtrace/charmtrace/pebble"
	"github.com/charmtrace/charmtrace/pebble/pebbletest"
)

// BenchmarkPush measures what a span adds to a Pebble call: the canonical client and the
// traced one push the same small file to the fake daemon over its unix socket.
func BenchmarkPush(b *testing.B) {
	dir := b.TempDir()
	srv, err := pebbletest.NewServer(dir, "web")
	if err != nil {
		b.Fatal(err)
	}
	defer srv.Close()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(tracetest.NewSpanRecorder()))
	defer tp.Shutdown(context.Background())
	traced := pebble.New("web", pebble.WithSocketDir(dir), pebble.WithTracerProvider(tp))
	push := func(b *testing.B, fn func(*client.PushOptions) error) {
		for b.Loop() {
			if err := fn(&client.PushOptions{Path: "/etc/a.conf", Source: strings.NewReader("port: 8080\n"), MakeDirs: true}); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.Run("canonical", func(b *testing.B) { push(b, traced.Raw().Push) })
	b.Run("traced", func(b *testing.B) { push(b, traced.Push) })
}
