package main

import (
	"archive/tar"
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/charmtrace/charmtrace/internal/fakejujucli"
)

// TestFakeJujuCLI is not a test: it is the fake juju command, when the test binary is
// started as one (see fakejujucli.Install).
func TestFakeJujuCLI(t *testing.T) {
	if os.Getenv(fakejujucli.EnvHelper) != "1" {
		t.Skip("the fake juju command's entry point")
	}
	args := os.Args
	if i := slices.Index(args, "--"); i >= 0 {
		args = args[i+1:]
	}
	os.Exit(fakejujucli.Main(args, os.Stdout, os.Stderr))
}

// fakeModel installs the fake juju command for a model of modelType ("iaas" or "caas")
// holding units, puts it first on PATH, and points TMPDIR at a directory of the test's
// own, so that tests can check that nothing is left behind there.
func fakeModel(t *testing.T, modelType string, units ...string) *fakejujucli.Config {
	t.Helper()
	dir := t.TempDir()
	cfg := &fakejujucli.Config{
		Model: "dev", ModelType: modelType, Units: units,
		Root: filepath.Join(dir, "units"), Log: filepath.Join(dir, "calls.log"),
	}
	env, err := fakejujucli.Install(dir, os.Args[0], "TestFakeJujuCLI", cfg)
	if err != nil {
		t.Fatal(err)
	}
	for _, kv := range env {
		k, v, _ := strings.Cut(kv, "=")
		t.Setenv(k, v)
	}
	tmp := filepath.Join(dir, "localtmp")
	if err := os.Mkdir(tmp, 0o700); err != nil {
		t.Fatal(err)
	}
	t.Setenv("TMPDIR", tmp)
	return cfg
}

// seedBuffer writes two dispatches into the unit's buffer, as its charm would.
func seedBuffer(t *testing.T, cfg *fakejujucli.Config, unit string) string {
	t.Helper()
	path := filepath.Join(cfg.CharmDir(unit), ".tracing-data.db")
	mustWriteDispatches(t, path, dispatch{event: "install"}, dispatch{event: "start", at: 1e9})
	return path
}

// assertNothingLeft fails if a copy is left in the local temporary directory or in any
// unit's /tmp.
func assertNothingLeft(t *testing.T, cfg *fakejujucli.Config) {
	t.Helper()
	dirs := []string{os.Getenv("TMPDIR")}
	for _, u := range cfg.Units {
		dirs = append(dirs, filepath.Join(cfg.UnitRoot(u), "tmp"))
	}
	for _, d := range dirs {
		ents, err := os.ReadDir(d)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range ents {
			t.Errorf("left behind: %s", filepath.Join(d, e.Name()))
		}
	}
}

func calls(t *testing.T, cfg *fakejujucli.Config) [][]string {
	t.Helper()
	c, err := cfg.Calls()
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// callsOf returns the calls of one juju subcommand.
func callsOf(t *testing.T, cfg *fakejujucli.Config, sub string) [][]string {
	var out [][]string
	for _, c := range calls(t, cfg) {
		if len(c) > 0 && c[0] == sub {
			out = append(out, c)
		}
	}
	return out
}

func TestTreeUnitMachine(t *testing.T) {
	cfg := fakeModel(t, "iaas", "my-app/0")
	seedBuffer(t, cfg, "my-app/0")

	code, stdout, stderr := runCLI(t, "tree", "--unit", "my-app/0", "-m", "ctl:dev")
	if code != 0 {
		t.Fatalf("exit %d, stderr:\n%s", code, stderr)
	}
	for _, want := range []string{"install", "start", "secret-get"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("tree output lacks %q:\n%s", want, stdout)
		}
	}
	if !strings.Contains(stderr, "my-app/0: copying .tracing-data.db from /var/lib/juju/agents/unit-my-app-0/charm") {
		t.Errorf("no progress line for the unit:\n%s", stderr)
	}
	got := calls(t, cfg)
	if len(got) != 3 || got[0][0] != "status" || got[1][0] != "exec" || got[2][0] != "ssh" {
		t.Fatalf("juju calls = %q, want status, exec, ssh", got)
	}
	for _, c := range got {
		if c[1] != "-m" || c[2] != "ctl:dev" {
			t.Errorf("juju %s without -m ctl:dev: %q", c[0], c)
		}
	}
	exec := got[1]
	if !slices.Contains(exec, "--parallel=false") || !slices.Contains(exec, "my-app/0") {
		t.Errorf("exec does not run under the hook lock on my-app/0: %q", exec)
	}
	if !strings.Contains(exec[len(exec)-1], "/var/lib/juju/agents/unit-my-app-0/charm") {
		t.Errorf("exec does not copy from the machine unit's charm dir: %q", exec[len(exec)-1])
	}
	ssh := got[2]
	if slices.Contains(ssh, "--container") || !strings.HasPrefix(ssh[len(ssh)-1], "sudo -n ") || !slices.Contains(ssh, "--pty=false") {
		t.Errorf("ssh to a machine unit: %q, want sudo -n, --pty=false, no --container", ssh)
	}
	assertNothingLeft(t, cfg)
}

