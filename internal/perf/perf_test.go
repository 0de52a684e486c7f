package perf

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"os/exec"
	"testing"

	_ "modernc.org/sqlite" // the observer's connection

	"github.com/charmtrace/charmtrace/internal/e2e"
	"github.com/charmtrace/charmtrace/internal/perf/internal/harness"
	"github.com/charmtrace/charmtrace/tracing"
)

// bins are the example charm and the fake hook tools, built once by TestMain.
var bins e2e.Binaries

func TestMain(m *testing.M) {
	os.Exit(runTests(m))
}

func runTests(m *testing.M) int {
	dir, err := os.MkdirTemp("", "charmtrace-perf-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	if bins, err = e2e.Build(context.Background(), dir); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return m.Run()
}

// newUnit lays out a unit of the example charm and runs its install hook, which
// creates the trace buffer.
func newUnit(t *testing.T) *e2e.Unit {
	t.Helper()
	u, err := harness.NewUnit(t.TempDir(), bins)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := harness.Dispatch(context.Background(), u, "install", nil); err != nil {
		t.Fatal(err)
	}
	return u
}

// P8, transactions: the rows of a dispatch with no destination reach the buffer in at
// most two write transactions. A reader holds a snapshot open across the dispatch, so
// that closing the buffer cannot checkpoint the WAL away, and the WAL's commit frames
// are counted.
func TestNoDestinationDispatchCommitsAtMostTwice(t *testing.T) {
	u := newInProcessUnit(t)
	run := func() {
		t.Helper()
		if status := tracing.Run(harness.Setup(1), tracing.WithGetenv(u.getenv), tracing.WithRunner(u.runner)); status != 0 {
			t.Fatalf("dispatch exited %d", status)
		}
	}
	run() // creates the buffer
	obs, err := sql.Open("sqlite", "file:"+u.bufferPath())
	if err != nil {
		t.Fatal(err)
	}
	defer obs.Close()
	tx, err := obs.Begin()
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	var rowsBefore int
	if err := tx.QueryRow(`SELECT count(*) FROM tracing`).Scan(&rowsBefore); err != nil {
		t.Fatal(err)
	}
	before, err := harness.CountWALCommits(u.bufferPath() + "-wal")
	if err != nil {
		t.Fatal(err)
	}
	run()
	after, err := harness.CountWALCommits(u.bufferPath() + "-wal")
	if err != nil {
		t.Fatal(err)
	}
	var rowsAfter int
	if err := obs.QueryRow(`SELECT count(*) FROM tracing`).Scan(&rowsAfter); err != nil {
		t.Fatal(err)
	}
	if rowsAfter <= rowsBefore {
		t.Fatalf("the dispatch stored nothing: %d rows before, %d after", rowsBefore, rowsAfter)
	}
	if commits := after - before; commits < 1 || commits > 2 {
		t.Errorf("the dispatch committed %d write transactions to the buffer, want 1 or 2", commits)
	}
}

// P8, process level: the example charm's update-status with no destination opens no
// socket and takes the buffer's write lock at most twice, as strace sees it.
func TestNoDestinationDispatchUnderStrace(t *testing.T) {
	if err := exec.Command("strace", "-o", os.DevNull, "true").Run(); err != nil {
		t.Skipf("strace cannot run here: %v", err)
	}
	c, err := harness.StraceDispatch(context.Background(), newUnit(t), "update-status")
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%+v", c)
	if c.Sockets != 0 || c.Connects != 0 {
		t.Errorf("a dispatch with no destination made %d socket and %d connect calls", c.Sockets, c.Connects)
	}
	if c.WriteTx == 0 {
		t.Error("no write transaction seen: the trace was not stored, or strace missed the locks")
	}
	if n := c.WriteTx + c.EmptyWriteTx; n > 2 {
		t.Errorf("%d write transactions (%d of them empty), want at most 2", n, c.EmptyWriteTx)
	}
}

// P9: the hook-tool calls tracing adds to a dispatch, tracing off against on, from the
// fake Juju's call log. On the hooks a unit runs all the time the reconciliation adds
// none, related or not (issue 17: Juju's relation events keep the stored view true);
// the tracing and CA relation events read their databags, at most four calls. Beyond
// that tracing logs one line per dispatch (the trace id, for jhack) and, on a healthy
// unit, no warning. The lifecycle events on which tracing re-reads every
// databag are measured too and reported by .ci/perf.sh, not held to the bound.
func TestReconciliationToolCalls(t *testing.T) {
	recv, err := harness.StartReceiver(harness.Discard, true)
	if err != nil {
		t.Fatal(err)
	}
	defer recv.Close()
	cases, err := harness.ToolCallScenario(context.Background(), t.TempDir(), bins, recv)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cases {
		t.Logf("related=%v %s: off %v, on %v", c.Related, c.Hook, c.Off, c.On)
		most := 0
		if c.Related && c.Hook != "update-status" && c.Hook != "config-changed" {
			most = 4
		}
		if c.Routine && c.AddedOther > most {
			t.Errorf("related=%v %s: tracing added %d hook-tool calls (%v), want at most %d", c.Related, c.Hook, c.AddedOther, c.Added, most)
		}
		if c.AddedLogs != 1 {
			t.Errorf("related=%v %s: tracing added %d juju-log calls, want only the trace id line", c.Related, c.Hook, c.AddedLogs)
		}
	}
	if recv.Stats().Requests == 0 {
		t.Error("the related unit sent nothing to the receiver: the destination was not followed")
	}
}
