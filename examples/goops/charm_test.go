package charm_test

import (
	"fmt"
	"strings"
	"testing"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/charmtrace/charmtrace/charmhooks"
	"github.com/charmtrace/charmtrace/examples/goops"
	"github.com/charmtrace/charmtrace/tracing"
	"github.com/gruyaume/goops"
	"github.com/gruyaume/goops/goopstest"
)

const password = "pw-SENTINEL-31337"

// traced returns the charm as main runs it, with a span recorder beside it.
func traced() (func() error, *tracetest.SpanRecorder) {
	rec := tracetest.NewSpanRecorder()
	return charm.Traced(tracing.WithSpanProcessor(rec)), rec
}

func attrs(s sdktrace.ReadOnlySpan) map[attribute.Key]attribute.Value {
	m := map[attribute.Key]attribute.Value{}
	for _, kv := range s.Attributes() {
		m[kv.Key] = kv.Value
	}
	return m
}

func TestGivenLeaderWithDBRelationWhenConfigChangedThenToolCallsAreChildSpans(t *testing.T) {
	fn, rec := traced()
	ctx := goopstest.NewContext(fn, goopstest.WithAppName("example"), goopstest.WithUnitID("example/0"))
	stateIn := goopstest.State{
		Leader: true,
		Config: map[string]any{"port": 8080},
		Secrets: []goopstest.Secret{{
			ID: "secret:123", Label: "admin-password", Owner: "application",
			Content: map[string]string{"password": password},
		}},
		Relations: []goopstest.Relation{{Endpoint: "db", RemoteAppName: "client"}},
	}
	stateOut := ctx.Run("config-changed", stateIn)
	if ctx.CharmErr != nil {
		t.Fatalf("charm failed: %v", ctx.CharmErr)
	}
	if want := (goopstest.Status{Name: goopstest.StatusActive, Message: "serving on :8080"}); stateOut.UnitStatus != want {
		t.Errorf("status %+v, want %+v (tracing must not change behaviour)", stateOut.UnitStatus, want)
	}
	if got := stateOut.Relations[0].LocalAppData["password"]; got != password {
		t.Errorf("published password %q", got)
	}
	// Tracing adds no line of its own: goopstest's log holds the charm's line only.
	if logs := ctx.JujuLog; len(logs) != 1 || !strings.Contains(logs[0].Message, "8080") {
		t.Errorf("juju-log lines %+v", ctx.JujuLog)
	}

	spans := rec.Ended()
	var names []string
	var root sdktrace.ReadOnlySpan
	for _, s := range spans {
		names = append(names, s.Name())
		if s.Name() == "config-changed" {
			root = s
		}
	}
	want := []string{"is-leader", "config-get", "secret-get", "relation-ids", "relation-set", "status-set", "config-changed"}
	if strings.Join(names, ",") != strings.Join(want, ",") {
		t.Fatalf("spans %q, want %q (juju-log is not traced)", names, want)
	}
	for _, s := range spans[:len(spans)-1] {
		if s.Parent().SpanID() != root.SpanContext().SpanID() || s.SpanKind() != trace.SpanKindClient {
			t.Errorf("span %s: parent %v kind %v", s.Name(), s.Parent().SpanID(), s.SpanKind())
		}
		if got := attrs(s)[charmhooks.AttrTool].AsString(); got != s.Name() {
			t.Errorf("span %s: tool attribute %q", s.Name(), got)
		}
	}
	set := attrs(spans[4])
	if got := set[charmhooks.AttrKeys].AsStringSlice(); len(got) != 1 || got[0] != "password" {
		t.Errorf("relation-set keys %q", got)
	}
	if set[charmhooks.AttrRelation].AsInt64() != 0 || strings.Join(set[charmhooks.AttrFlags].AsStringSlice(), ",") != "-r,--app" {
		t.Errorf("relation-set attributes %v", set)
	}
	for _, s := range spans {
		for _, kv := range s.Attributes() {
			if strings.Contains(kv.Value.Emit(), password) {
				t.Errorf("span %s attribute %s carries the password", s.Name(), kv.Key)
			}
		}
	}
	if r := fmt.Sprintf("%T", goops.GetCommandRunner()); strings.Contains(r, "charmhooks") {
		t.Errorf("the traced runner %s was left installed", r)
	}
}

func TestGivenNoSecretWhenInstallThenSecretGetSpanFailsAndSecretIsAdded(t *testing.T) {
	fn, rec := traced()
	ctx := goopstest.NewContext(fn)
	stateOut := ctx.Run("install", goopstest.State{Leader: true, Config: map[string]any{"port": 80}})
	if ctx.CharmErr != nil {
		t.Fatal(ctx.CharmErr)
	}
	if len(stateOut.Secrets) != 1 || stateOut.Secrets[0].Label != "admin-password" {
		t.Fatalf("secrets %+v", stateOut.Secrets)
	}
	secret := stateOut.Secrets[0].Content["password"]
	var sawGetError, sawAdd bool
	for _, s := range rec.Ended() {
		switch s.Name() {
		case "secret-get":
			sawGetError = s.Status().Code == codes.Error
		case "secret-add":
			sawAdd = true
			if got := attrs(s)[charmhooks.AttrKeys].AsStringSlice(); len(got) != 1 || got[0] != "password" {
				t.Errorf("secret-add keys %q", got)
			}
		}
		for _, kv := range s.Attributes() {
			if strings.Contains(kv.Value.Emit(), secret) {
				t.Errorf("span %s carries the generated password", s.Name())
			}
		}
	}
	if !sawGetError || !sawAdd {
		t.Errorf("secret-get error span %v, secret-add span %v", sawGetError, sawAdd)
	}
}

func TestGivenNoPortWhenStartThenBlockedAndRootSpanOK(t *testing.T) {
	fn, rec := traced()
	ctx := goopstest.NewContext(fn)
	stateOut := ctx.Run("start", goopstest.State{})
	if stateOut.UnitStatus.Name != goopstest.StatusBlocked {
		t.Errorf("status %+v", stateOut.UnitStatus)
	}
	spans := rec.Ended()
	if root := spans[len(spans)-1]; root.Name() != "start" || root.Status().Code == codes.Error {
		t.Errorf("root span %s status %v", root.Name(), root.Status())
	}
}

// The lego-style test of a goops charm, unchanged by tracing: the charm traced exactly
// as main runs it, and the log assertion counts every line.
func TestGivenNoPortWhenConfigChangedThenOnlyTheCharmLogs(t *testing.T) {
	ctx := goopstest.NewContext(charm.Traced())
	stateOut := ctx.Run("config-changed", goopstest.State{Leader: false, Config: map[string]any{"port": 443}})
	if ctx.CharmErr != nil {
		t.Fatal(ctx.CharmErr)
	}
	if stateOut.UnitStatus.Name != goopstest.StatusActive {
		t.Errorf("status %+v", stateOut.UnitStatus)
	}
	if len(ctx.JujuLog) != 1 || ctx.JujuLog[0].Message != "serving on port 443" {
		t.Errorf("juju-log lines %+v, want the charm's one line", ctx.JujuLog)
	}
}
