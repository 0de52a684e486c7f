package charm

import (
	"github.com/gruyaume/goops"

	"github.com/charmtrace/charmtrace/tracing"
)

// Traced is Configure traced by charmtrace: the dispatch binary runs it, and the tests
// run the very same function under goopstest, adding only what they observe with (a
// span recorder).
func Traced(opts ...tracing.Option) func() error {
	return tracing.Wrap(Configure, append([]tracing.Option{
		tracing.WithCommandRunner(goops.GetCommandRunner, goops.SetCommandRunner),
		tracing.WithEnvGetter(goops.GetEnvGetter),
	}, opts...)...)
}
