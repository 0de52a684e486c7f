package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"gopkg.in/yaml.v3"

	"github.com/charmtrace/charmtrace/internal/fakejuju"
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

// unit is one unit of the charm on the in-process fake Juju.
type unit struct {
	t      *testing.T
	dir    string
	runner *fakejuju.Runner
}

func newUnit(t *testing.T, leader bool) *unit {
	dir := t.TempDir()
	meta, err := os.ReadFile("charmcraft.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "charmcraft.yaml"), meta, 0o644); err != nil {
		t.Fatal(err)
	}
	st := &fakejuju.State{Unit: "example/0", Leader: leader, Config: map[string]any{"log-level": "debug"}}
	return &unit{t: t, dir: dir, runner: fakejuju.NewRunner(st, nil)}
}

// dispatch runs the charm once for a hook, or for an action given as "action:<name>",
// and returns the spans it made.
func (u *unit) dispatch(event string, extra map[string]string) []sdktrace.ReadOnlySpan {
	u.t.Helper()
	env := map[string]string{
		"JUJU_UNIT_NAME": "example/0", "JUJU_MODEL_NAME": "test", "JUJU_MODEL_UUID": "2a5c5b4e-0000-4000-8000-000000000001",
		"JUJU_CHARM_DIR": u.dir, "JUJU_VERSION": "3.6.4",
	}
	if name, ok := strings.CutPrefix(event, "action:"); ok {
		env["JUJU_DISPATCH_PATH"], env["JUJU_ACTION_NAME"], env["JUJU_ACTION_UUID"] = "actions/"+name, name, "1"
	} else {
		env["JUJU_DISPATCH_PATH"], env["JUJU_HOOK_NAME"] = "hooks/"+event, event
	}
	for k, v := range extra {
		env[k] = v
	}
	u.runner.SetEnv(env)
	rec := tracetest.NewSpanRecorder()
	status := tracing.Run(setup, tracing.WithGetenv(func(k string) string { return env[k] }),
		tracing.WithRunner(u.runner), tracing.WithSpanProcessor(rec))
	if status != 0 {
		u.t.Fatalf("%s: exit status %d; log %v", event, status, u.runner.State().Logs)
	}
	return rec.Ended()
}

func (u *unit) password() string {
	for _, s := range u.runner.State().Secrets {
		if s.Label == passwordLabel {
			return s.Content["password"]
		}
	}
	return ""
}

// leaks reports where the password shows in spans or in what reached the fake Juju's
// command lines and log.
func (u *unit) leaks(password string, spans []sdktrace.ReadOnlySpan) []string {
	var where []string
	check := func(what, s string) {
		if strings.Contains(s, password) {
			where = append(where, what)
		}
	}
	for _, s := range spans {
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
	for _, c := range u.runner.Calls() {
		if c.Tool != "action-set" { // Juju takes action results only as arguments
			check(c.Tool+" argv", strings.Join(c.Args, " "))
		}
	}
	for _, l := range u.runner.State().Logs {
		check("juju-log", l.Message)
	}
	return where
}

func TestLifecycle(t *testing.T) {
	u := newUnit(t, true)
	var spans []sdktrace.ReadOnlySpan
	spans = append(spans, u.dispatch("install", nil)...)
	password := u.password()
	if len(password) != 26 {
		t.Fatalf("admin password %q: want rand.Text's 26 characters", password)
	}
	// A second install keeps the password.
	spans = append(spans, u.dispatch("install", nil)...)
	if u.password() != password || len(u.runner.State().Secrets) != 1 {
		t.Fatal("install replaced or duplicated the password")
	}

	start := u.dispatch("start", nil)
	spans = append(spans, start...)
	if st := u.runner.State().UnitStatus; st.Status != "active" || st.Message != "log level debug" {
		t.Fatalf("status after start = %+v", st)
	}
	var user sdktrace.ReadOnlySpan
	for _, s := range start {
		if s.Name() == "render workload config" {
			user = s
		}
	}
	if user == nil || user.InstrumentationScope().Name != "charmtrace-example" {
		t.Fatalf("no user span from the charm's tracer in start")
	}
	if len(user.Attributes()) != 1 || user.Attributes()[0].Value.AsString() != "debug" {
		t.Fatalf("user span attributes = %v", user.Attributes())
	}

	db := &fakejuju.Relation{ID: 4, Endpoint: "db", RemoteApp: "client",
		RemoteUnitsData: map[string]map[string]string{"client/0": {}}}
	st := u.runner.State()
	st.Relations = append(st.Relations, db)
	spans = append(spans, u.dispatch("db-relation-changed", map[string]string{
		"JUJU_RELATION": "db", "JUJU_RELATION_ID": db.Ref(), "JUJU_REMOTE_APP": "client", "JUJU_REMOTE_UNIT": "client/0"})...)
	if got := db.LocalAppData["password"]; got != password {
		t.Fatalf("db app databag password = %q", got)
	}

	spans = append(spans, u.dispatch("action:get-admin-password", nil)...)
	if got := u.runner.State().ActionResults["password"]; got != password {
		t.Fatalf("action result = %q", got)
	}

	// The scan below skips action-set, the one tool Juju gives values only as
	// arguments; that the password is there shows the scan looks in the right place.
	var onArgv bool
	for _, c := range u.runner.Calls() {
		onArgv = onArgv || (c.Tool == "action-set" && strings.Contains(strings.Join(c.Args, " "), password))
	}
	if !onArgv {
		t.Fatal("the action's result is not on action-set's command line")
	}
	if where := u.leaks(password, spans); len(where) > 0 {
		t.Fatalf("the admin password leaked into %v", where)
	}
}

// Only the leader creates and shares the password; other units do nothing and succeed.
func TestNonLeaderLeavesThePasswordAlone(t *testing.T) {
	u := newUnit(t, false)
	u.dispatch("install", nil)
	if len(u.runner.State().Secrets) != 0 {
		t.Fatal("a non-leader created the password")
	}
	db := &fakejuju.Relation{ID: 4, Endpoint: "db", RemoteApp: "client"}
	u.runner.State().Relations = []*fakejuju.Relation{db}
	u.dispatch("db-relation-changed", map[string]string{
		"JUJU_RELATION": "db", "JUJU_RELATION_ID": db.Ref(), "JUJU_REMOTE_APP": "client"})
	if len(db.LocalAppData) != 0 {
		t.Fatalf("a non-leader wrote %v", db.LocalAppData)
	}
}
