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

// WithEnvGetter reads the Juju environment, at each call of the wrapped function, through
// the getter get returns then: goops.GetEnvGetter, whose getter goopstest replaces for
// each run. With it, the same Wrap line serves a unit and goopstest:
//
//	tracing.Wrap(charm.Configure,
//		tracing.WithCommandRunner(goops.GetCommandRunner, goops.SetCommandRunner),
//		tracing.WithEnvGetter(goops.GetEnvGetter))
func WithEnvGetter[E interface{ Get(string) string }](get func() E) Option {
	return func(c *config) {
		c.envGetter = func() func(string) string { return get().Get }
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
//		tracing.WithEnvGetter(goops.GetEnvGetter))()
//
// Each call reads the Juju context, starts the root span, follows the tracing relations,
// runs fn with its hook-tool calls traced, records its error or panic, and stores and
// sends the trace within the budget before returning fn's error unchanged (a panic is
// re-raised after that). fn gets no context: its hook-tool spans are children of the
// root span, and spans it starts with otel.Tracer are roots of their own unless it
// takes the context from the span it is in.
//
// The same line works under goopstest, which fakes the unit's name and model but not
// JUJU_CHARM_DIR or JUJU_CONTEXT_ID: without a charm directory the call is traced in
// memory (spans reach WithSpanProcessor's processors, nothing is buffered or sent), and
// without a context id tracing writes its own lines (the jhack lines, warnings, security
// events) to stderr rather than through the charm's runner, so goopstest's JujuLog holds
// the charm's lines only.
func Wrap(fn func() error, opts ...Option) func() error {
	return func() error {
		cfg := newConfig(opts)
		if cfg.envGetter != nil {
			cfg.getenv = cfg.envGetter()
		}
		if cfg.seam != nil {
			inner := cfg.seam.get()
			cfg.runner = inner
			defer cfg.seam.set(inner)
		}
		cfg.offUnit = cfg.getenv("JUJU_CONTEXT_ID") == ""
		jc, err := readWrapContext(cfg.getenv)
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
		tools := charmhooks.NewTools(runner)
		early := d.reconcilesFirst()
		if early {
			d.reconcileFirst(ctx, tools)
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
		if !early {
			d.reconcile(ctx, tools)
		}
		root.End()
		d.shutdown()
		if panicked != nil {
			panic(panicked)
		}
		return err
	}
}

// readWrapContext reads the Juju context for Wrap. A unit always has JUJU_CHARM_DIR; a
// test harness that fakes the rest of the hook environment (goopstest) may not, and then
// the dispatch is traced all the same, in memory: its spans reach WithSpanProcessor's
// processors and the global provider, and no buffer is kept.
func readWrapContext(getenv func(string) string) (*charmhooks.Context, error) {
	if getenv("JUJU_CHARM_DIR") != "" {
		return charmhooks.ReadContext(getenv)
	}
	const none = "/nonexistent" // ReadContext requires the variable; it is not used
	jc, err := charmhooks.ReadContext(func(k string) string {
		if k == "JUJU_CHARM_DIR" {
			return none
		}
		return getenv(k)
	})
	if err != nil {
		return nil, err
	}
	jc.CharmDir = ""
	return jc, nil
}
