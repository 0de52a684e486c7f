package main

import (
	"os"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/charmtrace/charmtrace/charmtest"
	"github.com/charmtrace/charmtrace/tracing"
)

// The metadata declares the two tracing relations as tracing expects them.
func TestMetadataDeclaresTheTracingRelations(t *testing.T) {
	if err := tracing.CheckMetadata("."); err != nil {
		t.Fatal(err)
	}
}

// The rest of charmcraft.yaml is a contract too: outside checks and the demo rely on it.
func TestMetadataContract(t *testing.T) {
	raw, err := os.ReadFile("charmcraft.yaml")
	if err != nil {
		t.Fatal(err)
	}
	type endpoint struct {
		Interface string `yaml:"interface"`
		Limit     int    `yaml:"limit"`
		Optional  bool   `yaml:"optional"`
	}
	var m struct {
		Requires map[string]endpoint `yaml:"requires"`
		Provides map[string]endpoint `yaml:"provides"`
		Actions  map[string]any      `yaml:"actions"`
		Config   struct {
			Options map[string]struct {
				Type string `yaml:"type"`
			} `yaml:"options"`
		} `yaml:"config"`
	}
	if err := yaml.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	want := map[string]endpoint{
		"charm-tracing":   {Interface: "tracing", Limit: 1, Optional: true},
		"receive-ca-cert": {Interface: "certificate_transfer", Limit: 1, Optional: true},
	}
	if len(m.Requires) != len(want) {
		t.Errorf("requires = %v", m.Requires)
	}
	for name, ep := range want {
		if m.Requires[name] != ep {
			t.Errorf("requires %s = %+v, want %+v", name, m.Requires[name], ep)
		}
	}
	if len(m.Provides) != 1 || m.Provides["db"].Interface != "example-db" {
		t.Errorf("provides = %v", m.Provides)
	}
	if _, ok := m.Actions["get-admin-password"]; !ok || len(m.Actions) != 1 {
		t.Errorf("actions = %v", m.Actions)
	}
	if opts := m.Config.Options; len(opts) != 1 || opts["log-level"].Type != "string" {
		t.Errorf("config options = %v", opts)
	}
}

// run dispatches one event to the charm in state in, in process, as Juju would run the
// built charm: tracing.Main's code path over charmtest's fake hook tools.
func run(t *testing.T, ev charmtest.Event, in charmtest.State) *charmtest.Out {
	t.Helper()
	out, err := charmtest.New(setup, charmtest.WithMetadataFile("charmcraft.yaml")).Run(ev, in)
	if err != nil {
		t.Fatal(err)
	}
	if out.ExitCode != 0 {
		t.Fatalf("%s: exit status %d: %s; log %v", ev.Name, out.ExitCode, out.Stderr, out.Logs)
	}
	return out
}

func password(st charmtest.State) string {
	for _, s := range st.Secrets {
		if s.Label == passwordLabel {
			return s.Content["password"]
		}
	}
	return ""
}

// leaks reports where the password shows in what left the charm: spans, hook-tool
// command lines (but action-set's, where Juju takes results), the unit's log, and the
// trace buffer's rows (the bytes that would be sent).
func leaks(password string, outs []*charmtest.Out) []string {
	var where []string
	check := func(what, s string) {
		if strings.Contains(s, password) {
			where = append(where, what)
		}
	}
	for _, o := range outs {
		for _, s := range o.Spans {
			check("span name", s.Name())
			for _, kv := range s.Attributes() {
				check("attribute "+string(kv.Key), kv.Value.Emit())
			}
			for _, e := range s.Events() {
				check("event", e.Name)
				for _, kv := range e.Attributes {
					check("event attribute "+string(kv.Key), kv.Value.Emit())
				}
			}
			check("status", s.Status().Description)
		}
		for _, c := range o.Calls {
			if c.Tool != "action-set" {
				check(c.Tool+" argv", strings.Join(c.Args, " "))
			}
		}
		for _, l := range o.Logs {
			check("juju-log", l.Message)
		}
		for _, r := range o.Rows {
			check("buffer row", string(r.Data))
		}
	}
	return where
}

func TestLifecycle(t *testing.T) {
	st := charmtest.State{Leader: true, Config: map[string]any{"log-level": "debug"}}
	install := run(t, charmtest.Hook("install"), st)
	pw := password(install.State)
	if len(pw) != 26 {
		t.Fatalf("admin password %q: want rand.Text's 26 characters", pw)
	}
	// A second install keeps the password.
	again := run(t, charmtest.Hook("install"), install.State)
	if password(again.State) != pw || len(again.State.Secrets) != 1 {
		t.Fatal("install replaced or duplicated the password")
	}

	start := run(t, charmtest.Hook("start"), again.State)
	if got := start.State.UnitStatus; got != (charmtest.Status{Name: "active", Message: "log level debug"}) {
		t.Fatalf("status after start = %+v", got)
	}
	user := start.Span("render workload config")
	if user == nil || user.InstrumentationScope().Name != "charmtrace-example" {
		t.Fatalf("no user span from the charm's tracer in start")
	}
	if len(user.Attributes()) != 1 || user.Attributes()[0].Value.AsString() != "debug" {
		t.Fatalf("user span attributes = %v", user.Attributes())
	}
	if !strings.Contains(start.Tree(), "render workload config") {
		t.Fatalf("the buffer's tree lacks the user span:\n%s", start.Tree())
	}

	st = start.State
	st.Relations = append(st.Relations, charmtest.Relation{ID: 4, Endpoint: "db", RemoteApp: "client",
		RemoteUnitsData: map[string]map[string]string{"client/0": {}}})
	db := run(t, charmtest.Event{Name: "db-relation-changed", RemoteUnit: "client/0"}, st)
	if got := db.State.Relations[0].LocalAppData["password"]; got != pw {
		t.Fatalf("db app databag password = %q", got)
	}

	action := run(t, charmtest.Action("get-admin-password", nil), db.State)
	if got := action.ActionResults["password"]; got != pw {
		t.Fatalf("action result = %q", got)
	}
	// The scan below skips action-set, the one tool Juju gives values only as
	// arguments; that the password is there shows the scan looks in the right place.
	var onArgv bool
	for _, c := range action.Calls {
		onArgv = onArgv || (c.Tool == "action-set" && strings.Contains(strings.Join(c.Args, " "), pw))
	}
	if !onArgv {
		t.Fatal("the action's result is not on action-set's command line")
	}
	if where := leaks(pw, []*charmtest.Out{install, again, start, db, action}); len(where) > 0 {
		t.Fatalf("the admin password leaked into %v", where)
	}
}

// Only the leader creates and shares the password; other units do nothing and succeed.
func TestNonLeaderLeavesThePasswordAlone(t *testing.T) {
	out := run(t, charmtest.Hook("install"), charmtest.State{Config: map[string]any{"log-level": "info"}})
	if len(out.State.Secrets) != 0 {
		t.Fatal("a non-leader created the password")
	}
	st := out.State
	st.Relations = []charmtest.Relation{{ID: 4, Endpoint: "db", RemoteApp: "client"}}
	out = run(t, charmtest.Hook("db-relation-changed"), st)
	if len(out.State.Relations[0].LocalAppData) != 0 {
		t.Fatalf("a non-leader wrote %v", out.State.Relations[0].LocalAppData)
	}
}
