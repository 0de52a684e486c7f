package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/charmtrace/charmtrace/state"
)

// seedState writes a state file as a charm would: a stored secret, a key and an event
// name carrying terminal escapes, and a deferred event re-run once. With ops, the Python
// framework's tables are there too, with one deferred notice.
func seedState(t *testing.T, path string, ops bool) {
	t.Helper()
	if ops {
		raw, err := sql.Open("sqlite", path)
		if err != nil {
			t.Fatal(err)
		}
		for _, stmt := range []string{
			`CREATE TABLE snapshot (handle TEXT PRIMARY KEY, data BLOB)`,
			`CREATE TABLE notice (sequence INTEGER PRIMARY KEY AUTOINCREMENT, event_path TEXT, observer_path TEXT, method_name TEXT)`,
			`INSERT INTO notice VALUES (NULL, 'PyCharm/on/start[3]', 'PyCharm', '_on_start')`,
		} {
			if _, err := raw.Exec(stmt); err != nil {
				t.Fatal(err)
			}
		}
		raw.Close()
	}
	db, err := state.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	for i := range 2 {
		d, err := db.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			if err := d.Set(ctx, "charm", "db-password", "s3cret-value"); err != nil {
				t.Fatal(err)
			}
			if err := d.Set(ctx, "charm", "evil\x1b[2Jkey", 1); err != nil {
				t.Fatal(err)
			}
			if err := d.AppendDeferred(ctx, "config-changed\x1b]0;owned\x07", "onConfig", []byte("snapshot-secret")); err != nil {
				t.Fatal(err)
			}
		} else if err := d.ForEachDeferred(ctx, func(int64, string, string, []byte) error { return nil }); err != nil {
			t.Fatal(err)
		}
		if err := d.Commit(); err != nil {
			t.Fatal(err)
		}
	}
}

func TestStateFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), ".unit-state.db")
	seedState(t, path, true)

	code, stdout, stderr := runCLI(t, "state", path)
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	t.Logf("state %s:\n%s", path, stdout)
	for _, want := range []string{
		"schema version 2", "deferred events: 1", `config-changed\x1b]0;owned\x07`, "onConfig",
		"stored keys: 2 (values are never shown)", "db-password", `evil\x1b[2Jkey`,
		"Python framework's deferred events (notice table): 1", "PyCharm/on/start[3]", "PyCharm._on_start",
	} {
		if !strings.Contains(stdout, want) {
			t.Errorf("output lacks %q:\n%s", want, stdout)
		}
	}
	// The re-run count and a time are on the deferred event's line.
	for _, line := range strings.Split(stdout, "\n") {
		if strings.Contains(line, "onConfig") && (!strings.HasSuffix(strings.TrimSpace(line), " 1") || !strings.Contains(line, "Z")) {
			t.Errorf("deferred line %q: want the time it was deferred and 1 re-run", line)
		}
	}
	code, js, _ := runCLI(t, "state", "--json", path)
	if code != 0 {
		t.Fatalf("--json: exit %d", code)
	}
	var v stateView
	if err := json.Unmarshal([]byte(js), &v); err != nil {
		t.Fatal(err)
	}
	if len(v.Deferred) != 1 || v.Deferred[0].ReRuns != 1 || v.Deferred[0].DeferredAt == nil || len(v.Keys) != 2 || len(v.OpsNotices) != 1 {
		t.Errorf("--json: %+v", v)
	}
	for _, out := range []string{stdout, js} {
		if strings.ContainsAny(out, "\x1b\x07") || strings.Contains(out, "secret") {
			t.Errorf("output holds a control character or a value:\n%q", out)
		}
	}
}

func TestStateFileErrors(t *testing.T) {
	dir := t.TempDir()
	notDB := filepath.Join(dir, "notes.txt")
	os.WriteFile(notDB, []byte("not a database at all, but long enough to be read as one\n"), 0o600)
	for _, args := range [][]string{{"state", filepath.Join(dir, "missing.db")}, {"state", dir}, {"state", notDB}} {
		if code, _, stderr := runCLI(t, args...); code != exitFailure || stderr == "" {
			t.Errorf("%q: exit %d, stderr %q; want 1 and a message", args, code, stderr)
		}
	}
}

// TestStateUnit reads a Kubernetes unit's state database while a dispatch holds it
// half-written: the copy carries the -journal, and opening the copy rolls the unfinished
// transaction back, so only committed state is shown.
func TestStateUnit(t *testing.T) {
	cfg := fakeModel(t, "caas", "db/0")
	path := filepath.Join(cfg.CharmDir("db/0"), ".unit-state.db")
	seedState(t, path, false)

	// A dispatch that has written but not committed, and holds the file: its -journal is
	// beside the database. The fake's exec does not wait for it (it takes the hook lock,
	// which this dispatch, unlike a real one, does not hold).
	db, err := state.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	d, err := db.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Rollback()
	if err := d.Set(ctx, "charm", "uncommitted", 1); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path + "-journal"); err != nil {
		t.Fatalf("no -journal while a dispatch is open: %v", err)
	}

	code, stdout, stderr := runCLI(t, "state", "--unit", "db/0")
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	if !strings.Contains(stdout, "db-password") || strings.Contains(stdout, "uncommitted") {
		t.Errorf("state --unit shows uncommitted state, or not the committed:\n%s", stdout)
	}
	exec := callsOf(t, cfg, "exec")
	if len(exec) != 1 || !strings.Contains(exec[0][len(exec[0])-1], "'.unit-state.db-journal'") {
		t.Errorf("exec does not copy the -journal: %q", exec)
	}
	assertNothingLeft(t, cfg)
}
