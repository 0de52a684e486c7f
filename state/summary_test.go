package state_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/charmtrace/charmtrace/state"
)

func summarize(t *testing.T, path string) *state.Summary {
	t.Helper()
	s, err := state.Summarize(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestSummaryShowsQueueAndKeysNeverValues(t *testing.T) {
	db, path := openSeeded(t, 7)
	before := time.Now().Add(-time.Second)
	if err := dispatch(db, func(ctx context.Context, d *state.Dispatch) error {
		if err := d.Set(ctx, "charm", "password", "hunter2-secret"); err != nil {
			return err
		}
		return d.AppendDeferred(ctx, "config-changed", "onConfig", []byte(`{"token":"snapshot-secret"}`))
	}); err != nil {
		t.Fatal(err)
	}
	after := time.Now().Add(time.Second)
	// Two dispatches re-run the event and leave it queued (it defers again).
	for range 2 {
		if err := dispatch(db, func(ctx context.Context, d *state.Dispatch) error {
			_, err := rerun(ctx, d, func(string) bool { return false })
			return err
		}); err != nil {
			t.Fatal(err)
		}
	}
	data, _ := os.ReadFile(path)

	s := summarize(t, path)
	if s.SchemaVersion != 2 {
		t.Errorf("schema version %d, want 2", s.SchemaVersion)
	}
	if len(s.Deferred) != 1 {
		t.Fatalf("deferred %+v, want one entry", s.Deferred)
	}
	d := s.Deferred[0]
	if d.Event != "config-changed" || d.Handler != "onConfig" || d.ReRuns != 2 {
		t.Errorf("deferred %+v, want config-changed/onConfig re-run twice", d)
	}
	if d.DeferredAt.Before(before) || d.DeferredAt.After(after) {
		t.Errorf("deferred at %v, want between %v and %v", d.DeferredAt, before, after)
	}
	want := []state.KeySummary{{Owner: "charm", Key: "counter", Bytes: 1}, {Owner: "charm", Key: "password", Bytes: len(`"hunter2-secret"`)}}
	if fmt.Sprint(s.Keys) != fmt.Sprint(want) {
		t.Errorf("keys %+v, want %+v", s.Keys, want)
	}
	if dump := fmt.Sprintf("%+v", s); strings.Contains(dump, "secret") {
		t.Errorf("the summary holds a value or a snapshot: %s", dump)
	}
	if now, _ := os.ReadFile(path); !bytes.Equal(now, data) {
		t.Error("Summarize changed the file")
	}
}

func TestRerunCountRollsBackWithTheDispatch(t *testing.T) {
	db, path := openSeeded(t, 1)
	if err := dispatch(db, func(ctx context.Context, d *state.Dispatch) error {
		return d.AppendDeferred(ctx, "start", "onStart", nil)
	}); err != nil {
		t.Fatal(err)
	}
	err := dispatch(db, func(ctx context.Context, d *state.Dispatch) error {
		if _, err := rerun(ctx, d, func(string) bool { return false }); err != nil {
			return err
		}
		return errors.New("the handler failed")
	})
	if err == nil {
		t.Fatal("the failing dispatch committed")
	}
	if got := summarize(t, path).Deferred; len(got) != 1 || got[0].ReRuns != 0 {
		t.Errorf("after a rolled-back re-run: %+v, want 0 re-runs", got)
	}
}

// A file written by the first release (schema version 1) is migrated by the next
// dispatch: its queue keeps its entries, which show no time and no re-runs, and count
// re-runs from then on.
func TestMigrateFromSchemaVersion1(t *testing.T) {
	path := filepath.Join(t.TempDir(), ".unit-state.db")
	raw := rawDB(t, path)
	for _, stmt := range []string{
		`CREATE TABLE charmtrace_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID`,
		`CREATE TABLE charmtrace_value (owner TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL, PRIMARY KEY (owner, key)) WITHOUT ROWID`,
		`CREATE TABLE charmtrace_deferred (id INTEGER PRIMARY KEY AUTOINCREMENT, event TEXT NOT NULL, handler TEXT NOT NULL, snapshot BLOB NOT NULL)`,
		`INSERT INTO charmtrace_meta VALUES ('schema_version', '1')`,
		`INSERT INTO charmtrace_deferred (event, handler, snapshot) VALUES ('install', 'onInstall', x'')`,
		`INSERT INTO charmtrace_value VALUES ('charm', 'k', '1')`,
	} {
		if _, err := raw.Exec(stmt); err != nil {
			t.Fatal(err)
		}
	}
	raw.Close()
	if s := summarize(t, path); s.SchemaVersion != 1 || len(s.Deferred) != 1 || s.Deferred[0].ReRuns != 0 {
		t.Fatalf("version 1 file summarised as %+v", s)
	}

	db, err := state.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := dispatch(db, func(ctx context.Context, d *state.Dispatch) error {
		_, err := rerun(ctx, d, func(string) bool { return false })
		return err
	}); err != nil {
		t.Fatal(err)
	}
	s := summarize(t, path)
	if s.SchemaVersion != 2 || len(s.Deferred) != 1 {
		t.Fatalf("after migration: %+v", s)
	}
	if d := s.Deferred[0]; d.Event != "install" || d.ReRuns != 1 || !d.DeferredAt.IsZero() {
		t.Errorf("migrated entry %+v, want install, 1 re-run, time unknown", d)
	}
	if len(s.Keys) != 1 || s.Keys[0].Key != "k" {
		t.Errorf("keys after migration %+v", s.Keys)
	}
	checkIntegrity(t, path)
}

func TestSummarizeRefusesWhatIsNotAFile(t *testing.T) {
	dir := t.TempDir()
	for _, p := range []string{filepath.Join(dir, "missing.db"), dir} {
		if _, err := state.Summarize(context.Background(), p); err == nil {
			t.Errorf("Summarize(%s) succeeded", p)
		}
	}
}
