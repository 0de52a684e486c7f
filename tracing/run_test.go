package tracing

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/charmtrace/charmtrace/buffer"
	"github.com/charmtrace/charmtrace/charmhooks"
	"github.com/charmtrace/charmtrace/internal/fakejuju"
)

const testMetadata = `name: testcharm
requires:
  charm-tracing:
    interface: tracing
    limit: 1
  receive-ca-cert:
    interface: certificate_transfer
    limit: 1
provides:
  db:
    interface: example-db
`

// unit is one fake unit: its charm dir, Juju environment and fake hook tools.
type unit struct {
	t      *testing.T
	dir    string
	env    map[string]string
	st     *fakejuju.State
	runner *fakejuju.Runner
	rec    *tracetest.SpanRecorder
}

func newUnit(t *testing.T) *unit {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "metadata.yaml"), []byte(testMetadata), 0o644); err != nil {
		t.Fatal(err)
	}
	st := &fakejuju.State{Unit: "testapp/42", Leader: true, Config: map[string]any{"log-level": "info"}}
	return &unit{t: t, dir: dir, st: st, runner: fakejuju.NewRunner(st, nil), env: map[string]string{
		"JUJU_UNIT_NAME": "testapp/42", "JUJU_MODEL_NAME": "test-model", "JUJU_MODEL_UUID": "4242",
		"JUJU_CHARM_DIR": dir, "JUJU_VERSION": "3.6.0",
	}}
}

// hook runs one dispatch of event (a hook name, or "action:<name>") with setup.
func (u *unit) dispatch(event string, extra map[string]string, setup SetupFunc, opts ...Option) int {
	env := map[string]string{}
	for k, v := range u.env {
		env[k] = v
	}
	if name, ok := strings.CutPrefix(event, "action:"); ok {
		env["JUJU_DISPATCH_PATH"] = "actions/" + name
		env["JUJU_ACTION_NAME"] = name
		env["JUJU_ACTION_UUID"] = "1"
	} else {
		env["JUJU_DISPATCH_PATH"] = "hooks/" + event
		env["JUJU_HOOK_NAME"] = event
	}
	for k, v := range extra {
		env[k] = v
	}
	u.runner.SetEnv(env)
	opts = append([]Option{
		WithGetenv(func(k string) string { return env[k] }),
		WithRunner(u.runner), WithSpanProcessor(u.recorder()),
	}, opts...)
	return Run(setup, opts...)
}

func (u *unit) recorder() *tracetest.SpanRecorder {
	u.rec = tracetest.NewSpanRecorder()
	return u.rec
}

func (u *unit) logs() []string {
	var out []string
	for _, l := range u.runner.State().Logs {
		out = append(out, l.Level+" "+l.Message)
	}
	return out
}

// toolCalls dispatches event with no charm handlers and lists the hook tools it called,
// juju-log aside (the jhack lines and warnings).
func (u *unit) toolCalls(event string, extra map[string]string) []string {
	u.t.Helper()
	before := len(u.runner.Calls())
	u.dispatch(event, extra, noSetup)
	var calls []string
	for _, c := range u.runner.Calls()[before:] {
		if c.Tool != "juju-log" {
			calls = append(calls, c.Tool)
		}
	}
	return calls
}

func (u *unit) rows() []buffer.Row {
	u.t.Helper()
	b, err := buffer.Open(filepath.Join(u.dir, BufferFile))
	if err != nil {
		u.t.Fatal(err)
	}
	defer b.Close()
	var rows []buffer.Row
	for r, err := range b.Pending(context.Background()) {
		if err != nil {
			u.t.Fatal(err)
		}
		rows = append(rows, r)
	}
	return rows
}

func (u *unit) destination() buffer.Destination {
	u.t.Helper()
	b, err := buffer.Open(filepath.Join(u.dir, BufferFile))
	if err != nil {
		u.t.Fatal(err)
	}
	defer b.Close()
	d, err := b.Destination(context.Background())
	if err != nil {
		u.t.Fatal(err)
	}
	return d
}

