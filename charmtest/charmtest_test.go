package charmtest_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel"

	"github.com/charmtrace/charmtrace/charmhooks"
	"github.com/charmtrace/charmtrace/charmtest"
	"github.com/charmtrace/charmtrace/tracing"
)

const metadata = `name: probe
requires:
  charm-tracing:
    interface: tracing
    limit: 1
  receive-ca-cert:
    interface: certificate_transfer
    limit: 1
provides:
  db:
    interface: probe-db
`

// tracer is a package-level tracer, bound before any run.
var tracer = otel.Tracer("probe")

// probe is a charm whose handlers report each hook-tool error they meet as an
// application version "<tool>:<class>", so tests can see what the charm saw.
func probe(c *tracing.Charm) error {
	var seen []string
	note := func(what string, err error) {
		switch {
		case err == nil:
			seen = append(seen, what+":ok")
		case errors.Is(err, charmhooks.ErrRelationNotFound):
			seen = append(seen, what+":relation-not-found")
		case errors.Is(err, charmhooks.ErrSecretNotFound):
			seen = append(seen, what+":secret-not-found")
		case errors.Is(err, charmhooks.ErrUnauthorized):
			seen = append(seen, what+":unauthorized")
		default:
			seen = append(seen, what+":failed")
		}
	}
	c.Router.Handle("start", func(ctx context.Context, e charmhooks.Event) error {
		_, span := tracer.Start(ctx, "probe work")
		span.End()
		note("app-data", c.Tools.RelationSetApp("db:1", map[string]string{"k": "v"}))
		note("unknown-relation", c.Tools.RelationSet("db:99", map[string]string{"k": "v"}))
		note("app-status", c.Tools.AppStatusSet(charmhooks.StatusActive, ""))
		_, err := c.Tools.SecretGet("secret:c0000000000000000002", charmhooks.SecretGetOptions{})
		note("ungranted", err)
		_, err = c.Tools.SecretGet("secret:nope", charmhooks.SecretGetOptions{})
		note("unknown-secret", err)
		note("action-only", c.Tools.ActionSet(map[string]string{"a": "b"}))
		_, err = c.Tools.SecretGet("secret:c0000000000000000001", charmhooks.SecretGetOptions{})
		note("injected", err)
		return c.Tools.StateSet(map[string]string{"seen": strings.Join(seen, " ")})
	}, charmhooks.HandlerName("probe"))
	c.Router.Handle("update-status", func(ctx context.Context, e charmhooks.Event) error {
		st, err := c.State(ctx)
		if err != nil {
			return err
		}
		var n int
		if _, err := st.Get(ctx, "probe", "count", &n); err != nil {
			return err
		}
		if err := st.Set(ctx, "probe", "count", n+1); err != nil {
			return err
		}
		if n == 0 {
			return charmhooks.ErrDefer
		}
		return nil
	}, charmhooks.HandlerName("count"))
	c.Router.HandleAction("echo", func(ctx context.Context, e charmhooks.Event) error {
		var p struct {
			Text string `json:"text"`
		}
		if err := c.Tools.ActionGet(&p); err != nil {
			return err
		}
		return c.Tools.ActionSet(map[string]string{"text": p.Text})
	}, charmhooks.HandlerName("echo"))
	return nil
}

func newProbe() *charmtest.Context {
	return charmtest.New(probe, charmtest.WithMetadata(metadata))
}

// The harness's tools refuse what Juju refuses, with Juju's errors, and the charm sees
// them through errors.Is as it would on a unit.
func TestToolsRefuseWhatJujuRefuses(t *testing.T) {
	out, err := newProbe().Run(charmtest.Hook("start"), charmtest.State{
		Leader:    false,
		Relations: []charmtest.Relation{{Endpoint: "db", RemoteApp: "client"}},
		Secrets: []charmtest.Secret{
			{Owner: "application", Content: map[string]string{"password": "x"}},
			{NotGranted: true, Content: map[string]string{"k": "v"}},
		},
		Faults: []charmtest.Fault{charmtest.PermissionDenied("secret-get")},
	})
	if err != nil {
		t.Fatal(err)
	}
	if out.ExitCode != 0 {
		t.Fatalf("exit %d: %s", out.ExitCode, out.Stderr)
	}
	want := "app-data:unauthorized unknown-relation:relation-not-found app-status:unauthorized " +
		"ungranted:unauthorized unknown-secret:unauthorized action-only:failed injected:unauthorized"
	if got := out.State.UnitState["seen"]; got != want {
		t.Errorf("the charm saw\n  %s\nwant\n  %s", got, want)
	}
	// Each refusal for authorisation is an OWASP authz_fail event, as on a unit.
	var authz []string
	for _, e := range out.SecurityEvents() {
		authz = append(authz, e.Event)
	}
	if len(authz) != 5 || authz[0] != "authz_fail:relation-set" || authz[4] != "authz_fail:secret-get" {
		t.Errorf("security events %q", authz)
	}
	// The log holds tracing's own lines (jhack's, the security events); the charm wrote none.
	if len(out.Logs) < 7 || len(out.CharmLogs()) != 0 {
		t.Errorf("logs %d, charm's own %+v", len(out.Logs), out.CharmLogs())
	}
	if len(out.Rows) == 0 || !strings.Contains(out.Tree(), "start: probe") {
		t.Errorf("rows %d, tree:\n%s", len(out.Rows), out.Tree())
	}
}

