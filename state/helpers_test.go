package state_test

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"

	"github.com/charmtrace/charmtrace/state"
)

// seed commits charm/counter = n to the file at path.
func seed(tb testing.TB, path string, n int) {
	tb.Helper()
	db, err := state.Open(path)
	if err != nil {
		tb.Fatal(err)
	}
	defer db.Close()
	if err := dispatch(db, func(ctx context.Context, d *state.Dispatch) error {
		return d.Set(ctx, "charm", "counter", n)
	}); err != nil {
		tb.Fatal(err)
	}
}

// openSeeded opens a fresh state file in which charm/counter = n is committed, closed
// at the end of the test.
func openSeeded(t *testing.T, n int) (*state.DB, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), ".unit-state.db")
	seed(t, path, n)
	db, err := state.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db, path
}

// dispatch runs fn the way the charm runtime does: one transaction, rolled
// back unless fn returns nil, also when fn panics.
func dispatch(db *state.DB, fn func(ctx context.Context, d *state.Dispatch) error) error {
	ctx := context.Background()
	d, err := db.Begin(ctx)
	if err != nil {
		return err
	}
	defer d.Rollback()
	if err := fn(ctx, d); err != nil {
		return err
	}
	return d.Commit()
}

// rawDB opens path with the sqlite driver directly, bypassing this package,
// the way another program (or the Python framework) would.
func rawDB(tb testing.TB, path string) *sql.DB {
	tb.Helper()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	return db
}

// checkIntegrity fails the test unless SQLite finds the file sound.
func checkIntegrity(tb testing.TB, path string) {
	tb.Helper()
	db := rawDB(tb, path)
	var res string
	if err := db.QueryRow(`PRAGMA integrity_check`).Scan(&res); err != nil {
		tb.Fatal(err)
	}
	if res != "ok" {
		tb.Fatalf("integrity_check: %s", res)
	}
	if err := db.Close(); err != nil {
		tb.Fatal(err)
	}
}