func spanNamed(t *testing.T, spans []sdktrace.ReadOnlySpan, name string) sdktrace.ReadOnlySpan {
	t.Helper()
	for _, s := range spans {
		if s.Name() == name {
			return s
		}
	}
	var names []string
	for _, s := range spans {
		names = append(names, s.Name())
	}
	t.Fatalf("no span %q in %q", name, names)
	return nil
}

func attr(s sdktrace.ReadOnlySpan, key string) string {
	for _, kv := range s.Attributes() {
		if string(kv.Key) == key {
			return kv.Value.Emit()
		}
	}
	return ""
}

func TestDispatchIsATrace(t *testing.T) {
	u := newUnit(t)
	status := u.dispatch("start", nil, func(c *Charm) error {
		c.Router.Handle("start", func(ctx context.Context, e charmhooks.Event) error {
			var cfg map[string]any
			if err := c.Tools.ConfigGet(&cfg); err != nil {
				return err
			}
			return c.Tools.StatusSet(charmhooks.StatusActive, "ok")
		}, charmhooks.HandlerName("onStart"))
		return nil
	})
	if status != 0 {
		t.Fatalf("status %d", status)
	}
	spans := u.rec.Ended()
	root := spanNamed(t, spans, "start")
	handler := spanNamed(t, spans, "start: onStart")
	if handler.Parent().SpanID() != root.SpanContext().SpanID() {
		t.Fatal("handler span is not a child of the root span")
	}
	for _, tool := range []string{"config-get", "status-set"} {
		s := spanNamed(t, spans, tool)
		if s.Parent().SpanID() != handler.SpanContext().SpanID() {
			t.Fatalf("%s span is not a child of the handler span", tool)
		}
	}
	// relation-ids (the reconciliation) runs outside any handler: under the root.
	if s := spanNamed(t, spans, "relation-ids"); s.Parent().SpanID() != root.SpanContext().SpanID() {
		t.Fatal("relation-ids span is not a child of the root span")
	}
	want := map[string]string{
		"service.name": "testapp", "service.namespace": "4242", "service.namespace.name": "test-model",
		"service.instance.id": "42", "charm": "testcharm", "charm_type": "go", "juju_model": "test-model",
		"juju_model_uuid": "4242", "juju_application": "testapp", "juju_unit": "testapp/42",
	}
	got := map[string]string{}
	for _, kv := range root.Resource().Attributes() {
		got[string(kv.Key)] = kv.Value.Emit()
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("resource %s = %q, want %q", k, got[k], v)
		}
	}
	// jhack's two lines, in order, at DEBUG, with the 32-hex trace id.
	logs := strings.Join(u.logs(), "\n")
	re := regexp.MustCompile(`DEBUG Starting root trace with id='([0-9a-f]{32})'\.\nDEBUG Emitting Juju event start\.`)
	m := re.FindStringSubmatch(logs)
	if m == nil || m[1] != root.SpanContext().TraceID().String() {
		t.Fatalf("jhack lines missing or wrong:\n%s", logs)
	}
	// The batch reached the buffer, raised to observed: the event had a handler.
	rows := u.rows()
	if len(rows) == 0 || rows[0].Priority != buffer.PriorityObserved || rows[0].Mime != buffer.MimeProtobuf {
		t.Fatalf("buffer rows = %+v", rows)
	}
}

func TestUnhandledEventStaysAtDefaultPriority(t *testing.T) {
	u := newUnit(t)
	if status := u.dispatch("update-status", nil, func(c *Charm) error { return nil }); status != 0 {
		t.Fatalf("status %d", status)
	}
	rows := u.rows()
	if len(rows) == 0 || rows[0].Priority != buffer.PriorityDefault {
		t.Fatalf("rows = %+v", rows)
	}
	// With no tracing relation, following the relations cost one hook-tool call.
	n := 0
	for _, c := range u.runner.Calls() {
		if c.Tool != "juju-log" {
			n++
		}
	}
	if n != 1 {
		t.Fatalf("%d hook-tool calls besides juju-log, want 1: %+v", n, u.runner.Calls())
	}
}

