package pebble_test

import (
	"bytes"
	"context"
	"errors"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/canonical/pebble/client"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/charmtrace/charmtrace/pebble"
	"github.com/charmtrace/charmtrace/pebble/pebbletest"
	"github.com/charmtrace/charmtrace/security"
)

// Sentinels: each is data a Pebble call carries that no span may hold.
const (
	fileSentinel  = "file-content-sentinel-91c2"
	envSentinel   = "env-value-sentinel-5d7e"
	argSentinel   = "exec-arg-sentinel-0b44"
	stdinSentinel = "stdin-sentinel-66af"
	layerSentinel = "layer-command-sentinel-c3d1"
)

const layer = `
summary: workload
services:
  web:
    override: replace
    command: /bin/web --token ` + layerSentinel + `
    startup: enabled
    environment:
      TOKEN: ` + envSentinel + `
checks:
  up:
    override: replace
    level: alive
    http:
      url: http://localhost:8080/health
`

type fixture struct {
	srv    *pebbletest.Server
	rec    *tracetest.SpanRecorder
	tp     *sdktrace.TracerProvider
	events *[]string
	pc     *pebble.Client
}

func newFixture(t *testing.T, opts ...pebble.Option) *fixture {
	t.Helper()
	dir := t.TempDir()
	srv, err := pebbletest.NewServer(dir, "workload")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	t.Cleanup(func() { tp.Shutdown(context.Background()) })
	var mu sync.Mutex
	events := new([]string)
	sec := security.New("model-uuid", "myapp/0", func(_ context.Context, level, msg string) error {
		mu.Lock()
		defer mu.Unlock()
		*events = append(*events, msg)
		return nil
	})
	opts = append([]pebble.Option{pebble.WithSocketDir(dir), pebble.WithTracerProvider(tp), pebble.WithSecurityLogger(sec)}, opts...)
	return &fixture{srv: srv, rec: rec, tp: tp, events: events, pc: pebble.New("workload", opts...)}
}

func attrs(s sdktrace.ReadOnlySpan) map[attribute.Key]attribute.Value {
	m := map[attribute.Key]attribute.Value{}
	for _, kv := range s.Attributes() {
		m[kv.Key] = kv.Value
	}
	return m
}

// spanText is everything a span would export that can carry text.
func spanText(s sdktrace.ReadOnlySpan) string {
	var b strings.Builder
	b.WriteString(s.Name() + " " + s.Status().Description)
	for _, kv := range s.Attributes() {
		b.WriteString(" " + string(kv.Key) + "=" + kv.Value.Emit())
	}
	for _, e := range s.Events() {
		b.WriteString(" " + e.Name)
		for _, kv := range e.Attributes {
			b.WriteString(" " + string(kv.Key) + "=" + kv.Value.Emit())
		}
	}
	return b.String()
}

