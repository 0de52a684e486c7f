// Package fakejuju is the executable front-end of the fake Juju hook tools
// (package internal/faketools): the fakejuju command (cmd/fakejuju)
// dispatches on the name it was started under, keeps the State in a JSON
// file named by $FAKEJUJU_STATE, and appends every call to a log beside it.
// Build compiles it and NewInstall links it under every tool name.
//
// The tools themselves, and the in-process Runner, live in faketools; the
// names below are aliases so that tests written against this package keep
// working.
package fakejuju
