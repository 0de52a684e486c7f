package pebble_test

import (
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/canonical/pebble/client"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/charmtrace/charmtrace/pebble"
	"github.com/charmtrace/charmtrace/pebble/pebbletest"
)

// A charm pushes its workload's configuration, adds a layer and replans, here against
// the fake daemon of package pebbletest. Each call is a span under the charm's own.
func Example() {
	dir, _ := os.MkdirTemp("", "pebble-example")
	defer os.RemoveAll(dir)
	fake, err := pebbletest.NewServer(dir, "web")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer fake.Close()

	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	ctx, span := tp.Tracer("my-charm").Start(context.Background(), "configure workload")

	web := pebble.New("web", pebble.WithSocketDir(dir), pebble.WithTracerProvider(tp)).WithContext(ctx)
	err = web.Push(&client.PushOptions{Path: "/etc/web.conf", Source: strings.NewReader("port: 8080\n"), MakeDirs: true})
	if err == nil {
		err = web.AddLayer(&client.AddLayerOptions{Label: "web", LayerData: []byte(
			"services:\n  web:\n    override: replace\n    command: /bin/web\n    startup: enabled\n")})
	}
	if err == nil {
		_, err = web.Replan(&client.ServiceOptions{})
	}
	span.End()
	if err != nil {
		fmt.Println(err)
		return
	}
	svc, _ := fake.Service("web")
	fmt.Println("web is", svc.Current)
	for _, s := range rec.Ended() {
		fmt.Printf("%s (path %q)\n", s.Name(), attrs(s)[pebble.AttrPath].AsString())
	}
	// Output:
	// web is active
	// pebble Push (path "/etc/web.conf")
	// pebble AddLayer (path "")
	// pebble Replan (path "")
	// configure workload (path "")
}
