// Package faketools is the one fake of Juju's hook tools in this module: the
// tools a charm calls (relation-get, secret-add, status-set, ...), acting on a
// State that a test sets up and reads back.
//
// Three front-ends share it, so they cannot drift apart: the in-process
// Runner (used by the public charmtest harness and by this module's tests),
// the fakejuju executable (internal/fakejuju, one process per call, the state
// in a JSON file), and `charmtrace run`, which installs that executable
// beside a charm binary.
//
// The tools reproduce what charms depend on: Juju's argument handling
// (interspersed flags, "--", -r endpoint:id), JSON output (compact, sorted
// keys, trailing newline, null for a missing key), exit statuses (2 for usage
// errors, 1 for runtime errors), the "ERROR ..." texts of real Juju, and the
// rules Juju enforces: leadership for application data, application status
// and application-owned secrets; read access to secrets (owned, or granted
// to a relation of this unit); action-only tools outside an action. Hook
// context comes from the environment the tool sees (JUJU_RELATION_ID,
// JUJU_REMOTE_UNIT, JUJU_REMOTE_APP, JUJU_ACTION_NAME). Unlike Juju,
// relation writes apply at once rather than when the hook succeeds.
//
// A State may also carry Faults: per-tool failures to inject (a secret-get
// refused, a relation-get that times out), answered with the exit status and
// error text the test chooses.
//
// Calls are recorded with their arguments and the size of their standard
// input (never its content), so tests can prove what reached argv.
package faketools
