package exporter_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/charmtrace/charmtrace/buffer"
	"github.com/charmtrace/charmtrace/exporter"
)

func Example() {
	ctx := context.Background()
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
	}))
	defer receiver.Close()
	dir, _ := os.MkdirTemp("", "charmtrace-example")
	defer os.RemoveAll(dir)

	buf, err := buffer.Open(filepath.Join(dir, ".tracing-data.db"))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer buf.Close()
	exp, err := exporter.New(buf)
	if err != nil {
		fmt.Println(err)
		return
	}
	// Normally derived from the tracing relation; stored in the buffer, so
	// the next dispatch knows it too.
	if _, err := exp.SetDestination(ctx, buffer.Destination{URL: receiver.URL + "/v1/traces"}); err != nil {
		fmt.Println(err)
		return
	}
	if err := exp.Start(ctx); err != nil { // send the backlog while the charm runs
		fmt.Println(err)
		return
	}
	tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(exp))
	_, span := tp.Tracer("charm").Start(ctx, "install")
	span.End()
	// Stores the last batch, then drains within the shutdown budget.
	if err := tp.Shutdown(ctx); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("stored %d, sent %d\n", exp.Stats().Exported, exp.Stats().Sent)
	// Output: stored 1, sent 1
}

// A buffer copied off a unit replayed to another receiver, deleting nothing.
func ExampleSender() {
	ctx := context.Background()
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
	}))
	defer receiver.Close()
	dir, _ := os.MkdirTemp("", "charmtrace-example")
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "copy.db")
	if buf, err := buffer.Open(path); err == nil { // stand-in for the copied file
		buf.Push(ctx, []byte{}, buffer.MimeProtobuf)
		buf.Close()
	}

	buf, err := buffer.Open(path, buffer.WithReadOnly())
	if err != nil {
		fmt.Println(err)
		return
	}
	defer buf.Close()
	s, err := exporter.NewSender(buffer.Destination{URL: receiver.URL + "/v1/traces"}, exporter.WithKeep())
	if err != nil {
		fmt.Println(err)
		return
	}
	defer s.Close()
	rep, err := s.Drain(ctx, buf)
	if err != nil {
		fmt.Println(err)
		return
	}
	stats, err := buf.Stats(ctx)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("sent %d, rows still in the copy: %d\n", rep.Sent, stats.Rows)
	// Output: sent 1, rows still in the copy: 1
}
