// Package charmtest tests a Go charm the way Juju runs it, one event at a time and in
// process, and shows what tracing recorded.
//
// A test declares the unit's state going in (leadership, config, relations and their
// databags, secrets, ports, statuses, stored state and deferred events, the model),
// runs one event through the charm's real setup function — the same tracing.Run a unit
// runs, over fake hook tools instead of Juju's — and reads the state coming out:
//
//	ctx := charmtest.New(setup, charmtest.WithMetadataFile("charmcraft.yaml"))
//	out, err := ctx.Run(charmtest.Hook("start"), charmtest.State{Leader: true,
//		Config: map[string]any{"log-level": "debug"}})
//	// out.State.UnitStatus, out.State.Relations[0].LocalAppData, out.ActionResults, out.Logs
//
// Besides the state, an Out holds what no other harness gives: the dispatch's spans,
// its OWASP security events, the rows the trace buffer holds afterwards, and Tree, the
// waterfall `charmtrace tree` would print from that buffer (TimelessTree for golden
// files).
//
// The fake hook tools refuse what Juju refuses, with Juju's errors, so
// errors.Is(err, charmhooks.ErrRelationNotFound) and friends behave as on a unit: a
// non-leader writing application data or status, an unknown relation or secret id, a
// secret the unit was not granted, an action tool outside an action. State.Faults
// injects failures Juju can give at any time (a secret-get refused, a relation-get that
// times out). The same implementation of the tools backs `charmtrace run`.
//
// Nothing is sent over the network: a state that relates a tracing receiver has its
// destination followed and stored, and the spans stay in the rows.
package charmtest
