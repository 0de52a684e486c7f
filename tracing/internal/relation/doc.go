// Package relation parses the relation data that steers charm tracing: the provider side
// of the tracing v2 interface (where to send) and of certificate_transfer v1, with the v0
// unit-databag fallback (which CA to trust).
//
// Everything here is untrusted input written by the remote application. Parsers return
// an error that says what was wrong and never panic; they hold no state and call no
// hook tools, so the tracing package decides when to read a databag and what a refusal
// means (buffer only).
package relation
