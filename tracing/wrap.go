package tracing

import (
	"context"
	"fmt"
	"runtime/debug"

	"github.com/charmtrace/charmtrace/charmhooks"
	"github.com/charmtrace/charmtrace/pebble"
)

// WithCommandRunner names a hook-tool runner seam such as goops' GetCommandRunner and
// SetCommandRunner. Wrap decorates the runner it finds there with tracing for the length
// of the call, and puts the original back afterwards, so that in goopstest the fake is
// traced and nothing is wrapped twice:
//
//	tracing.WithCommandRunner(goops.GetCommandRunner, goops.SetCommandRunner)
func WithCommandRunner[R charmhooks.Runner](get func() R, set func(R)) Option {
	return func(c *config) {
		c.seam = &runnerSeam{
			get: func() charmhooks.Runner { return get() },
			set: func(r charmhooks.Runner) {
				// The traced runner has the method set of R (Run), so it is an R.
				if rr, ok := r.(R); ok {
					set(rr)
				}
			},
		}
	}
}

type runnerSeam struct {
	get func() charmhooks.Runner
	set func(charmhooks.Runner)
}

// Wrap returns fn traced as one dispatch, for charms whose main function is a
// func() error, as goops charms are:
//
//	err := tracing.Wrap(charm.Configure,
//		tracing.WithCommandRunner(goops.GetCommandRunner, goops.SetCommandRunner),
//		tracing.WithGetenv(func(k string) string { return goops.GetEnvGetter().Get(k) }))()
//
// Each call reads the Juju context, starts the root span, follows the tracing relations,
// runs fn with its hook-tool calls traced, records its error or panic, and stores and
// sends the trace within the budget before returning fn's error unchanged (a panic is
// re-raised after that). fn gets no context: its hook-tool spans are children of the
// root span, and spans it starts with otel.Tracer are roots of their own unless it
// takes the context from the span it is in.
func Wrap(fn func() error, opts ...Option) func() error {
	return func() error {
		cfg := newConfig(opts)
		if cfg.seam != nil {
			inner := cfg.seam.get()
			cfg.runner = inner
			defer cfg.seam.set(inner)
		}
		jc, err := charmhooks.ReadContext(cfg.getenv)
		if err != nil {
			// Without a Juju context there is nothing to trace; run the charm as it is.
			fmt.Fprintf(cfg.stderr, "tracing off: %v\n", err)
			return fn()
		}
		d := newDispatch(cfg, jc)
		ctx, root, runner := d.begin(context.Background)
		if cfg.seam != nil {
			cfg.seam.set(runner)
		}
		if cfg.pebbleInstall != nil {
			opts := d.pebbleOptions(ctx, nil)
			cfg.pebbleInstall(func(container string) *pebble.Client { return pebble.New(container, opts...) })
		}
		if d.buf != nil {
			d.reconcile(ctx, charmhooks.NewTools(runner))
		}
		var panicked any
		func() {
			defer func() {
				if v := recover(); v != nil {
					panicked = v
					recordFailure(root, "panic", v)
					d.markFailed(ctx)
					d.sec.SysCrashPanic(ctx, v)
					fmt.Fprintf(cfg.stderr, "panic: %v\n\n%s", v, debug.Stack())
				}
			}()
			err = fn()
		}()
		if err != nil {
			recordFailure(root, "dispatch failed", err)
			d.markFailed(ctx)
			d.sec.SysCrash(ctx, innermost(err))
		}
		root.End()
		d.shutdown()
		if panicked != nil {
			panic(panicked)
		}
		return err
	}
}
