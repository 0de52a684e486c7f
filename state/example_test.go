package state_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/charmtrace/charmtrace/state"
)

// runOnce is one dispatch: take the lock, read and change a value, queue a
// deferred event, commit. Nothing is kept unless Commit runs.
func runOnce(ctx context.Context, db *state.DB) error {
	d, err := db.Begin(ctx)
	if err != nil {
		return err
	}
	defer d.Rollback() // a no-op once committed

	runs, _, err := state.Load[int](ctx, d, "charm", "runs")
	if err != nil {
		return err
	}
	runs++
	if err := d.Set(ctx, "charm", "runs", runs); err != nil {
		return err
	}
	if err := d.AppendDeferred(ctx, "config-changed", "onConfigChanged", []byte(`{}`)); err != nil {
		return err
	}
	queued := 0
	if err := d.ForEachDeferred(ctx, func(int64, string, string, []byte) error {
		queued++
		return nil
	}); err != nil {
		return err
	}
	if err := d.Commit(); err != nil {
		return err
	}
	fmt.Printf("run %d, %d deferred event(s) queued\n", runs, queued)
	return nil
}

// Two dispatches on the same unit: the value carries over, and the same
// deferred event queued twice is kept once.
func Example() {
	charmDir, err := os.MkdirTemp("", "charm")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(charmDir)

	db, err := state.Open(filepath.Join(charmDir, ".unit-state.db"))
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()

	for range 2 {
		if err := runOnce(context.Background(), db); err != nil {
			log.Fatal(err)
		}
	}
	// Output:
	// run 1, 1 deferred event(s) queued
	// run 2, 1 deferred event(s) queued
}