type secretError struct{ msg string }

func (e secretError) Error() string { return e.msg }

func TestPanicAndErrorKeepTheirStatusAndAreRecorded(t *testing.T) {
	for _, c := range []struct {
		name    string
		handler charmhooks.Handler
		status  int
	}{
		{"panic", func(context.Context, charmhooks.Event) error { panic(secretError{"hunter2"}) }, ExitPanic},
		{"error", func(context.Context, charmhooks.Event) error { return secretError{"hunter2"} }, 1},
	} {
		t.Run(c.name, func(t *testing.T) {
			u := newUnit(t)
			status := u.dispatch("config-changed", nil, func(ch *Charm) error {
				ch.Router.Handle("config-changed", c.handler, charmhooks.HandlerName("onConfig"))
				return nil
			}, func(cfg *config) { cfg.stderr = io.Discard })
			if status != c.status {
				t.Fatalf("status %d, want %d", status, c.status)
			}
			root := spanNamed(t, u.rec.Ended(), "config-changed")
			if root.Status().Code != codes.Error {
				t.Fatal("root span not marked failed")
			}
			var crash string
			for _, l := range u.logs() {
				if strings.HasPrefix(l, "TRACE ") && strings.Contains(l, `"event": "sys_crash`) {
					crash = l
				}
			}
			if crash == "" || !strings.Contains(crash, "secretError") {
				t.Fatalf("no sys_crash naming the error type in %q", u.logs())
			}
			for _, s := range u.rec.Ended() {
				for _, ev := range s.Events() {
					for _, kv := range ev.Attributes {
						if strings.Contains(kv.Value.Emit(), "hunter2") {
							t.Fatalf("error message in span %q", s.Name())
						}
					}
				}
			}
			if strings.Contains(strings.Join(u.logs(), "\n"), "hunter2") {
				t.Fatal("error message in the unit log")
			}
			if len(u.rows()) == 0 {
				t.Fatal("the failed dispatch's trace was not stored")
			}
		})
	}
}

func TestDisabledNeverOpensTheBuffer(t *testing.T) {
	u := newUnit(t)
	ran := false
	status := u.dispatch("start", map[string]string{DisableEnv: "1"}, func(c *Charm) error {
		c.Router.Handle("start", func(context.Context, charmhooks.Event) error { ran = true; return nil })
		return nil
	})
	if status != 0 || !ran {
		t.Fatalf("status %d ran %v", status, ran)
	}
	if _, err := os.Stat(filepath.Join(u.dir, BufferFile)); !errors.Is(err, os.ErrNotExist) {
		t.Fatal("buffer file created with tracing disabled")
	}
	if len(u.rec.Ended()) != 0 {
		t.Fatal("spans recorded with tracing disabled")
	}
}

func TestUnusableBufferDegradesWithOneWarning(t *testing.T) {
	u := newUnit(t)
	if err := os.Mkdir(filepath.Join(u.dir, BufferFile), 0o700); err != nil {
		t.Fatal(err)
	}
	ran := false
	status := u.dispatch("start", nil, func(c *Charm) error {
		c.Router.Handle("start", func(context.Context, charmhooks.Event) error { ran = true; return nil })
		return nil
	})
	if status != 0 || !ran {
		t.Fatalf("status %d ran %v", status, ran)
	}
	var warnings []string
	for _, l := range u.logs() {
		if strings.HasPrefix(l, "WARNING ") {
			warnings = append(warnings, l)
		}
	}
	if len(warnings) != 1 || !strings.Contains(warnings[0], "tracing off") {
		t.Fatalf("warnings = %q", warnings)
	}
}

