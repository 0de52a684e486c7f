// Package charm is a small charm written with goops
// (github.com/gruyaume/goops) whose hook-tool calls are traced by
// charmtrace's traced runner. It lives in its own module so that the main
// module never depends on goops; its test runs the charm in goopstest and
// checks the spans.
//
// The wiring is one line in main:
//
//	err := charm.Traced(tracer, charm.Configure)()
//
// Traced installs the traced runner around whatever runner goops holds
// when the charm runs (the real one in production, goopstest's fake in
// tests) and restores it afterwards.
package charm
