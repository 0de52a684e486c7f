package main

// These tests use public packages only: tracing, charmhooks, pebble/pebbletest and the
// OpenTelemetry SDK. The hook tools are a small stand-in written against the public
// charmhooks.Runner interface (hookTools below).

import (
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"

	"go.opentelemetry.io/otel/attribute"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/charmtrace/charmtrace/charmhooks"
	"github.com/charmtrace/charmtrace/pebble"
	"github.com/charmtrace/charmtrace/pebble/pebbletest"
	"github.com/charmtrace/charmtrace/tracing"
)

// hookTools plays the few hook tools this charm and tracing call, and records every
// call's argv and every juju-log message.
type hookTools struct {
	mu      sync.Mutex
	config  map[string]any
	params  map[string]any
	status  string
	results map[string]string
	logs    []string
	argv    [][]string
}

func (h *hookTools) Run(name string, args ...string) ([]byte, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.argv = append(h.argv, append([]string{name}, args...))
	switch name {
	case "juju-log":
		for i, a := range args {
			if a == "--" {
				h.logs = append(h.logs, strings.Join(args[i+1:], " "))
			}
		}
		return nil, nil
	case "relation-ids":
		return []byte("[]\n"), nil
	case "is-leader":
		return []byte("true\n"), nil
	case "config-get":
		return json.Marshal(h.config)
	case "action-get":
		return json.Marshal(h.params)
	case "action-set":
		for _, a := range args {
			k, v, _ := strings.Cut(a, "=")
			h.results[k] = v
		}
		return nil, nil
	case "status-set":
		h.status = args[1]
		return nil, nil
	}
	return nil, &charmhooks.ToolError{Tool: name, ExitCode: 2, Stderr: "ERROR unknown tool " + name}
}

// unit is one unit of the charm: its charm directory, a fake Pebble for the web
// container, and the fake hook tools.
type unit struct {
	t       *testing.T
	dir     string
	sockets string
	web     *pebbletest.Server
	tools   *hookTools
}

func newUnit(t *testing.T) *unit {
	dir, sockets := t.TempDir(), t.TempDir()
	meta, err := os.ReadFile("charmcraft.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "metadata.yaml"), meta, 0o644); err != nil {
		t.Fatal(err)
	}
	web, err := pebbletest.NewServer(sockets, container)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { web.Close() })
	web.HandleExec("web-admin", func(pebbletest.ExecRequest) pebbletest.ExecResult {
		return pebbletest.ExecResult{Stdout: []byte("key set\n")}
	})
	return &unit{t: t, dir: dir, sockets: sockets, web: web, tools: &hookTools{
		config:  map[string]any{"greeting": "hello", "log-level": "info"},
		results: map[string]string{},
	}}
}

// dispatch runs the charm once for a hook, or an action given as "action:<name>", and
// returns its spans.
func (u *unit) dispatch(event string) []sdktrace.ReadOnlySpan {
	u.t.Helper()
	env := map[string]string{
		"JUJU_UNIT_NAME": "web-app/0", "JUJU_MODEL_NAME": "test", "JUJU_MODEL_UUID": "2a5c5b4e-0000-4000-8000-000000000002",
		"JUJU_CHARM_DIR": u.dir, "JUJU_VERSION": "3.6.4",
	}
	if name, ok := strings.CutPrefix(event, "action:"); ok {
		env["JUJU_DISPATCH_PATH"], env["JUJU_ACTION_NAME"], env["JUJU_ACTION_UUID"] = "actions/"+name, name, "1"
	} else {
		env["JUJU_DISPATCH_PATH"], env["JUJU_HOOK_NAME"] = "hooks/"+event, event
		if strings.HasSuffix(event, "-pebble-ready") {
			env["JUJU_WORKLOAD_NAME"] = container
		}
	}
	rec := tracetest.NewSpanRecorder()
	status := tracing.Run(setup, tracing.WithGetenv(func(k string) string { return env[k] }),
		tracing.WithRunner(u.tools), tracing.WithPebbleSocketDir(u.sockets), tracing.WithSpanProcessor(rec))
	if status != 0 {
		u.t.Fatalf("%s: exit status %d; log %q", event, status, u.tools.logs)
	}
	return rec.Ended()
}

func byName(spans []sdktrace.ReadOnlySpan) map[string]sdktrace.ReadOnlySpan {
	m := map[string]sdktrace.ReadOnlySpan{}
	for _, s := range spans {
		m[s.Name()] = s
	}
	return m
}

func attr(s sdktrace.ReadOnlySpan, k attribute.Key) attribute.Value {
	for _, kv := range s.Attributes() {
		if kv.Key == k {
			return kv.Value
		}
	}
	return attribute.Value{}
}