// A relation-set that times out fails after its delay, and not as a missing relation:
// the charm cannot mistake an agent that did not answer for a relation that is gone.
func TestTimeoutFault(t *testing.T) {
	began := time.Now()
	out, err := newProbe().Run(charmtest.Hook("start"), charmtest.State{Leader: true,
		Relations: []charmtest.Relation{{Endpoint: "db", RemoteApp: "client"}},
		Faults:    []charmtest.Fault{charmtest.Timeout("relation-set", 20*time.Millisecond)}})
	if err != nil || out.ExitCode != 0 {
		t.Fatalf("%v %d %s", err, out.ExitCode, out.Stderr)
	}
	if got := out.State.UnitState["seen"]; !strings.HasPrefix(got, "app-data:failed unknown-relation:failed ") {
		t.Errorf("the charm saw %s", got)
	}
	if time.Since(began) < 40*time.Millisecond {
		t.Error("the delayed fault did not delay")
	}
}

// Stored values and the deferral queue go in and come out; a handler that defers leaves
// its event queued, and the next run re-runs it.
func TestStoredStateAndDeferral(t *testing.T) {
	ctx := newProbe()
	out, err := ctx.Run(charmtest.Hook("update-status"), charmtest.State{})
	if err != nil || out.ExitCode != 0 {
		t.Fatalf("%v %d %s", err, out.ExitCode, out.Stderr)
	}
	if len(out.State.Deferred) != 1 || out.State.Deferred[0].Handler != "count" || out.State.Deferred[0].Event.Name != "update-status" {
		t.Fatalf("deferred %+v", out.State.Deferred)
	}
	var n int
	if len(out.State.Stored) != 1 || out.State.Stored[0].Decode(&n) != nil || n != 1 {
		t.Fatalf("stored %+v", out.State.Stored)
	}
	// The next dispatch re-runs the deferred event (count 1 → 2, no defer) and then the
	// event itself (2 → 3).
	out, err = ctx.Run(charmtest.Hook("update-status"), out.State)
	if err != nil || out.ExitCode != 0 {
		t.Fatalf("%v %d %s", err, out.ExitCode, out.Stderr)
	}
	if len(out.State.Deferred) != 0 || out.State.Stored[0].Decode(&n) != nil || n != 3 {
		t.Fatalf("deferred %+v, count %d", out.State.Deferred, n)
	}
}

func TestActionParamsAndResults(t *testing.T) {
	out, err := newProbe().Run(charmtest.Action("echo", map[string]any{"text": "hi"}), charmtest.State{})
	if err != nil || out.ExitCode != 0 {
		t.Fatalf("%v %d %s", err, out.ExitCode, out.Stderr)
	}
	if out.ActionResults["text"] != "hi" || out.Span("action echo") == nil {
		t.Errorf("results %v, spans %d", out.ActionResults, len(out.Spans))
	}
}

// Two runs in one process with a package-level tracer: both runs' user spans captured.
func TestPackageLevelTracerInTwoRuns(t *testing.T) {
	ctx := newProbe()
	st := charmtest.State{Leader: true, Relations: []charmtest.Relation{{Endpoint: "db", RemoteApp: "client"}}}
	for i := range 2 {
		out, err := ctx.Run(charmtest.Hook("start"), st)
		if err != nil || out.ExitCode != 0 {
			t.Fatalf("run %d: %v %d %s", i, err, out.ExitCode, out.Stderr)
		}
		if out.Span("probe work") == nil || !strings.Contains(out.Tree(), "probe work") {
			t.Errorf("run %d: the package-level tracer's span is missing", i)
		}
	}
}

