package state_test

import (
	"context"
	"errors"
	"math"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/charmtrace/charmtrace/state"
)

// snapshot is what a test knows about the file: the counter and the queue.
type snapshot struct {
	counter  int
	found    bool
	deferred []string // "event/handler/snapshot", oldest first
}

func read(t *testing.T, path string) snapshot {
	t.Helper()
	db, err := state.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var s snapshot
	err = dispatch(db, func(ctx context.Context, d *state.Dispatch) error {
		var err error
		if s.counter, s.found, err = state.Load[int](ctx, d, "charm", "counter"); err != nil {
			return err
		}
		return d.ForEachDeferred(ctx, func(_ int64, event, handler string, snap []byte) error {
			s.deferred = append(s.deferred, event+"/"+handler+"/"+string(snap))
			return nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestCommitKeepsChanges(t *testing.T) {
	db, path := openSeeded(t, 1)
	err := dispatch(db, func(ctx context.Context, d *state.Dispatch) error {
		if err := d.Set(ctx, "charm", "counter", 2); err != nil {
			return err
		}
		return d.AppendDeferred(ctx, "start", "onStart", []byte("s"))
	})
	if err != nil {
		t.Fatal(err)
	}
	got := read(t, path)
	if got.counter != 2 || len(got.deferred) != 1 || got.deferred[0] != "start/onStart/s" {
		t.Fatalf("after commit: %+v", got)
	}
}

func TestErrorRollsBack(t *testing.T) {
	db, path := openSeeded(t, 1)
	handlerErr := errors.New("handler failed")
	err := dispatch(db, func(ctx context.Context, d *state.Dispatch) error {
		if err := d.Set(ctx, "charm", "counter", 2); err != nil {
			return err
		}
		if err := d.AppendDeferred(ctx, "start", "onStart", nil); err != nil {
			return err
		}
		return handlerErr
	})
	if !errors.Is(err, handlerErr) {
		t.Fatalf("dispatch returned %v", err)
	}
	if got := read(t, path); got.counter != 1 || len(got.deferred) != 0 {
		t.Fatalf("after error: %+v, want counter 1 and no deferred events", got)
	}
}

func TestPanicRollsBack(t *testing.T) {
	db, path := openSeeded(t, 1)
	func() {
		defer func() {
			if recover() == nil {
				t.Fatal("no panic")
			}
		}()
		_ = dispatch(db, func(ctx context.Context, d *state.Dispatch) error {
			if err := d.Set(ctx, "charm", "counter", 2); err != nil {
				return err
			}
			panic("handler blew up")
		})
	}()
	if got := read(t, path); got.counter != 1 {
		t.Fatalf("after recovered panic: %+v, want counter 1", got)
	}
	// The lock went with the rollback: this handle can dispatch again.
	if err := dispatch(db, func(ctx context.Context, d *state.Dispatch) error {
		return d.Set(ctx, "charm", "counter", 3)
	}); err != nil {
		t.Fatal(err)
	}
	if got := read(t, path); got.counter != 3 {
		t.Fatalf("after the next dispatch: %+v, want counter 3", got)
	}
}

// TestChildProcessEndings proves the all-or-nothing rule across process
// deaths: only a child that committed changes the file.
func TestChildProcessEndings(t *testing.T) {
	for _, tc := range []struct {
		mode     string
		exit     int
		want     int
		deferred int
	}{
		{mode: "commit", exit: 0, want: 2, deferred: 1},
		{mode: "error", exit: 1, want: 1},
		{mode: "panic", exit: 2, want: 1},
	} {
		t.Run(tc.mode, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), ".unit-state.db")
			seed(t, path, 1)
			if code := runChildTo(t, tc.mode, path); code != tc.exit {
				t.Fatalf("child exit %d, want %d", code, tc.exit)
			}
			got := read(t, path)
			if got.counter != tc.want || len(got.deferred) != tc.deferred {
				t.Fatalf("after %s: %+v, want counter %d and %d deferred", tc.mode, got, tc.want, tc.deferred)
			}
			checkIntegrity(t, path)
		})
	}
}

func TestSIGKILLRollsBack(t *testing.T) {
	path := filepath.Join(t.TempDir(), ".unit-state.db")
	seed(t, path, 1)
	c := startHolder(t, path)
	// The child has written counter = 2 and holds its transaction open.
	c.kill()
	got := read(t, path)
	if got.counter != 1 || len(got.deferred) != 0 {
		t.Fatalf("after SIGKILL: %+v, want counter 1 and no deferred events", got)
	}
	checkIntegrity(t, path)
}

func TestLockContentionBetweenProcesses(t *testing.T) {
	path := filepath.Join(t.TempDir(), ".unit-state.db")
	seed(t, path, 1)
	c := startHolder(t, path)

	const wait = 200 * time.Millisecond
	db, err := state.Open(path, state.WithLockWait(wait))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	d, err := beginGuarded(t, db, context.Background())
	if err == nil {
		d.Rollback()
		t.Fatal("Begin succeeded while another process holds the lock")
	}
	if !errors.Is(err, state.ErrLocked) {
		t.Fatalf("Begin: %v, want ErrLocked", err)
	}
	for _, want := range []string{"locked", wait.String(), path} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}

	c.kill()
	d, err = beginGuarded(t, db, context.Background())
	if err != nil {
		t.Fatalf("Begin after the holder died: %v", err)
	}
	defer d.Rollback()
	if n, _, err := state.Load[int](context.Background(), d, "charm", "counter"); err != nil || n != 1 {
		t.Fatalf("counter %d, %v; want 1", n, err)
	}
}

func TestLockWaitEndsWithContext(t *testing.T) {
	path := filepath.Join(t.TempDir(), ".unit-state.db")
	seed(t, path, 1)
	startHolder(t, path)
	// A lock wait far longer than any test: only ctx can end it.
	db, err := state.Open(path, state.WithLockWait(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	_, err = beginGuarded(t, db, ctx)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Begin: %v, want context.DeadlineExceeded", err)
	}
}

func TestLockContentionInOneProcess(t *testing.T) {
	path := filepath.Join(t.TempDir(), ".unit-state.db")
	seed(t, path, 1)
	first, err := state.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer first.Close()
	second, err := state.Open(path, state.WithLockWait(0))
	if err != nil {
		t.Fatal(err)
	}
	defer second.Close()
	d, err := first.Begin(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := beginGuarded(t, second, context.Background()); !errors.Is(err, state.ErrLocked) {
		t.Fatalf("second Begin: %v, want ErrLocked", err)
	}
	if err := d.Commit(); err != nil {
		t.Fatal(err)
	}
	d2, err := beginGuarded(t, second, context.Background())
	if err != nil {
		t.Fatalf("second Begin after commit: %v", err)
	}
	d2.Rollback()
}

// beginGuarded runs Begin but fails the test, rather than hanging it, should
// Begin not return within a minute.
func beginGuarded(t *testing.T, db *state.DB, ctx context.Context) (*state.Dispatch, error) {
	t.Helper()
	type result struct {
		d   *state.Dispatch
		err error
	}
	done := make(chan result, 1)
	go func() {
		d, err := db.Begin(ctx)
		done <- result{d, err}
	}()
	select {
	case r := <-done:
		return r.d, r.err
	case <-time.After(time.Minute):
		t.Fatal("Begin hung")
		return nil, nil
	}
}

func TestDispatchAfterEnd(t *testing.T) {
	db, err := state.Open(filepath.Join(t.TempDir(), ".unit-state.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	d, err := db.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Commit(); err != nil {
		t.Fatal(err)
	}
	if err := d.Rollback(); err != nil {
		t.Errorf("Rollback after Commit: %v, want nil", err)
	}
	if err := d.Commit(); !errors.Is(err, state.ErrDone) {
		t.Errorf("second Commit: %v, want ErrDone", err)
	}
	if err := d.Set(ctx, "charm", "k", 1); !errors.Is(err, state.ErrDone) {
		t.Errorf("Set after Commit: %v, want ErrDone", err)
	}
	if _, err := d.Get(ctx, "charm", "k", new(int)); !errors.Is(err, state.ErrDone) {
		t.Errorf("Get after Commit: %v, want ErrDone", err)
	}
	if err := d.ForEachDeferred(ctx, func(int64, string, string, []byte) error { return nil }); !errors.Is(err, state.ErrDone) {
		t.Errorf("ForEachDeferred after Commit: %v, want ErrDone", err)
	}
}

func TestFirstDispatchRolledBackLeavesNoSchema(t *testing.T) {
	// The first Begin creates the tables inside its transaction; after a
	// rollback the same handle must create them again, not assume them.
	db, err := state.Open(filepath.Join(t.TempDir(), ".unit-state.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	d, err := db.Begin(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Rollback(); err != nil {
		t.Fatal(err)
	}
	if err := dispatch(db, func(ctx context.Context, d *state.Dispatch) error {
		return d.Set(ctx, "charm", "counter", 5)
	}); err != nil {
		t.Fatal(err)
	}
}

func TestValues(t *testing.T) {
	type config struct {
		Port  int               `json:"port"`
		Peers []string          `json:"peers"`
		Extra map[string]string `json:"extra"`
	}
	db, err := state.Open(filepath.Join(t.TempDir(), ".unit-state.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	want := config{Port: 8080, Peers: []string{"a/0", "a/1"}, Extra: map[string]string{"x": "y"}}
	err = dispatch(db, func(ctx context.Context, d *state.Dispatch) error {
		if err := d.Set(ctx, "charm", "config", want); err != nil {
			return err
		}
		// The same key under another owner is another value.
		if err := d.Set(ctx, "lib", "config", "other"); err != nil {
			return err
		}
		if err := d.Set(ctx, "charm", "gone", true); err != nil {
			return err
		}
		return d.Delete(ctx, "charm", "gone")
	})
	if err != nil {
		t.Fatal(err)
	}
	err = dispatch(db, func(ctx context.Context, d *state.Dispatch) error {
		got, ok, err := state.Load[config](ctx, d, "charm", "config")
		if err != nil || !ok {
			t.Fatalf("Load: %v, %v", ok, err)
		}
		if got.Port != want.Port || strings.Join(got.Peers, ",") != "a/0,a/1" || got.Extra["x"] != "y" {
			t.Errorf("Load = %+v, want %+v", got, want)
		}
		if s, ok, err := state.Load[string](ctx, d, "lib", "config"); err != nil || !ok || s != "other" {
			t.Errorf("lib/config = %q, %v, %v", s, ok, err)
		}
		if _, ok, err := state.Load[bool](ctx, d, "charm", "gone"); err != nil || ok {
			t.Errorf("deleted value: found=%v, %v", ok, err)
		}
		if n, ok, err := state.Load[int](ctx, d, "charm", "never-set"); err != nil || ok || n != 0 {
			t.Errorf("missing value = %d, %v, %v", n, ok, err)
		}
		// A stored value of the wrong shape is a clear error, not a panic.
		if _, _, err := state.Load[int](ctx, d, "charm", "config"); err == nil || !strings.Contains(err.Error(), "charm/config") {
			t.Errorf("Load[int] of an object: %v", err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestSetRefusesWhatJSONCannotHold(t *testing.T) {
	db, err := state.Open(filepath.Join(t.TempDir(), ".unit-state.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	err = dispatch(db, func(ctx context.Context, d *state.Dispatch) error {
		for name, v := range map[string]any{"nan": math.NaN(), "chan": make(chan int)} {
			if err := d.Set(ctx, "charm", name, v); err == nil {
				t.Errorf("Set(%s) succeeded", name)
			}
		}
		if err := d.Set(ctx, "charm", "", 1); err == nil {
			t.Error("Set with an empty key succeeded")
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