// TestPebbleReadyConfiguresTheWorkload: pebble-ready pushes the file, adds the layer and
// replans; each Pebble call is a span under the charm's own "configure workload" span,
// as is the status-set made with its context: the nesting a reader of the trace expects.
func TestPebbleReadyConfiguresTheWorkload(t *testing.T) {
	u := newUnit(t)
	spans := byName(u.dispatch("web-pebble-ready"))

	if f, ok := u.web.File(configPath); !ok || string(f.Content) != "greeting: hello\n" || f.Permissions != 0o600 {
		t.Fatalf("config file %+v %v", f, ok)
	}
	if svc, _ := u.web.Service(service); svc.Current != "active" || svc.Starts != 1 {
		t.Fatalf("service %+v", svc)
	}
	if c, _ := u.web.Check(check); c.Status != "up" {
		t.Fatalf("check %+v", c)
	}
	if u.tools.status != "active" {
		t.Fatalf("status %q", u.tools.status)
	}

	root, handler, user := spans["web-pebble-ready"], spans["web-pebble-ready: pebble-ready"], spans["configure workload"]
	if root == nil || handler == nil || user == nil {
		t.Fatalf("spans %v", reflect.ValueOf(spans).MapKeys())
	}
	parents := map[string]sdktrace.ReadOnlySpan{
		"web-pebble-ready: pebble-ready": root,
		"configure workload":             handler,
		"config-get":                     user,
		"pebble Push":                    user,
		"pebble AddLayer":                user,
		"pebble Replan":                  user,
		"status-set":                     user,
	}
	for name, parent := range parents {
		s := spans[name]
		if s == nil {
			t.Errorf("no span %q", name)
			continue
		}
		if s.Parent().SpanID() != parent.SpanContext().SpanID() || s.SpanContext().TraceID() != root.SpanContext().TraceID() {
			t.Errorf("%s: parent %s, want %s", name, s.Parent().SpanID(), parent.Name())
		}
	}
	if got := attr(spans["pebble Push"], pebble.AttrPath).AsString(); got != configPath {
		t.Errorf("pebble Push path %q", got)
	}
	if got := attr(spans["pebble AddLayer"], pebble.AttrLayer).AsString(); got != "web" {
		t.Errorf("pebble AddLayer label %q", got)
	}
	if spans["pebble Push"].SpanKind() != trace.SpanKindClient {
		t.Errorf("pebble Push kind %v", spans["pebble Push"].SpanKind())
	}
}

// TestConfigChangedRestarts: new configuration is pushed and the service restarted, the
// calls being children of the handler's span.
func TestConfigChangedRestarts(t *testing.T) {
	u := newUnit(t)
	u.dispatch("web-pebble-ready")
	u.tools.config["greeting"] = "bonjour"
	spans := byName(u.dispatch("config-changed"))

	if f, _ := u.web.File(configPath); string(f.Content) != "greeting: bonjour\n" {
		t.Fatalf("config file %q", f.Content)
	}
	if svc, _ := u.web.Service(service); svc.Starts != 2 || svc.Current != "active" {
		t.Fatalf("service %+v, want restarted once", svc)
	}
	handler := spans["config-changed: config-changed"]
	for _, name := range []string{"pebble Push", "pebble AddLayer", "pebble Restart"} {
		if s := spans[name]; s == nil || s.Parent().SpanID() != handler.SpanContext().SpanID() {
			t.Errorf("%s is not a child of the handler span", name)
		}
	}
	if got := attr(spans["pebble Restart"], pebble.AttrServices).AsStringSlice(); !reflect.DeepEqual(got, []string{service}) {
		t.Errorf("pebble Restart services %q", got)
	}
}

// TestConfigChangedBeforeTheContainerWaits: without a Pebble socket the charm waits for
// pebble-ready; the failed call is a span that records the error's type only.
func TestConfigChangedBeforeTheContainerWaits(t *testing.T) {
	u := newUnit(t)
	u.web.Close()
	spans := byName(u.dispatch("config-changed"))
	if u.tools.status != "waiting" {
		t.Fatalf("status %q", u.tools.status)
	}
	if got := attr(spans["pebble Push"], pebble.AttrErrorType).AsString(); got != "*client.SocketNotFoundError" {
		t.Fatalf("pebble Push error.type %q", got)
	}
}

