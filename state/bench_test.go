package state_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/charmtrace/charmtrace/state"
)

// BenchmarkDispatch measures what every hook pays: open the file, take the
// lock, check the schema, write one value, commit (journal and database
// fsynced) and close.
func BenchmarkDispatch(b *testing.B) {
	path := filepath.Join(b.TempDir(), ".unit-state.db")
	ctx := context.Background()
	seed(b, path, 1)
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		db, err := state.Open(path)
		if err != nil {
			b.Fatal(err)
		}
		d, err := db.Begin(ctx)
		if err != nil {
			b.Fatal(err)
		}
		// A new value each time: SQLite skips writing a row that is
		// unchanged, and then a commit costs no fsync at all.
		n++
		if err := d.Set(ctx, "charm", "counter", n); err != nil {
			b.Fatal(err)
		}
		if err := d.Commit(); err != nil {
			b.Fatal(err)
		}
		if err := db.Close(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDispatchReadOnly is a dispatch that reads state and the deferred
// queue but changes nothing, the common update-status case.
func BenchmarkDispatchReadOnly(b *testing.B) {
	path := filepath.Join(b.TempDir(), ".unit-state.db")
	ctx := context.Background()
	seed(b, path, 1)
	b.ReportAllocs()
	for b.Loop() {
		db, err := state.Open(path)
		if err != nil {
			b.Fatal(err)
		}
		d, err := db.Begin(ctx)
		if err != nil {
			b.Fatal(err)
		}
		if _, _, err := state.Load[int](ctx, d, "charm", "counter"); err != nil {
			b.Fatal(err)
		}
		if err := d.ForEachDeferred(ctx, func(int64, string, string, []byte) error { return nil }); err != nil {
			b.Fatal(err)
		}
		if err := d.Commit(); err != nil {
			b.Fatal(err)
		}
		if err := db.Close(); err != nil {
			b.Fatal(err)
		}
	}
}
