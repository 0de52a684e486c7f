// Package otlpreceiver is a minimal OTLP/HTTP trace receiver on loopback, for the
// charmtrace demo and for tests that need something real to send spans to.
//
// It accepts POST /v1/traces with application/x-protobuf or application/json bodies
// (optionally gzip-encoded), decodes them into OTLP TracesData and keeps every span
// with its resource and scope. It listens on 127.0.0.1 only, on a port the kernel
// picks, in plain HTTP or, given a certificate, HTTPS.
//
// Faults can be injected per request (an error status, a Retry-After header, a delay
// before answering) so that reliability tests can drive a sender through the answers
// a real collector gives under load.
//
// It is not a collector: nothing is stored beyond the process, and requests are kept
// in memory whole.
package otlpreceiver
