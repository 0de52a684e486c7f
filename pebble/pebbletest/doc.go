// Package pebbletest is a fake Pebble daemon for tests: it serves the parts of Pebble's
// HTTP API that charms use (services, layers and the plan, files, checks, changes and
// exec, with its websockets) on a unix socket laid out as Juju lays it out,
// <dir>/<container>/pebble.socket, so the canonical client and pebble.Client talk to it
// unchanged.
//
// It keeps its state in memory and applies every change at once: services start and
// stop, checks are up or inactive, and exec'd commands are Go functions registered with
// HandleExec, never processes. Tests set it up and read it back with its methods.
//
// Simplifications, on purpose: layers replace or merge services and checks key by key
// (no validation of their fields), file permissions and owners are recorded but not
// enforced, and replan restarts a running service only when its definition changed.
package pebbletest
