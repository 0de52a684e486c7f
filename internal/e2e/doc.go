// Package e2e runs a charm through a Juju lifecycle on the fake Juju, as real
// processes: the charm's dispatch executable started by hook, with the JUJU_*
// environment Juju gives it, and the fakejuju hook tools first on its PATH acting on
// a JSON state file. It is the harness behind `charmtrace demo` and the end-to-end
// test, which run the same Lifecycle.
//
// Build compiles the example charm and the fake hook tools with the go command, so
// the package works only inside the charmtrace source tree.
package e2e