func TestTreeUnitKubernetes(t *testing.T) {
	cfg := fakeModel(t, "caas", "my-app/3")
	seedBuffer(t, cfg, "my-app/3")

	code, stdout, stderr := runCLI(t, "tree", "--unit=my-app/3", "--event", "start")
	if code != 0 {
		t.Fatalf("exit %d, stderr:\n%s", code, stderr)
	}
	if !strings.Contains(stdout, "start") || strings.Contains(stdout, "install") {
		t.Errorf("tree --event start on the copy:\n%s", stdout)
	}
	ssh := callsOf(t, cfg, "ssh")
	if len(ssh) != 1 {
		t.Fatalf("ssh calls: %q", ssh)
	}
	c := ssh[0]
	if i := slices.Index(c, "--container"); i < 0 || c[i+1] != "charm" || strings.Contains(c[len(c)-1], "sudo") {
		t.Errorf("ssh to a Kubernetes unit: %q, want --container charm and no sudo", c)
	}
	exec := callsOf(t, cfg, "exec")
	if len(exec) != 1 || !strings.Contains(exec[0][len(exec[0])-1], "/var/lib/juju/agents/unit-my-app-3/charm") {
		t.Errorf("exec: %q", exec)
	}
	assertNothingLeft(t, cfg)
}

func TestInspectExportSendUnit(t *testing.T) {
	cfg := fakeModel(t, "iaas", "my-app/0")
	seedBuffer(t, cfg, "my-app/0")
	before, err := os.ReadFile(filepath.Join(cfg.CharmDir("my-app/0"), ".tracing-data.db"))
	if err != nil {
		t.Fatal(err)
	}

	code, stdout, stderr := runCLI(t, "inspect", "--json", "--unit", "my-app/0")
	if code != 0 || !strings.Contains(stdout, `"rows": 6`) {
		t.Errorf("inspect --unit: exit %d\n%s\n%s", code, stdout, stderr)
	}
	code, stdout, stderr = runCLI(t, "export", "--unit", "my-app/0")
	if code != 0 || strings.Count(stdout, "\n") != 6 {
		t.Errorf("export --unit: exit %d, %d lines\n%s", code, strings.Count(stdout, "\n"), stderr)
	}
	// send without --keep deletes what it delivered, from the copy: the unit's file stays.
	code, _, stderr = runCLI(t, "send", "--unit", "my-app/0", "--url", "http://127.0.0.1:1/v1/traces", "--timeout", "2s")
	if code != exitPartial {
		t.Errorf("send to a closed port: exit %d, want %d\n%s", code, exitPartial, stderr)
	}
	after, err := os.ReadFile(filepath.Join(cfg.CharmDir("my-app/0"), ".tracing-data.db"))
	if err != nil || string(after) != string(before) {
		t.Errorf("the unit's buffer changed (err %v)", err)
	}
	assertNothingLeft(t, cfg)
}

func TestPullApplication(t *testing.T) {
	cfg := fakeModel(t, "caas", "my-app/0", "my-app/1", "other/0")
	seedBuffer(t, cfg, "my-app/0")
	seedBuffer(t, cfg, "my-app/1")
	out := t.TempDir()

	code, stdout, stderr := runCLI(t, "pull", "-o", out, "my-app")
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	for _, u := range []string{"my-app/0", "my-app/1"} {
		if !strings.Contains(stderr, u+": ") || !strings.Contains(stderr, "integrity ok") {
			t.Errorf("no progress line for %s:\n%s", u, stderr)
		}
	}
	ents, _ := os.ReadDir(out)
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	want := []string{"my-app-0.tracing-data.db", "my-app-1.tracing-data.db"}
	if !slices.Equal(names, want) {
		t.Fatalf("pulled %q, want %q (and nothing else)", names, want)
	}
	for _, n := range want {
		p := filepath.Join(out, n)
		if !strings.Contains(stdout, p) {
			t.Errorf("stdout does not name %s:\n%s", p, stdout)
		}
		fi, err := os.Stat(p)
		if err != nil || fi.Mode().Perm() != 0o600 {
			t.Errorf("%s: %v, mode %v, want 0600", n, err, fi.Mode())
		}
		if rows := countRows(t, p); rows != 6 {
			t.Errorf("%s has %d rows, want 6", n, rows)
		}
	}
	if got := callsOf(t, cfg, "exec"); len(got) != 2 {
		t.Errorf("exec calls %q: one per unit of my-app, none for other/0", got)
	}
	assertNothingLeft(t, cfg)
}

