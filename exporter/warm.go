package exporter

import "github.com/charmtrace/charmtrace/exporter/internal/encode"

// Warm pays the one-off cost of a process's first encode, about a millisecond: the
// protobuf tables of the OTLP messages and the transform's code. New starts it on a
// goroutine of its own; a caller that opens the buffer first, as a dispatch does beside
// the charm, can call Warm on another goroutine meanwhile, so that the first batch waits
// for neither.
func Warm() {
	var e encode.Encoder
	e.Warm() // a failure shows again, and is reported, on the first real batch
}
