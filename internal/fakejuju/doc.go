// Package fakejuju is a fake Juju unit agent for tests and the demo: the
// hook tools a charm calls (relation-get, secret-add, status-set, ...),
// acting on a State that a test sets up and reads back.
//
// It comes in two forms that share one implementation, Exec:
//
//   - Runner, an in-process charmhooks.StdinRunner;
//   - the fakejuju executable (cmd/fakejuju), which dispatches on the name
//     it was started under, keeps the State in a JSON file named by
//     $FAKEJUJU_STATE, and appends every call to a log beside it. Build
//     compiles it and NewInstall links it under every tool name.
//
// The tools reproduce what charms depend on: Juju's argument handling
// (interspersed flags, "--", -r endpoint:id), JSON output (compact,
// sorted keys, trailing newline, null for a missing key), exit statuses
// (2 for usage errors, 1 for runtime errors), the "ERROR ..." texts of
// real Juju, and the leadership rules for application data, application
// status and application-owned secrets. Hook context comes from the
// environment the tool sees (JUJU_RELATION_ID, JUJU_REMOTE_UNIT,
// JUJU_REMOTE_APP, JUJU_ACTION_NAME). Unlike Juju, relation writes apply
// at once rather than when the hook succeeds.
//
// Calls are recorded with their arguments and the size of their standard
// input (never its content), so tests can prove what reached argv.
package fakejuju
