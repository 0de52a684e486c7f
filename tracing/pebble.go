package tracing

import (
	"context"
	"path/filepath"

	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"

	"github.com/charmtrace/charmtrace/charmhooks"
	"github.com/charmtrace/charmtrace/pebble"
)

// PebbleSocketDirEnv names the environment variable that, set to an absolute path, moves
// the Pebble sockets as WithPebbleSocketDir does: for a charm binary run outside Juju
// against fake daemons (the end-to-end tests). WithPebbleSocketDir wins over it.
const PebbleSocketDirEnv = "CHARMTRACE_PEBBLE_SOCKET_DIR"

// WithPebbleSocketDir looks for workload containers' Pebble sockets under dir instead of
// Juju's /charm/containers: a test points it at fake daemons (package pebbletest).
func WithPebbleSocketDir(dir string) Option {
	return func(c *config) { c.pebbleSocketDir = dir }
}

// Pebble returns a traced client for the Pebble daemon of the workload container named
// container (as in charmcraft.yaml's containers). Each call is a span, a child of the
// running handler's span, or of the span in ctx when made through
// Pebble(container).WithContext(ctx); stopping checks emits sys_monitor_disabled. See
// package pebble for what the spans record.
func (c *Charm) Pebble(container string) *pebble.Client {
	return pebble.New(container, c.pebble...)
}

// WithPebble gives Wrap's charm function traced Pebble clients: at the start of each
// wrapped call, install receives a constructor bound to the dispatch (its tracer
// provider, the root span as parent, its security logger, WithPebbleSocketDir). goops
// charms install a goops.PebbleGetter built on it, in main and not in what goopstest
// runs (goops has no getter for the current one, so goopstest's fake would be replaced):
//
//	tracing.WithPebble(func(newClient func(string) *pebble.Client) {
//		goops.SetPebbleGetter(pebbleGetter{newClient})
//	})
//
// examples/goops has the adapter, a few lines because goops' Exec returns its own
// interface type.
func WithPebble(install func(newClient func(container string) *pebble.Client)) Option {
	return func(c *config) { c.pebbleInstall = install }
}

// pebbleOptions wires Pebble clients into the dispatch: its tracer provider (a no-op one
// when tracing is off), its security logger, and the same parent as hook-tool calls: the
// running handler's span if there is one (router may be nil, as under Wrap), else root.
func (d *dispatch) pebbleOptions(root context.Context, router *charmhooks.Router) []pebble.Option {
	var tp trace.TracerProvider = noop.NewTracerProvider()
	if d.tp != nil {
		tp = d.tp
	}
	opts := []pebble.Option{
		pebble.WithTracerProvider(tp),
		pebble.WithSecurityLogger(d.sec),
		pebble.WithParent(func() context.Context {
			if router == nil {
				return root
			}
			if c := router.Current(); trace.SpanFromContext(c).SpanContext().IsValid() {
				return c
			}
			return root
		}),
	}
	dir := d.cfg.pebbleSocketDir
	if env := d.cfg.getenv(PebbleSocketDirEnv); dir == "" && filepath.IsAbs(env) {
		dir = env
	}
	if dir != "" {
		opts = append(opts, pebble.WithSocketDir(dir))
	}
	return opts
}
