// Package charm is a small charm written with goops (github.com/gruyaume/goops),
// traced by charmtrace. It lives in its own module so that the main module never
// depends on goops; its tests run the charm in goopstest and check the spans.
//
// The wiring is one Wrap call (see Traced):
//
//	tracing.Wrap(charm.Configure,
//		tracing.WithCommandRunner(goops.GetCommandRunner, goops.SetCommandRunner),
//		tracing.WithEnvGetter(goops.GetEnvGetter))
//
// Wrap decorates whatever runner goops holds when the charm runs (the real one in
// production, goopstest's fake in tests), reads the environment through goops' getter
// (goopstest's fake in tests), and puts the runner back afterwards. Under goopstest the
// trace is kept in memory and tracing adds no line to the unit's log.
//
// Pebble calls are traced through goops' other seam, SetPebbleGetter: PebbleGetter adapts
// charmtrace's traced clients to goops.PebbleClient, and main installs it with
// tracing.WithPebble.
package charm
