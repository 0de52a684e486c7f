package e2e

import (
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/charmtrace/charmtrace/internal/fakejuju"
	"github.com/charmtrace/charmtrace/internal/otlpreceiver"
	"github.com/charmtrace/charmtrace/pebble/pebbletest"
	"github.com/charmtrace/charmtrace/tracing"
)

const k8sCharmPackage = "github.com/charmtrace/charmtrace/examples/k8s"

// TestKubernetesCharmEndToEnd runs the Kubernetes example as real processes on the fake
// Juju, with a fake Pebble for its "web" container and a receiver related over
// charm-tracing: every Pebble call arrives as a span in its dispatch's trace, under the
// span that made it, and the pushed file's content, the layer's environment value and the
// exec's secret argument are in no byte the receiver got, no log line, no hook tool's argv
// and no file of the charm directory.
func TestKubernetesCharmEndToEnd(t *testing.T) {
	const (
		fileSentinel = "e2e-file-content-8c1d"
		envSentinel  = "e2e-env-value-40fa"
		argSentinel  = "e2e-secret-key-d27b"
	)
	ctx := t.Context()
	dir := t.TempDir()
	src, err := goCommand(ctx, "list", "-f", "{{.Dir}}", k8sCharmPackage)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := goCommand(ctx, "build", "-o", dir+string(filepath.Separator), k8sCharmPackage, fakeJujuPackage); err != nil {
		t.Fatal(err)
	}
	bins := Binaries{Charm: filepath.Join(dir, "k8s"), Metadata: filepath.Join(strings.TrimSpace(src), "charmcraft.yaml"),
		FakeJuju: filepath.Join(dir, "fakejuju")}

	sockets := t.TempDir()
	web, err := pebbletest.NewServer(sockets, "web")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { web.Close() })
	web.HandleExec("web-admin", func(pebbletest.ExecRequest) pebbletest.ExecResult { return pebbletest.ExecResult{} })
	recv, err := otlpreceiver.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { recv.Close() })

	u, err := NewUnit(t.TempDir(), bins, &fakejuju.State{Unit: "web-app/0", Leader: true,
		Config: map[string]any{"greeting": fileSentinel, "log-level": envSentinel}})
	if err != nil {
		t.Fatal(err)
	}
	pebbleEnv := tracing.PebbleSocketDirEnv + "=" + sockets
	dispatch := func(h Hook) {
		t.Helper()
		h.Env = append(h.Env, pebbleEnv)
		res, err := u.Dispatch(ctx, h)
		if err != nil || res.ExitCode != 0 {
			t.Fatalf("%s: exit %d, %v\n%s", h, res.ExitCode, err, res.Output)
		}
	}
	rel, err := u.Relate("charm-tracing", "tempo", []string{"tempo/0"}, map[string]string{"receivers": TempoReceivers(recv.URL())})
	if err != nil {
		t.Fatal(err)
	}
	for _, kind := range []string{"created", "joined", "changed"} {
		dispatch(relationHook(rel, kind))
	}
	dispatch(Hook{Name: "web-pebble-ready", Env: []string{"JUJU_WORKLOAD_NAME=web"}})
	dispatch(Hook{Name: "config-changed"})
	st, err := u.Tools.State()
	if err != nil {
		t.Fatal(err)
	}
	st.ActionParams = map[string]any{"key": argSentinel}
	if err := u.Tools.SetState(st); err != nil {
		t.Fatal(err)
	}
	dispatch(Hook{Name: "rotate-key", Action: true})
	dispatch(Hook{Name: "pause-monitoring", Action: true})

	if ex := web.Execs(); len(ex) != 1 || ex[0].Command[2] != argSentinel {
		t.Fatalf("the workload did not get the key: %+v", ex)
	}
	traces := tracesByRoot(t, recv.Spans())
	for root, want := range map[string]map[string]string{
		"web-pebble-ready":        {"pebble Push": "configure workload", "pebble AddLayer": "configure workload", "pebble Replan": "configure workload"},
		"config-changed":          {"pebble Push": "config-changed: config-changed", "pebble Restart": "config-changed: config-changed"},
		"action rotate-key":       {"pebble Exec": "rotate-key: rotate-key", "pebble Wait": "rotate-key: rotate-key"},
		"action pause-monitoring": {"pebble StopChecks": "pause-monitoring: pause-monitoring"},
	} {
		trs := traces[root]
		if len(trs) != 1 {
			t.Errorf("%d traces rooted at %q", len(trs), root)
			continue
		}
		tr := trs[0]
		for name, parentName := range want {
			spans := tr.named(name)
			if len(spans) != 1 {
				t.Errorf("%s: %d spans %q", root, len(spans), name)
				continue
			}
			s := spans[0]
			parent := tr.spans[hex.EncodeToString(s.Span.GetParentSpanId())]
			if parent.Span.GetName() != parentName || !tr.descendsFromRoot(s) {
				t.Errorf("%s: %s has parent %q, want %q", root, name, parent.Span.GetName(), parentName)
			}
			if name == "pebble StopChecks" && (len(s.Span.GetEvents()) != 1 || s.Span.GetEvents()[0].GetName() != "sys_monitor_disabled") {
				t.Errorf("pebble StopChecks events %v", s.Span.GetEvents())
			}
		}
	}

	var where []string
	scan := func(what string, b []byte) {
		for _, s := range []string{fileSentinel, envSentinel, argSentinel} {
			if strings.Contains(string(b), s) {
				where = append(where, what+" holds "+s)
			}
		}
	}
	for i, r := range recv.Requests() {
		scan(fmt.Sprintf("request %d", i), r.Body)
	}
	st, err = u.Tools.State()
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range st.Logs {
		scan("juju-log", []byte(l.Message))
	}
	calls, err := u.Tools.Calls()
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range calls {
		scan("argv of "+c.Tool, []byte(strings.Join(c.Args, " ")))
	}
	for name, b := range readCharmDir(t, u.CharmDir) {
		scan("file "+name, b)
	}
	if len(recv.Requests()) == 0 {
		t.Fatal("the receiver got nothing")
	}
	if len(where) > 0 {
		t.Fatalf("sentinels leaked:\n%s", strings.Join(where, "\n"))
	}
	if _, err := os.Stat(u.BufferPath()); err != nil {
		t.Fatal(err)
	}
}
