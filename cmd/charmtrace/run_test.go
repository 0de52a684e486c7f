package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/charmtrace/charmtrace/internal/e2e"
	"github.com/charmtrace/charmtrace/internal/fakejuju"
)

// TestMain lets the test binary stand in for the charmtrace executable as the hook
// tools `run` installs, as main does.
func TestMain(m *testing.M) {
	if fakejuju.IsTool(filepath.Base(os.Args[0])) {
		os.Exit(fakejuju.Main(os.Args, os.Getenv, os.Stdin, os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

// mustRun runs one charmtrace command line and returns its stdout.
func mustRun(t *testing.T, args ...string) string {
	t.Helper()
	code, stdout, stderr := runCLI(t, args...)
	if code != exitOK {
		t.Fatalf("charmtrace %s: exit %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), code, stdout, stderr)
	}
	return stdout
}

// `charmtrace run` drives the example charm, built as Juju runs it, from install to a
// drained buffer: spans buffered with no receiver, the tracing relation to a loopback
// HTTPS receiver, the CA over receive-ca-cert, and the backlog delivered over TLS.
func TestRunDrivesTheExampleCharmToADrainedBuffer(t *testing.T) {
	work := t.TempDir()
	bins, err := e2e.Build(context.Background(), filepath.Join(work, "bin"))
	if err != nil {
		t.Fatal(err)
	}
	recv, caPEM, err := startDemoReceiver()
	if err != nil {
		t.Fatal(err)
	}
	defer recv.Close()
	dir := filepath.Join(work, "unit")
	mustRun(t, "run", "init", dir, "--charm", bins.Charm, "--metadata", bins.Metadata, "--leader", "log-level=debug")
	for _, hook := range []string{"install", "start"} {
		if out := mustRun(t, "run", "hook", dir, hook); !strings.Contains(out, hook+" ") || !strings.Contains(out, "exit 0") {
			t.Fatalf("hook %s printed:\n%s", hook, out)
		}
	}
	buf := filepath.Join(dir, "charm", ".tracing-data.db")
	if tree := mustRun(t, "tree", buf, "--event", "start"); !strings.Contains(tree, "render workload config") {
		t.Fatalf("tree of the buffered start:\n%s", tree)
	}

	tracingRel := strings.TrimSpace(mustRun(t, "run", "relate", dir, "charm-tracing", "tempo"))
	mustRun(t, "run", "set", dir, "app-data", tracingRel, "receivers="+e2e.TempoReceivers(recv.URL()))
	for _, kind := range []string{"created", "joined", "changed"} {
		mustRun(t, "run", "hook", dir, "charm-tracing-relation-"+kind)
	}
	if n := len(recv.Requests()); n != 0 {
		t.Fatalf("%d requests before any CA arrived", n)
	}
	caRel := strings.TrimSpace(mustRun(t, "run", "relate", dir, "receive-ca-cert", "self-signed-certificates"))
	mustRun(t, "run", "hook", dir, "receive-ca-cert-relation-created")
	caFile := filepath.Join(work, "ca.json")
	if err := os.WriteFile(caFile, []byte(e2e.CertificatesV1(caPEM)["certificates"]), 0o600); err != nil {
		t.Fatal(err)
	}
	mustRun(t, "run", "set", dir, "app-data", caRel, "certificates=@"+caFile, "version=1")
	mustRun(t, "run", "hook", dir, "receive-ca-cert-relation-joined")
	out := mustRun(t, "run", "hook", dir, "receive-ca-cert-relation-changed")
	// The drain shares each dispatch's 5 s budget with the charm: on a loaded machine
	// what is left goes with the next dispatches, as on a unit.
	for i := 0; i < 5 && !strings.Contains(out, "buffer: 0 rows waiting"); i++ {
		out = mustRun(t, "run", "hook", dir, "update-status")
	}
	if !strings.Contains(out, "buffer: 0 rows waiting") {
		t.Fatalf("the buffer did not drain:\n%s", out)
	}
	roots := map[string]bool{}
	for _, s := range recv.Spans() {
		if len(s.Span.GetParentSpanId()) == 0 {
			roots[s.Span.GetName()] = true
		}
	}
	if !roots["install"] || !roots["start"] || !roots["charm-tracing-relation-changed"] {
		t.Fatalf("the receiver got roots %v", roots)
	}

	action := mustRun(t, "run", "action", dir, "get-admin-password")
	if !strings.Contains(action, "result password: ") {
		t.Fatalf("action printed:\n%s", action)
	}
	state := mustRun(t, "run", "show", dir, "state")
	if !strings.Contains(state, `label "admin-password" owner application revision 1 keys [password]`) || strings.Contains(state, "result") {
		t.Fatalf("show state:\n%s", state)
	}
	if calls := mustRun(t, "run", "show", dir, "calls"); !strings.Contains(calls, "secret-add --label admin-password password#file=") {
		t.Fatalf("show calls:\n%s", calls)
	}
	if logs := mustRun(t, "run", "show", dir, "logs"); !strings.Contains(logs, "DEBUG Emitting Juju event install.") {
		t.Fatalf("show logs:\n%s", logs)
	}
}

// A failing hook makes the step fail, and mistakes in the command line are usage errors.
func TestRunRefusals(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "unit")
	for _, args := range [][]string{
		{"run"}, {"run", "nope"}, {"run", "init", dir}, {"run", "relate", dir},
		{"run", "hook", dir, "install", "extra"},
	} {
		if code, _, _ := runCLI(t, args...); code != exitUsage {
			t.Errorf("%v: exit %d, want %d", args, code, exitUsage)
		}
	}
	if code, _, stderr := runCLI(t, "run", "hook", dir, "install"); code != exitFailure || !strings.Contains(stderr, "not a run directory") {
		t.Errorf("hook before init: exit %d, %s", code, stderr)
	}
}
