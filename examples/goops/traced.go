package charm

import (
	"context"

	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"github.com/charmtrace/charmtrace/charmhooks"
	"github.com/gruyaume/goops"
)

// Traced returns fn as a func() error for main() and for
// goopstest.NewContext. Each call starts a root span named after the hook
// (or action), traces every hook-tool call fn makes as a child of it, and
// records fn's error. The traced runner is installed at call time, around
// the runner goops holds then, and removed on return: installed earlier,
// goopstest would replace it; left in place, a second run would wrap it
// twice.
//
// The tracing package's Wrap does this and more (buffer, exporter,
// relations); this is the bare seam.
func Traced(tracer trace.Tracer, fn func() error) func() error {
	return func() error {
		env := goops.ReadEnv()
		name := env.HookName
		if name == "" {
			name = env.ActionName
		}
		ctx, root := tracer.Start(context.Background(), name)
		defer root.End()

		inner := goops.GetCommandRunner()
		goops.SetCommandRunner(charmhooks.NewTracedRunner(inner, tracer,
			charmhooks.WithContext(func() context.Context { return ctx })))
		defer goops.SetCommandRunner(inner)

		err := fn()
		if err != nil {
			root.SetStatus(codes.Error, "charm failed")
		}
		return err
	}
}
