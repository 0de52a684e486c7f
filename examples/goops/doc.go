// Package charm is a small charm written with goops (github.com/gruyaume/goops),
// traced by charmtrace. It lives in its own module so that the main module never
// depends on goops; its test runs the charm in goopstest and checks the spans.
//
// The wiring is one line in main (see cmd/example):
//
//	err := tracing.Wrap(charm.Configure,
//		tracing.WithCommandRunner(goops.GetCommandRunner, goops.SetCommandRunner))()
//
// Wrap decorates whatever runner goops holds when the charm runs (the real one in
// production, goopstest's fake in tests) and puts it back afterwards.
//
// Pebble calls are traced through goops' other seam, SetPebbleGetter: PebbleGetter adapts
// charmtrace's traced clients to goops.PebbleClient, and main installs it with
// tracing.WithPebble.
package charm
