package state_test

import (
	"context"
	"errors"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/charmtrace/charmtrace/state"
)

// DeferStore is a copy of the interface the charmhooks router defines for
// its deferred-event queue; the copy keeps this package free of that import.
type DeferStore interface {
	AppendDeferred(ctx context.Context, event, handler string, snapshot []byte) error
	ForEachDeferred(ctx context.Context, fn func(id int64, event, handler string, snapshot []byte) error) error
	DeleteDeferred(ctx context.Context, id int64) error
}

var _ DeferStore = (*state.Dispatch)(nil)

// rerun does what the router does at the start of a dispatch: re-run the
// queue in order, deleting what handle reports done and keeping the rest in
// place. It returns the events it saw, as "event/handler".
func rerun(ctx context.Context, s DeferStore, handle func(event string) (done bool)) ([]string, error) {
	var seen []string
	err := s.ForEachDeferred(ctx, func(id int64, event, handler string, _ []byte) error {
		seen = append(seen, event+"/"+handler)
		if handle(event) {
			return s.DeleteDeferred(ctx, id)
		}
		return nil
	})
	return seen, err
}

func TestDeferralOrderAcrossThreeDispatches(t *testing.T) {
	db, err := state.Open(filepath.Join(t.TempDir(), ".unit-state.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()

	// Dispatch 1: nothing queued; three handlers defer.
	var seen []string
	err = dispatch(db, func(ctx context.Context, d *state.Dispatch) error {
		if seen, err = rerun(ctx, d, func(string) bool { return true }); err != nil {
			return err
		}
		for _, e := range []string{"install", "config-changed", "db-relation-changed"} {
			if err := d.AppendDeferred(ctx, e, "on-"+e, []byte(`{"event":"`+e+`"}`)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(seen) != 0 {
		t.Fatalf("dispatch 1 re-ran %v", seen)
	}

	// Dispatch 2: install is handled; config-changed defers again (and its
	// handler re-appends it, which must not move it); db-relation-changed is
	// handled; the new event, start, defers.
	err = dispatch(db, func(ctx context.Context, d *state.Dispatch) error {
		seen, err = rerun(ctx, d, func(event string) bool {
			if event == "config-changed" {
				return false
			}
			return true
		})
		if err != nil {
			return err
		}
		if err := d.AppendDeferred(ctx, "config-changed", "on-config-changed", []byte(`{"event":"config-changed"}`)); err != nil {
			return err
		}
		return d.AppendDeferred(ctx, "start", "on-start", []byte(`{"event":"start"}`))
	})
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"install/on-install", "config-changed/on-config-changed", "db-relation-changed/on-db-relation-changed"}; !reflect.DeepEqual(seen, want) {
		t.Fatalf("dispatch 2 re-ran %v, want %v", seen, want)
	}

	// Dispatch 3: the re-deferred event keeps its place ahead of start.
	err = dispatch(db, func(ctx context.Context, d *state.Dispatch) error {
		seen, err = rerun(ctx, d, func(string) bool { return true })
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"config-changed/on-config-changed", "start/on-start"}; !reflect.DeepEqual(seen, want) {
		t.Fatalf("dispatch 3 re-ran %v, want %v", seen, want)
	}

	// All handled: the queue is empty.
	err = dispatch(db, func(ctx context.Context, d *state.Dispatch) error {
		seen, err = rerun(ctx, d, func(string) bool { return true })
		return err
	})
	if err != nil || len(seen) != 0 {
		t.Fatalf("dispatch 4 re-ran %v, %v", seen, err)
	}
}

func TestDeferredSnapshotsAndDuplicates(t *testing.T) {
	db, err := state.Open(filepath.Join(t.TempDir(), ".unit-state.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	type entry struct {
		event, handler, snap string
	}
	var got []entry
	err = dispatch(db, func(ctx context.Context, d *state.Dispatch) error {
		for _, e := range []entry{
			{"update-status", "h", ""},
			{"update-status", "h", ""}, // identical: queued once
			{"update-status", "other", ""},
			{"update-status", "h", "\x00binary\xff"},
		} {
			if err := d.AppendDeferred(ctx, e.event, e.handler, []byte(e.snap)); err != nil {
				return err
			}
		}
		// nil and empty snapshots are the same snapshot.
		if err := d.AppendDeferred(ctx, "update-status", "h", nil); err != nil {
			return err
		}
		return d.ForEachDeferred(ctx, func(_ int64, event, handler string, snap []byte) error {
			got = append(got, entry{event, handler, string(snap)})
			return nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []entry{{"update-status", "h", ""}, {"update-status", "other", ""}, {"update-status", "h", "\x00binary\xff"}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("queue %q, want %q", got, want)
	}
}

func TestForEachDeferredStopsAtError(t *testing.T) {
	db, err := state.Open(filepath.Join(t.TempDir(), ".unit-state.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	stop := errors.New("stop")
	calls := 0
	err = dispatch(db, func(ctx context.Context, d *state.Dispatch) error {
		for _, e := range []string{"a", "b", "c"} {
			if err := d.AppendDeferred(ctx, e, "h", nil); err != nil {
				return err
			}
		}
		return d.ForEachDeferred(ctx, func(int64, string, string, []byte) error {
			calls++
			if calls == 2 {
				return stop
			}
			return nil
		})
	})
	if !errors.Is(err, stop) || calls != 2 {
		t.Fatalf("ForEachDeferred: %v after %d calls, want stop after 2", err, calls)
	}
}