// TestEveryCallIsASpanWithSafeAttributes runs a charm's usual Pebble calls against the
// fake daemon: each is one span "pebble <Method>" with names and paths, and no file
// content, layer content, environment value, exec argument or standard input in any.
func TestEveryCallIsASpanWithSafeAttributes(t *testing.T) {
	f := newFixture(t)
	f.srv.HandleExec("rotate-key", func(r pebbletest.ExecRequest) pebbletest.ExecResult {
		return pebbletest.ExecResult{Stdout: []byte("rotated " + r.Command[1])}
	})
	pc := f.pc

	if err := pc.Push(&client.PushOptions{Path: "/etc/web/web.yaml", Source: strings.NewReader(fileSentinel), MakeDirs: true}); err != nil {
		t.Fatal(err)
	}
	if err := pc.AddLayer(&client.AddLayerOptions{Label: "web", LayerData: []byte(layer), Combine: true}); err != nil {
		t.Fatal(err)
	}
	id, err := pc.Replan(&client.ServiceOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := pc.WaitChange(id, nil); err != nil {
		t.Fatal(err)
	}
	restart, err := pc.Restart(&client.ServiceOptions{Names: []string{"web"}})
	if err != nil {
		t.Fatal(err)
	}
	if svcs, err := pc.Services(&client.ServicesOptions{Names: []string{"web"}}); err != nil || len(svcs) != 1 || svcs[0].Current != client.StatusActive {
		t.Fatalf("Services = %+v, %v", svcs, err)
	}
	var pulled bytes.Buffer
	if err := pc.Pull(&client.PullOptions{Path: "/etc/web/web.yaml", Target: &pulled}); err != nil || pulled.String() != fileSentinel {
		t.Fatalf("Pull = %q, %v", pulled.String(), err)
	}
	if plan, err := pc.PlanBytes(nil); err != nil || !strings.Contains(string(plan), layerSentinel) {
		t.Fatalf("PlanBytes: %v", err)
	}
	var out bytes.Buffer
	p, err := pc.Exec(&client.ExecOptions{Command: []string{"/usr/bin/rotate-key", argSentinel, "--force"},
		Environment: map[string]string{"KEY": envSentinel}, Stdin: strings.NewReader(stdinSentinel), Stdout: &out})
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Wait(); err != nil {
		t.Fatal(err)
	}
	if out.String() != "rotated "+argSentinel {
		t.Fatalf("exec stdout %q", out.String())
	}
	if ex := f.srv.Execs(); len(ex) != 1 || string(ex[0].Stdin) != stdinSentinel || ex[0].Environment["KEY"] != envSentinel {
		t.Fatalf("the fake saw %+v", ex)
	}
	if checks, err := pc.Checks(&client.ChecksOptions{}); err != nil || len(checks) != 1 || checks[0].Status != client.CheckStatusUp {
		t.Fatalf("Checks = %+v, %v", checks, err)
	}
	if _, err := pc.SysInfo(); err != nil {
		t.Fatal(err)
	}

	want := []struct {
		name  string
		attrs map[attribute.Key]attribute.Value
	}{
		{"pebble Push", map[attribute.Key]attribute.Value{pebble.AttrPath: attribute.StringValue("/etc/web/web.yaml")}},
		{"pebble AddLayer", map[attribute.Key]attribute.Value{pebble.AttrLayer: attribute.StringValue("web"), pebble.AttrCombine: attribute.BoolValue(true)}},
		{"pebble Replan", map[attribute.Key]attribute.Value{pebble.AttrChange: attribute.StringValue(id)}},
		{"pebble WaitChange", map[attribute.Key]attribute.Value{pebble.AttrChange: attribute.StringValue(id), pebble.AttrChangeStatus: attribute.StringValue("Done")}},
		{"pebble Restart", map[attribute.Key]attribute.Value{pebble.AttrServices: attribute.StringSliceValue([]string{"web"}), pebble.AttrChange: attribute.StringValue(restart)}},
		{"pebble Services", map[attribute.Key]attribute.Value{pebble.AttrServices: attribute.StringSliceValue([]string{"web"})}},
		{"pebble Pull", map[attribute.Key]attribute.Value{pebble.AttrPath: attribute.StringValue("/etc/web/web.yaml")}},
		{"pebble PlanBytes", nil},
		{"pebble Exec", map[attribute.Key]attribute.Value{pebble.AttrExecutable: attribute.StringValue("rotate-key"), pebble.AttrExecArgc: attribute.IntValue(2)}},
		{"pebble Wait", map[attribute.Key]attribute.Value{pebble.AttrExecutable: attribute.StringValue("rotate-key"), pebble.AttrExecArgc: attribute.IntValue(2), pebble.AttrExitCode: attribute.IntValue(0)}},
		{"pebble Checks", nil},
		{"pebble SysInfo", nil},
	}
	spans := f.rec.Ended()
	if len(spans) != len(want) {
		var names []string
		for _, s := range spans {
			names = append(names, s.Name())
		}
		t.Fatalf("spans %q, want %d", names, len(want))
	}
	for i, s := range spans {
		if s.Name() != want[i].name || s.SpanKind() != trace.SpanKindClient || s.Status().Code != codes.Unset {
			t.Errorf("span %d: %q kind %v status %v, want %q", i, s.Name(), s.SpanKind(), s.Status(), want[i].name)
		}
		a := attrs(s)
		if a[pebble.AttrContainer].AsString() != "workload" || !strings.HasSuffix(a[pebble.AttrSocket].AsString(), "/workload/pebble.socket") ||
			"pebble "+a[pebble.AttrMethod].AsString() != s.Name() {
			t.Errorf("%s: container attributes %v", s.Name(), a)
		}
		for k, v := range want[i].attrs {
			if a[k] != v {
				t.Errorf("%s: %s = %v, want %v", s.Name(), k, a[k].Emit(), v.Emit())
			}
		}
		if n := len(a) - 3 - len(want[i].attrs); n != 0 {
			t.Errorf("%s: %d unexpected attributes: %v", s.Name(), n, a)
		}
		text := spanText(s)
		for _, sentinel := range []string{fileSentinel, envSentinel, argSentinel, stdinSentinel, layerSentinel} {
			if strings.Contains(text, sentinel) {
				t.Errorf("%s holds %s: %s", s.Name(), sentinel, text)
			}
		}
	}
}

// TestStopChecksEmitsSysMonitorDisabled: stopping a check is a security event, once per
// check actually stopped, on the call's span and in the unit log.
func TestStopChecksEmitsSysMonitorDisabled(t *testing.T) {
	f := newFixture(t)
	if err := f.pc.AddLayer(&client.AddLayerOptions{Label: "web", LayerData: []byte(layer)}); err != nil {
		t.Fatal(err)
	}
	res, err := f.pc.StopChecks(&client.ChecksActionOptions{Names: []string{"up"}})
	if err != nil || !reflect.DeepEqual(res.Changed, []string{"up"}) {
		t.Fatalf("StopChecks = %+v, %v", res, err)
	}
	if c, _ := f.srv.Check("up"); c.Status != "inactive" {
		t.Fatalf("check is %q", c.Status)
	}
	if _, err := f.pc.StopChecks(&client.ChecksActionOptions{Names: []string{"up"}}); err != nil { // already stopped
		t.Fatal(err)
	}
	if len(*f.events) != 1 || !strings.Contains((*f.events)[0], `"event": "sys_monitor_disabled:`) || !strings.Contains((*f.events)[0], `,up"`) {
		t.Fatalf("security events %q", *f.events)
	}
	spans := f.rec.Ended()
	stop := spans[1]
	if stop.Name() != "pebble StopChecks" || len(stop.Events()) != 1 || stop.Events()[0].Name != "sys_monitor_disabled" {
		t.Fatalf("span %s events %v", stop.Name(), stop.Events())
	}
	if attrs(stop)[pebble.AttrChecks].AsStringSlice()[0] != "up" {
		t.Fatalf("checks attribute %v", attrs(stop))
	}
}

// TestFailedCallsRecordTypeAndStatus: a refused call records the error's type, Pebble's
// status code and kind, and never the message (which quotes names and paths).
func TestFailedCallsRecordTypeAndStatus(t *testing.T) {
	f := newFixture(t)
	_, err := f.pc.Start(&client.ServiceOptions{Names: []string{"missing"}})
	var apiErr *client.Error
	if !errors.As(err, &apiErr) || apiErr.StatusCode != 400 {
		t.Fatalf("Start of a missing service: %v", err)
	}
	if err := f.pc.Pull(&client.PullOptions{Path: "/nope", Target: &bytes.Buffer{}}); !errors.As(err, &apiErr) || apiErr.Kind != "not-found" {
		t.Fatalf("Pull of a missing file: %v", err)
	}
	f.srv.HandleExec("false", func(pebbletest.ExecRequest) pebbletest.ExecResult { return pebbletest.ExecResult{ExitCode: 3} })
	p, err := f.pc.Exec(&client.ExecOptions{Command: []string{"false"}})
	if err != nil {
		t.Fatal(err)
	}
	var exitErr *client.ExitError
	if err := p.Wait(); !errors.As(err, &exitErr) || exitErr.ExitCode() != 3 {
		t.Fatalf("Wait: %v", err)
	}
	down := pebble.New("gone", pebble.WithSocketDir(t.TempDir()), pebble.WithTracerProvider(f.tp))
	// Not a GET: the canonical client retries those for 5 s.
	if err := down.AddLayer(&client.AddLayerOptions{Label: "x", LayerData: []byte(layer)}); err == nil {
		t.Fatal("AddLayer without a socket succeeded")
	}

	want := []map[attribute.Key]string{
		{pebble.AttrErrorType: "*client.Error", pebble.AttrStatusCode: "400"},
		{pebble.AttrErrorType: "*client.Error", pebble.AttrErrorKind: "not-found"},
		{}, // Exec itself succeeded
		{pebble.AttrErrorType: "*client.ExitError", pebble.AttrExitCode: "3"},
		{pebble.AttrErrorType: "*client.SocketNotFoundError"},
	}
	spans := f.rec.Ended()
	if len(spans) != len(want) {
		t.Fatalf("%d spans", len(spans))
	}
	for i, s := range spans {
		a := attrs(s)
		if len(want[i]) == 0 {
			if s.Status().Code != codes.Unset {
				t.Errorf("%s failed", s.Name())
			}
			continue
		}
		if s.Status().Code != codes.Error || s.Status().Description != s.Name()+" failed" {
			t.Errorf("%s status %v", s.Name(), s.Status())
		}
		for k, v := range want[i] {
			if a[k].Emit() != v {
				t.Errorf("%s: %s = %q, want %q", s.Name(), k, a[k].Emit(), v)
			}
		}
		if strings.Contains(spanText(s), "does not exist") || strings.Contains(spanText(s), "no such file") {
			t.Errorf("%s holds the error message: %s", s.Name(), spanText(s))
		}
	}
}

// TestWithContextParentsTheSpan: a call through WithContext is a child of the span in
// the context; a call without is a child of what WithParent provides.
func TestWithContextParentsTheSpan(t *testing.T) {
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	defer tp.Shutdown(context.Background())
	tracer := tp.Tracer("test")
	hctx, handler := tracer.Start(context.Background(), "handler")
	f := newFixture(t, pebble.WithTracerProvider(tp), pebble.WithParent(func() context.Context { return hctx }))

	uctx, user := tracer.Start(hctx, "configure workload")
	if _, err := f.pc.WithContext(uctx).SysInfo(); err != nil {
		t.Fatal(err)
	}
	user.End()
	if _, err := f.pc.SysInfo(); err != nil {
		t.Fatal(err)
	}
	handler.End()
	spans := rec.Ended()
	if spans[0].Parent().SpanID() != user.SpanContext().SpanID() {
		t.Errorf("call through WithContext: parent %v, want the user span", spans[0].Parent().SpanID())
	}
	if spans[2].Name() != "pebble SysInfo" || spans[2].Parent().SpanID() != handler.SpanContext().SpanID() {
		t.Errorf("context-free call: %s parent %v, want the handler span", spans[2].Name(), spans[2].Parent().SpanID())
	}
}