// countRows opens a pulled copy as charmtrace's CLI does and decodes every row.
func countRows(t *testing.T, path string) int {
	t.Helper()
	b, err := openReadOnly(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	n := 0
	for r, err := range b.Pending(context.Background()) {
		if err != nil {
			t.Fatal(err)
		}
		if _, err := decodeRow(r); err != nil {
			t.Errorf("row %d: %v", r.ID, err)
		}
		n++
	}
	return n
}

func TestUnitFailures(t *testing.T) {
	corrupt := func(t *testing.T, cfg *fakejujucli.Config) {
		path := seedBuffer(t, cfg, "my-app/0")
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		// Keep the header, so that SQLite opens it, and wreck every page after the first.
		for i := 4096; i < len(data); i++ {
			data[i] = 0x5a
		}
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	cases := []struct {
		name   string
		setup  func(*testing.T, *fakejujucli.Config)
		args   []string
		want   []string // in stderr
		noExec bool     // the copy must not have been attempted
	}{{
		name:   "juju missing",
		setup:  func(t *testing.T, _ *fakejujucli.Config) { t.Setenv("PATH", t.TempDir()) },
		want:   []string{"the juju command is not on PATH", "snap install juju"},
		noExec: true,
	}, {
		name:   "unit not found",
		args:   []string{"tree", "--unit", "my-app/7"},
		want:   []string{"unit my-app/7 not found in the current model"},
		noExec: true,
	}, {
		name:   "application without units",
		args:   []string{"pull", "nope"},
		want:   []string{"application nope has no units"},
		noExec: true,
	}, {
		name:   "model not found",
		args:   []string{"tree", "--unit", "my-app/0", "-m", "prod"},
		want:   []string{"juju status -m prod --format json my-app/0 exited with status 1", `ERROR model "prod" not found`},
		noExec: true,
	}, {
		name: "permission denied",
		setup: func(t *testing.T, cfg *fakejujucli.Config) {
			seedBuffer(t, cfg, "my-app/0")
			setFail(t, cfg, "exec", fakejujucli.Failure{Code: 1, Stderr: "ERROR permission denied (unauthorized access)\n"})
		},
		want: []string{"exited with status 1", "ERROR permission denied (unauthorized access)"},
	}, {
		name: "ssh refused",
		setup: func(t *testing.T, cfg *fakejujucli.Config) {
			seedBuffer(t, cfg, "my-app/0")
			setFail(t, cfg, "ssh", fakejujucli.Failure{Code: 255, Stderr: "ubuntu@10.1.1.1: Permission denied (publickey).\n"})
		},
		want: []string{"juju ssh", "exited with status 255", "Permission denied (publickey)"},
	}, {
		name: "no buffer yet",
		want: []string{"unit my-app/0 has no .tracing-data.db in /var/lib/juju/agents/unit-my-app-0/charm yet"},
	}, {
		name:  "integrity check fails",
		setup: corrupt,
		want:  []string{"the copy of .tracing-data.db failed its integrity check"},
	}, {
		name: "unreadable on the unit",
		setup: func(t *testing.T, cfg *fakejujucli.Config) {
			path := seedBuffer(t, cfg, "my-app/0")
			if os.Getuid() == 0 {
				t.Skip("root reads any file")
			}
			os.Chmod(path, 0)
		},
		want: []string{"exited with status 1", "Permission denied"},
	}, {
		name:   "flag injection",
		args:   []string{"tree", "--unit", "--help"},
		want:   []string{"neither a unit"},
		noExec: true,
	}}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := fakeModel(t, "iaas", "my-app/0")
			if tc.setup != nil {
				tc.setup(t, cfg)
			}
			args := tc.args
			if args == nil {
				args = []string{"tree", "--unit", "my-app/0"}
			}
			code, stdout, stderr := runCLI(t, args...)
			t.Logf("exit %d, stderr:\n%s", code, stderr)
			if code == 0 {
				t.Fatalf("exit 0, want a failure\n%s", stdout)
			}
			if code != exitFailure && tc.name != "flag injection" {
				t.Errorf("exit %d, want %d", code, exitFailure)
			}
			for _, w := range tc.want {
				if !strings.Contains(stderr, w) {
					t.Errorf("stderr lacks %q:\n%s", w, stderr)
				}
			}
			if tc.noExec && len(callsOf(t, cfg, "exec")) > 0 {
				t.Errorf("a copy was attempted: %q", calls(t, cfg))
			}
			if os.Getenv("PATH") != "" {
				os.Chmod(filepath.Join(cfg.CharmDir("my-app/0"), ".tracing-data.db"), 0o600)
			}
			assertNothingLeft(t, cfg)
		})
	}
}

