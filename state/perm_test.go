//go:build unix

package state_test

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/charmtrace/charmtrace/state"
)

func mode(t *testing.T, path string) fs.FileMode {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Mode().Perm()
}

func TestFreshFileIs0600(t *testing.T) {
	// With umask 0, a file SQLite created itself would be 0644: only the
	// O_EXCL creation can make this 0600.
	old := syscall.Umask(0)
	defer syscall.Umask(old)

	path := filepath.Join(t.TempDir(), ".unit-state.db")
	db, err := state.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if m := mode(t, path); m != 0o600 {
		t.Fatalf("fresh file mode %v, want 0600", m)
	}
	ctx := context.Background()
	d, err := db.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Rollback()
	if err := d.Set(ctx, "charm", "password", "hunter2"); err != nil {
		t.Fatal(err)
	}
	// Mid-transaction the rollback journal exists; SQLite gives it the
	// database's mode.
	if m := mode(t, path+"-journal"); m != 0o600 {
		t.Fatalf("journal mode %v, want 0600", m)
	}
	if err := d.Commit(); err != nil {
		t.Fatal(err)
	}
	if m := mode(t, path); m != 0o600 {
		t.Fatalf("file mode after commit %v, want 0600", m)
	}
}

func TestExisting0644FileAndSidecarsTightened(t *testing.T) {
	path := filepath.Join(t.TempDir(), ".unit-state.db")
	seed(t, path, 1)
	// A dispatch killed mid-transaction leaves a hot journal behind.
	c := startHolder(t, path)
	c.kill()
	if _, err := os.Stat(path + "-journal"); err != nil {
		t.Fatalf("no hot journal after SIGKILL: %v", err)
	}
	// Make everything world-readable, as an older tool might have left it,
	// and add empty -wal and -shm files beside it.
	for _, p := range []string{path, path + "-journal"} {
		if err := os.Chmod(p, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, p := range []string{path + "-wal", path + "-shm"} {
		if err := os.WriteFile(p, nil, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, 0o644); err != nil {
			t.Fatal(err)
		}
	}

	db, err := state.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, p := range []string{path, path + "-journal", path + "-wal", path + "-shm"} {
		if m := mode(t, p); m != 0o600 {
			t.Errorf("%s mode %v after Open, want 0600", filepath.Base(p), m)
		}
	}
	// The hot journal is rolled back: the killed write is gone.
	if got := read(t, path); got.counter != 1 {
		t.Fatalf("counter %d, want 1", got.counter)
	}
	if m := mode(t, path); m != 0o600 {
		t.Errorf("file mode %v after a dispatch, want 0600", m)
	}
}

func TestOpenRefusesADirectory(t *testing.T) {
	path := filepath.Join(t.TempDir(), ".unit-state.db")
	if err := os.Mkdir(path, 0o700); err != nil {
		t.Fatal(err)
	}
	if _, err := state.Open(path); err == nil {
		t.Fatal("Open of a directory succeeded")
	}
}

func TestNotADatabase(t *testing.T) {
	path := filepath.Join(t.TempDir(), ".unit-state.db")
	junk := []byte("this is not an SQLite file, but it is long enough to have a header of sorts..........")
	if err := os.WriteFile(path, junk, 0o600); err != nil {
		t.Fatal(err)
	}
	db, err := state.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := beginGuarded(t, db, context.Background()); err == nil {
		t.Fatal("Begin on a non-SQLite file succeeded")
	}
	// The charm's state is never moved aside or rewritten.
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != string(junk) {
		t.Fatal("the file was changed")
	}
}