// The timeless tree of a run matches its golden file (testdata/start.tree); run the
// test with CHARMTEST_UPDATE=1 to rewrite it.
func TestTimelessTreeGolden(t *testing.T) {
	out, err := newProbe().Run(charmtest.Hook("start"), charmtest.State{Leader: true,
		Relations: []charmtest.Relation{{Endpoint: "db", RemoteApp: "client"}}})
	if err != nil || out.ExitCode != 0 {
		t.Fatalf("%v %d", err, out.ExitCode)
	}
	golden := filepath.Join("testdata", "start.tree")
	got := out.TimelessTree()
	if os.Getenv("CHARMTEST_UPDATE") == "1" {
		if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if got != string(want) {
		t.Errorf("tree:\n%s\nwant:\n%s", got, want)
	}
}

// A secret-changed test: the consumer reads the revision it tracks until it refreshes,
// and the state out says which revision it tracks now.
func TestSecretChangedRefreshesTheTrackedRevision(t *testing.T) {
	setup := func(c *tracing.Charm) error {
		c.Router.HandleKind(charmhooks.KindSecret, func(ctx context.Context, e charmhooks.Event) error {
			old, err := c.Tools.SecretGet(e.SecretID, charmhooks.SecretGetOptions{})
			if err != nil {
				return err
			}
			latest, err := c.Tools.SecretGet(e.SecretID, charmhooks.SecretGetOptions{Refresh: true})
			if err != nil {
				return err
			}
			return c.Tools.StateSet(map[string]string{"seen": old["token"] + ">" + latest["token"]})
		})
		return nil
	}
	out, err := charmtest.New(setup).Run(charmtest.Event{Name: "secret-changed", SecretID: "secret:t1"}, charmtest.State{
		Secrets: []charmtest.Secret{{ID: "secret:t1", Revision: 2, Content: map[string]string{"token": "b"},
			TrackedRevision: 1, TrackedContent: map[string]string{"token": "a"}}}})
	if err != nil || out.ExitCode != 0 {
		t.Fatalf("%v %d %s", err, out.ExitCode, out.Stderr)
	}
	if got := out.State.UnitState["seen"]; got != "a>b" {
		t.Errorf("the charm read %q, want a>b", got)
	}
	if s := out.State.Secrets[0]; s.TrackedRevision != 2 || s.TrackedContent != nil {
		t.Errorf("tracked %d %v after refresh", s.TrackedRevision, s.TrackedContent)
	}
}

// The model's side of a unit (storage, resources, networks, goal state, credentials) is
// declared in the state and read through the typed tools; storage-add comes out.
func TestModelState(t *testing.T) {
	charm := func(c *tracing.Charm) error {
		c.Router.Handle("config-changed", func(ctx context.Context, e charmhooks.Event) error {
			var seen []string
			st, err := c.Tools.StorageGet("data/0")
			seen = append(seen, "storage="+st.Location)
			ids, err2 := c.Tools.StorageList("data")
			seen = append(seen, "list="+strings.Join(ids, ","))
			res, err3 := c.Tools.ResourceGet("workload")
			seen = append(seen, "resource="+res)
			_, err4 := c.Tools.ResourceGet("missing")
			seen = append(seen, "missing-resource-fails="+fmt.Sprint(err4 != nil))
			nw, err5 := c.Tools.NetworkGet("db", "")
			seen = append(seen, "ingress="+strings.Join(nw.IngressAddresses, ","))
			cred, err6 := c.Tools.CredentialGet()
			seen = append(seen, "cloud="+cred.Name)
			goal, err7 := c.Tools.GoalState()
			seen = append(seen, "goal="+goal.Units["probe/1"].Status)
			if err := errors.Join(err, err2, err3, err5, err6, err7, c.Tools.StorageAdd("data", 2)); err != nil {
				return err
			}
			return c.Tools.StateSet(map[string]string{"seen": strings.Join(seen, " ")})
		})
		return nil
	}
	out, err := charmtest.New(charm, charmtest.WithMetadata(metadata)).Run(charmtest.Hook("config-changed"), charmtest.State{
		Storage:    map[string]charmhooks.Storage{"data/0": {Kind: "filesystem", Location: "/srv/data"}},
		Resources:  map[string]string{"workload": "/var/lib/juju/resources/workload/workload.tar"},
		Networks:   map[string]charmhooks.Network{"db": {IngressAddresses: []string{"10.1.2.3"}}},
		Credential: &charmhooks.CloudSpec{Type: "kubernetes", Name: "microk8s"},
		Goal:       &charmhooks.GoalState{Units: map[string]charmhooks.GoalStatus{"probe/0": {Status: "active"}, "probe/1": {Status: "waiting"}}},
	})
	if err != nil || out.ExitCode != 0 {
		t.Fatalf("%v %d %s", err, out.ExitCode, out.Stderr)
	}
	want := "storage=/srv/data list=data/0 resource=/var/lib/juju/resources/workload/workload.tar missing-resource-fails=true ingress=10.1.2.3 cloud=microk8s goal=waiting"
	if got := out.State.UnitState["seen"]; got != want {
		t.Errorf("the charm saw\n%s\nwant\n%s", got, want)
	}
	if out.State.StorageAdded["data"] != 2 {
		t.Errorf("storage added %v", out.State.StorageAdded)
	}
}
