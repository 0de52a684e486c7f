package main

// This file is the example of README.md's "Testing your charm" section, verbatim. CI
// copies the example charm into a module of its own and runs it there: it needs nothing
// internal to charmtrace.

import (
	"strings"
	"testing"

	"github.com/charmtrace/charmtrace/charmtest"
)

func TestGivenLeaderWhenStartThenActiveAndTraced(t *testing.T) {
	ctx := charmtest.New(setup, charmtest.WithMetadataFile("charmcraft.yaml"))
	out, err := ctx.Run(charmtest.Hook("start"), charmtest.State{
		Leader: true,
		Config: map[string]any{"log-level": "debug"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if want := (charmtest.Status{Name: "active", Message: "log level debug"}); out.State.UnitStatus != want {
		t.Errorf("status %+v, want %+v", out.State.UnitStatus, want)
	}
	// The spans are in out.Spans, and in the buffer's rows as a unit would keep them:
	// Tree prints them as `charmtrace tree` does (TimelessTree for golden files).
	if tree := out.Tree(); !strings.Contains(tree, "render workload config") {
		t.Errorf("no user span in\n%s", tree)
	}
}

func TestGivenSecretRefusedWhenActionThenItFails(t *testing.T) {
	out, err := charmtest.New(setup, charmtest.WithMetadataFile("charmcraft.yaml")).Run(
		charmtest.Action("get-admin-password", nil),
		charmtest.State{Faults: []charmtest.Fault{charmtest.PermissionDenied("secret-get")}})
	if err != nil {
		t.Fatal(err)
	}
	// Juju's refusal, then the action's failure: OWASP events, as on a unit.
	var events []string
	for _, e := range out.SecurityEvents() {
		events = append(events, e.Event)
	}
	if out.ExitCode != 1 || strings.Join(events, " ") != "authz_fail:secret-get sys_crash:*charmhooks.ToolError" {
		t.Errorf("exit %d, security events %q", out.ExitCode, events)
	}
}