// TestPauseMonitoringEmitsSysMonitorDisabled: stopping the health check is an OWASP
// sys_monitor_disabled event in the unit log and on the StopChecks span.
func TestPauseMonitoringEmitsSysMonitorDisabled(t *testing.T) {
	u := newUnit(t)
	u.dispatch("web-pebble-ready")
	spans := byName(u.dispatch("action:pause-monitoring"))
	if c, _ := u.web.Check(check); c.Status != "inactive" {
		t.Fatalf("check %+v", c)
	}
	var events []string
	for _, l := range u.tools.logs {
		if strings.Contains(l, `"type": "security"`) {
			events = append(events, l)
		}
	}
	if len(events) != 1 || !strings.Contains(events[0], `"event": "sys_monitor_disabled:`) || !strings.Contains(events[0], ","+check+`"`) {
		t.Fatalf("security events %q", events)
	}
	stop := spans["pebble StopChecks"]
	if stop == nil || len(stop.Events()) != 1 || stop.Events()[0].Name != "sys_monitor_disabled" {
		t.Fatalf("StopChecks span events %v", stop)
	}
}

// TestSentinelsReachNoSpanLogArgvOrBuffer runs every handler with sentinel values in the
// file the charm pushes (greeting), the environment it sets (log level) and the exec
// argument (the action's key), and scans every span, every juju-log line, every hook
// tool's argv and every byte the dispatches left in the charm directory (the trace
// buffer, its WAL and shared memory): none may hold a sentinel, while the fake Pebble
// proves each sentinel did reach the workload.
func TestSentinelsReachNoSpanLogArgvOrBuffer(t *testing.T) {
	const (
		fileSentinel = "file-content-sentinel-5b1e"
		envSentinel  = "env-value-sentinel-a09c"
		argSentinel  = "secret-key-sentinel-77d2"
	)
	sentinels := []string{fileSentinel, envSentinel, argSentinel}
	u := newUnit(t)
	u.tools.config = map[string]any{"greeting": fileSentinel, "log-level": envSentinel}
	u.tools.params = map[string]any{"key": argSentinel}

	var spans []sdktrace.ReadOnlySpan
	for _, event := range []string{"web-pebble-ready", "config-changed", "action:rotate-key", "action:pause-monitoring"} {
		spans = append(spans, u.dispatch(event)...)
	}

	// The values did reach the workload...
	if f, _ := u.web.File(configPath); !strings.Contains(string(f.Content), fileSentinel) {
		t.Fatal("the config file lacks the greeting")
	}
	if l := u.web.Layers(); len(l) == 0 || !strings.Contains(l[len(l)-1].YAML, envSentinel) {
		t.Fatal("the layer lacks the log level")
	}
	if ex := u.web.Execs(); len(ex) != 1 || !reflect.DeepEqual(ex[0].Command, []string{"/usr/bin/web-admin", "set-key", argSentinel}) {
		t.Fatalf("execs %+v", ex)
	}
	if u.tools.results["rotated"] != "true" {
		t.Fatalf("action results %v", u.tools.results)
	}
	// ...and are nowhere else.
	var where []string
	scan := func(what, text string) {
		for _, s := range sentinels {
			if strings.Contains(text, s) {
				where = append(where, what+" holds "+s)
			}
		}
	}
	pebbleSpans := 0
	for _, s := range spans {
		if strings.HasPrefix(s.Name(), "pebble ") {
			pebbleSpans++
		}
		scan("span name", s.Name())
		scan("span status", s.Status().Description)
		for _, kv := range s.Attributes() {
			scan("attribute "+string(kv.Key)+" of "+s.Name(), kv.Value.Emit())
		}
		for _, e := range s.Events() {
			scan("event "+e.Name, e.Name)
			for _, kv := range e.Attributes {
				scan("event attribute "+string(kv.Key), kv.Value.Emit())
			}
		}
	}
	for _, l := range u.tools.logs {
		scan("juju-log", l)
	}
	for _, argv := range u.tools.argv {
		scan("argv of "+argv[0], strings.Join(argv, " "))
	}
	files := 0
	err := filepath.WalkDir(u.dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		files++
		scan("file "+filepath.Base(p), string(b))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(u.dir, tracing.BufferFile)); err != nil {
		t.Fatalf("no trace buffer: %v", err)
	}
	// pebble-ready 3, config-changed 3, rotate-key 2 (Exec, Wait), pause-monitoring 1.
	if pebbleSpans != 9 {
		t.Errorf("%d pebble spans, want 9", pebbleSpans)
	}
	if len(where) > 0 {
		t.Fatalf("sentinels leaked:\n%s", strings.Join(where, "\n"))
	}
	t.Logf("scanned %d spans, %d log lines, %d argv, %d files", len(spans), len(u.tools.logs), len(u.tools.argv), files)
}
