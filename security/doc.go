// Package security writes OWASP-vocabulary security events to the unit log,
// as the Python operator framework does, so log pipelines built for Python
// charms see the same lines from a Go charm.
//
// Each event is one JSON object, sent with
//
//	juju-log --log-level TRACE -- <json>
//
// whose keys are, in this order: datetime (UTC, ISO 8601), level (WARN or
// CRITICAL), type ("security"), appid ("<model-uuid>-<unit-name>"), event
// ("<type>:<data>") and description. The JSON is spelled the way Python's
// json.dumps spells it (", " and ": " separators, non-ASCII as \u escapes),
// so the lines are byte-compatible with the framework's.
//
// The events:
//
//   - sys_crash (WARN): the charm's code panicked or the dispatch failed
//     with an error nobody handled. Only the Go type of the error or panic
//     value is recorded, never its message, which may hold secrets.
//   - sys_restart (WARN): the unit is about to run juju-reboot.
//   - sys_monitor_disabled (WARN): the charm stopped a health check.
//   - authz_fail (CRITICAL): a hook tool failed with an authorisation error;
//     the tool is named, with "(as leader)" when the unit is the leader.
//     Its stderr is not copied (some tools echo their arguments).
//
// Every event is also added as a span event to the span in the context.
//
// # Recursion
//
// juju-log is itself a hook tool, and may fail with "permission denied",
// which is an authz_fail: the Python framework then recurses without bound.
// A Logger calls its sink at most once at a time and never again after it
// failed; an event it cannot send (including one raised by the failing sink
// itself) is written once to stderr, which Juju also records.
package security