// setFail rewrites the fake's config so that sub fails with f.
func setFail(t *testing.T, cfg *fakejujucli.Config, sub string, f fakejujucli.Failure) {
	t.Helper()
	if cfg.Fail == nil {
		cfg.Fail = map[string]fakejujucli.Failure{}
	}
	cfg.Fail[sub] = f
	if err := cfg.Save(os.Getenv(fakejujucli.EnvConfig)); err != nil {
		t.Fatal(err)
	}
}

func TestTreeApplicationGoesOnAfterAFailingUnit(t *testing.T) {
	cfg := fakeModel(t, "iaas", "my-app/0", "my-app/1", "my-app/2")
	seedBuffer(t, cfg, "my-app/0")
	seedBuffer(t, cfg, "my-app/2") // my-app/1 has run no dispatch yet

	code, stdout, stderr := runCLI(t, "tree", "--unit", "my-app", "--event", "install")
	if code != exitFailure {
		t.Errorf("exit %d, want %d", code, exitFailure)
	}
	if !strings.Contains(stdout, "unit my-app/0\n") || !strings.Contains(stdout, "unit my-app/2\n") || strings.Contains(stdout, "my-app/1") {
		t.Errorf("stdout, want a header and a tree for units 0 and 2 only:\n%s", stdout)
	}
	if strings.Count(stdout, "install") < 2 {
		t.Errorf("not both units' trees:\n%s", stdout)
	}
	for _, want := range []string{"my-app/1: unit my-app/1 has no .tracing-data.db", "1 of 3 units failed"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}
	assertNothingLeft(t, cfg)
}

// A unit, or whatever answers in its place, cannot make charmtrace use a directory it
// did not make, nor write a file it did not ask for.
func TestHostileUnitAnswers(t *testing.T) {
	var evil strings.Builder
	tw := tar.NewWriter(&evil)
	tw.WriteHeader(&tar.Header{Name: "../../escaped", Mode: 0o600, Size: 4, Typeflag: tar.TypeReg})
	tw.Write([]byte("evil"))
	tw.Close()

	// The unit's buffer, as the tar on the unit would stream it, cut short.
	cfg0 := fakeModel(t, "iaas", "my-app/0")
	fi, err := os.Stat(seedBuffer(t, cfg0, "my-app/0"))
	if err != nil {
		t.Fatal(err)
	}
	var cut strings.Builder
	tw = tar.NewWriter(&cut)
	tw.WriteHeader(&tar.Header{Name: ".tracing-data.db", Mode: 0o600, Size: fi.Size(), Typeflag: tar.TypeReg})
	tw.Write(make([]byte, 100))
	tw.Flush()
	truncated := cut.String()

	for _, tc := range []struct {
		name string
		sub  string
		ans  fakejujucli.Failure
		want string
	}{
		{"copy directory not made by mktemp", "exec",
			fakejujucli.Failure{Stdout: "charmtrace-unit: dir /etc\ncharmtrace-unit: file .tracing-data.db 10 -\n"},
			`the unit reported an unexpected copy directory "/etc"`},
		{"a file that was not asked for", "exec",
			fakejujucli.Failure{Stdout: "charmtrace-unit: dir /tmp/charmtrace.abc\ncharmtrace-unit: file ../passwd 10 -\n"},
			`the unit reported an unexpected file "../passwd 10 -"`},
		{"an archive entry that was not asked for", "ssh",
			fakejujucli.Failure{Stdout: evil.String()},
			`the copy stream holds an unexpected entry "../../escaped"`},
		{"a truncated stream", "ssh",
			fakejujucli.Failure{Stdout: truncated},
			"reading the copy stream: .tracing-data.db: unexpected EOF"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := fakeModel(t, "iaas", "my-app/0")
			seedBuffer(t, cfg, "my-app/0")
			setFail(t, cfg, tc.sub, tc.ans)
			code, _, stderr := runCLI(t, "pull", "-o", t.TempDir(), "my-app/0")
			if code != exitFailure || !strings.Contains(stderr, tc.want) {
				t.Errorf("exit %d, stderr:\n%s\nwant 1 and %q", code, stderr, tc.want)
			}
			if _, err := os.Stat(filepath.Join(os.Getenv("TMPDIR"), "..", "escaped")); err == nil {
				t.Error("a file was written outside the private directory")
			}
			assertNothingLeft(t, cfg)
		})
	}
}
