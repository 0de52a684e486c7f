// Package pebble gives a Kubernetes charm a traced client for the Pebble daemon of one of
// its workload containers.
//
// A Client wraps the canonical Pebble client (github.com/canonical/pebble/client, the one
// goops hands out) on Juju's socket, /charm/containers/<container>/pebble.socket. Its
// methods have the canonical client's signatures, and each call is one client span named
// "pebble <Method>" ("pebble Push", "pebble AddLayer", "pebble Replan"), with safe
// attributes only: the container, the socket path, the method, service and check names,
// file paths, a layer's label, a change id, and for Exec the executable (the base name
// of the command's first word) and the number of arguments. Never recorded: file contents, layer
// contents, environment values, exec arguments beyond the executable, standard input or
// output, and error messages. A failed call records the error's Go type, and for a Pebble
// API error its HTTP status code and error kind.
//
// Stopping checks is disabling health monitoring: with WithSecurityLogger, StopChecks
// emits one OWASP sys_monitor_disabled event per check it stopped.
//
// The canonical client takes no context, so neither do these methods. A call's span is a
// child of the span WithParent's function returns (tracing wires it to the running
// handler); call through WithContext to parent it to a span of your own:
//
//	c.Pebble("workload").WithContext(ctx).Push(&client.PushOptions{...})
//
// The context only places the span: the canonical client cannot be cancelled.
//
// This package uses the OpenTelemetry API only; the tracing package wires its provider
// in. Package pebbletest is a fake Pebble daemon on a unix socket for tests.
package pebble