func TestCheckMetadata(t *testing.T) {
	dir := t.TempDir()
	write := func(s string) {
		os.WriteFile(filepath.Join(dir, "charmcraft.yaml"), []byte(s), 0o644)
	}
	write(testMetadata)
	if err := CheckMetadata(dir); err != nil {
		t.Fatal(err)
	}
	for name, c := range map[string]struct {
		meta string
		opts []Option
		want string
	}{
		"missing":         {"name: x\n", nil, `declares no endpoint "charm-tracing"`},
		"wrong interface": {strings.Replace(testMetadata, "interface: tracing", "interface: tempo", 1), nil, `has interface "tempo"`},
		"wrong role":      {"name: x\nprovides:\n  charm-tracing:\n    interface: tracing\n", nil, "declared under provides"},
		"renamed":         {testMetadata, []Option{WithTracingRelation("tracing")}, `no endpoint "tracing"`},
		"ca missing":      {"name: x\nrequires:\n  charm-tracing:\n    interface: tracing\n", nil, `no endpoint "receive-ca-cert"`},
	} {
		t.Run(name, func(t *testing.T) {
			write(c.meta)
			err := CheckMetadata(dir, c.opts...)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err = %v, want %q", err, c.want)
			}
		})
	}
	write("name: x\nrequires:\n  charm-tracing:\n    interface: tracing\n")
	if err := CheckMetadata(dir, WithoutCARelation()); err != nil {
		t.Fatalf("without CA relation: %v", err)
	}
}

var _ = fmt.Sprint
var _ trace.Span

type panickingExporter struct{}

func (panickingExporter) ExportSpans(context.Context, []sdktrace.ReadOnlySpan) error {
	panic("exporter bug")
}
func (panickingExporter) Shutdown(context.Context) error { return nil }

func TestPanickingExporterIsOneWarning(t *testing.T) {
	u := newUnit(t)
	ran := false
	status := u.dispatch("start", nil, func(c *Charm) error {
		c.Router.Handle("start", func(context.Context, charmhooks.Event) error { ran = true; return nil })
		return nil
	}, func(c *config) {
		c.wrapExporter = func(sdktrace.SpanExporter) sdktrace.SpanExporter { return panickingExporter{} }
		c.stderr = io.Discard
	})
	if status != 0 || !ran {
		t.Fatalf("status %d ran %v", status, ran)
	}
	var warnings []string
	for _, l := range u.logs() {
		if strings.HasPrefix(l, "WARNING ") {
			warnings = append(warnings, l)
		}
	}
	if len(warnings) != 1 || !strings.Contains(warnings[0], "exporter panicked") {
		t.Fatalf("warnings = %q", warnings)
	}
}

func TestDeferredEventsRunFirstInTheNextDispatch(t *testing.T) {
	u := newUnit(t)
	var order []string
	defers := true
	setup := func(c *Charm) error {
		c.Router.Handle("config-changed", func(ctx context.Context, e charmhooks.Event) error {
			order = append(order, fmt.Sprintf("config-changed(deferred=%v)", e.Deferred))
			if defers {
				return charmhooks.ErrDefer
			}
			return nil
		}, charmhooks.HandlerName("onConfig"))
		c.Router.Handle("update-status", func(ctx context.Context, e charmhooks.Event) error {
			order = append(order, "update-status")
			return nil
		}, charmhooks.HandlerName("onStatus"))
		return nil
	}
	if status := u.dispatch("config-changed", nil, setup); status != 0 {
		t.Fatalf("status %d", status)
	}
	defers = false
	if status := u.dispatch("update-status", nil, setup); status != 0 {
		t.Fatalf("status %d", status)
	}
	want := "config-changed(deferred=false) config-changed(deferred=true) update-status"
	if got := strings.Join(order, " "); got != want {
		t.Fatalf("handler order %q, want %q", got, want)
	}
	s := spanNamed(t, u.rec.Ended(), "config-changed: onConfig")
	if attr(s, "juju.deferred") != "true" {
		t.Fatal("the re-run handler span is not marked deferred")
	}
	// The queue is empty now: a third dispatch runs only its own event.
	order = nil
	u.dispatch("update-status", nil, setup)
	if got := strings.Join(order, " "); got != "update-status" {
		t.Fatalf("third dispatch ran %q", got)
	}
}
