package buffer

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

func openPath(t *testing.T, path string, opts ...Option) *Buffer {
	t.Helper()
	b, err := Open(path, opts...)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { b.Close() })
	return b
}

// A drain in one handle read rows 1-3 and posted them; meanwhile another handle (another
// process, or eviction) emptied the table and stored a new row. The first drain's
// Remove, Drop or Split of the rows it posted must not touch the new one.
func TestRowIDsAreNeverReused(t *testing.T) {
	ctx := context.Background()
	for _, op := range []string{"remove", "drop", "split"} {
		t.Run(op, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), ".tracing-data.db")
			drain, other := openPath(t, path), openPath(t, path)
			var posted []int64
			for i := range 3 {
				posted = append(posted, mustPush(t, drain, fmt.Appendf(nil, "sent-%d", i)))
			}
			if err := other.Remove(ctx, posted...); err != nil {
				t.Fatal(err)
			}
			fresh := mustPush(t, other, []byte("never sent"))
			for _, id := range posted {
				if id == fresh {
					t.Errorf("the new row got id %d, the id of a row a drain has in flight", fresh)
				}
			}
			var err error
			switch op {
			case "remove":
				err = drain.Remove(ctx, posted...)
			case "drop":
				for _, id := range posted {
					err = errors.Join(err, drain.Drop(ctx, id, "http_400"))
				}
			case "split":
				for _, id := range posted {
					ids, serr := drain.Split(ctx, id, [][]byte{[]byte("a"), []byte("b")})
					err = errors.Join(err, serr)
					if len(ids) != 0 {
						t.Errorf("split of gone row %d made rows %v", id, ids)
					}
				}
			}
			if err != nil {
				t.Fatal(err)
			}
			rows := collect(t, other)
			if len(rows) != 1 || string(rows[0].Data) != "never sent" {
				t.Fatalf("after the first drain's %s: rows %+v, want only the unsent one", op, rows)
			}
			if st, _ := other.Stats(ctx); st.Drops["http_400"] != 0 {
				t.Fatalf("drops %v: a row that was not dropped was counted", st.Drops)
			}
		})
	}
}

// The same for a file written by Python ops and adopted: ids handed out after adoption,
// by charmtrace or by ops' own INSERT, never repeat one a deleted row had.
func TestAdoptedOpsFileNeverReusesIDs(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), ".tracing-data.db")
	writeOpsBuffer(t, path)
	b := openPath(t, path)
	var ids []int64
	for _, r := range collect(t, b) {
		ids = append(ids, r.ID)
	}
	if len(ids) != 2 {
		t.Fatalf("adopted rows %v", ids)
	}
	if err := b.Remove(ctx, ids...); err != nil {
		t.Fatal(err)
	}
	b.Close()

	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	res, err := db.Exec(`INSERT INTO tracing (priority, data, mime) VALUES (10, 'x', 'application/json')`)
	if err != nil {
		t.Fatalf("ops-style insert into an adopted file: %v", err)
	}
	opsID, _ := res.LastInsertId()
	for _, id := range ids {
		if opsID == id {
			t.Fatalf("ops' insert reused id %d", id)
		}
	}
}

// A crafted or hand-edited file: rows whose columns hold the wrong types are reported
// one by one, the others still flow, and Stats still answers.
func TestMalformedRowsDoNotBlockTheOthers(t *testing.T) {
	ctx := context.Background()
	b, path := openTemp(t)
	mustPush(t, b, []byte("good-1"))
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, s := range []string{
		`INSERT INTO tracing (priority, data, mime, created) VALUES (10, x'01', 'application/x-protobuf', 'yesterday')`,
		`INSERT INTO tracing (priority, data, mime) VALUES (10, 12345, 'application/x-protobuf')`,
		`INSERT INTO tracing (priority, data, mime) VALUES ('high', x'01', 'application/x-protobuf')`,
		`INSERT INTO tracing (priority, data, mime) VALUES (50, x'01', x'ff')`,
	} {
		if _, err := db.Exec(s); err != nil {
			t.Fatal(err)
		}
	}
	mustPush(t, b, []byte("good-2"))

	check := func(t *testing.T, b *Buffer) {
		var good []string
		var bad int
		for r, err := range b.Pending(ctx) {
			if errors.Is(err, ErrMalformedRow) {
				bad++
				var me *MalformedRowError
				if !errors.As(err, &me) || me.ID != r.ID || me.Column == "" {
					t.Errorf("malformed error %v for row %d", err, r.ID)
				}
				continue
			}
			if err != nil {
				t.Fatalf("Pending: %v", err)
			}
			good = append(good, string(r.Data))
		}
		if bad != 4 || len(good) != 2 {
			t.Fatalf("pending: %d malformed, good %q; want 4 and both good rows", bad, good)
		}
		st, err := b.Stats(ctx)
		if err != nil {
			t.Fatalf("Stats: %v", err)
		}
		if st.Rows != 2 || st.Malformed != 4 {
			t.Fatalf("stats rows %d malformed %d, want 2 and 4", st.Rows, st.Malformed)
		}
	}
	check(t, b)
	t.Run("read-only", func(t *testing.T) { check(t, openPath(t, path, WithReadOnly())) })
	// A push must still find room past such rows.
	mustPush(t, b, []byte("good-3"))
	for r, err := range b.Pending(ctx) {
		if errors.Is(err, ErrMalformedRow) {
			if err := b.Drop(ctx, r.ID, DropMalformed); err != nil {
				t.Fatal(err)
			}
		}
	}
	if st, _ := b.Stats(ctx); st.Malformed != 0 || st.Drops[DropMalformed] != 4 || st.Rows != 3 {
		t.Fatalf("after dropping: %+v", st)
	}
}

// A row with a NULL in a NOT NULL column can exist only in a crafted table; the schema
// upgrade cannot copy it and counts it instead of failing the open.
func TestUpgradeCountsRowsItCannotCopy(t *testing.T) {
	path := filepath.Join(t.TempDir(), ".tracing-data.db")
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{
		`CREATE TABLE tracing (id INTEGER PRIMARY KEY, priority INTEGER, data BLOB, mime TEXT)`,
		`CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL)`,
		`INSERT INTO tracing (priority, data, mime) VALUES (10, x'01', NULL)`,
		`INSERT INTO tracing (priority, data, mime) VALUES (10, x'02', 'application/x-protobuf')`,
	} {
		if _, err := db.Exec(s); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()
	b := openPath(t, path)
	rows := collect(t, b)
	if len(rows) != 1 || rows[0].Data[0] != 2 {
		t.Fatalf("rows %+v", rows)
	}
	if st, _ := b.Stats(context.Background()); st.Drops[DropMalformed] != 1 {
		t.Fatalf("drops %v, want one malformed", st.Drops)
	}
}

// holdWriteLock makes another connection hold a write transaction on path until the
// test ends, as a sqlite3 shell with BEGIN IMMEDIATE would.
func holdWriteLock(t *testing.T, path string) {
	t.Helper()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	db.SetMaxOpenConns(1)
	tx, err := db.Begin()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(`INSERT INTO settings (key, value) VALUES ('lock', 'held')`); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		tx.Rollback()
		db.Close()
	})
}

// SQLite's busy wait ignores contexts and the busy timeout applies to each write: with the
// file locked, writes must end at the buffer's deadline (or ctx's), not add up 3 s each.
func TestLockWaitsEndAtTheDeadline(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), ".tracing-data.db")
	openPath(t, path).Close()
	start := time.Now()
	b := openPath(t, path, WithBusyTimeout(3*time.Second), WithDeadline(start.Add(300*time.Millisecond)))
	holdWriteLock(t, path)
	for i := range 4 {
		if _, err := b.Push(ctx, []byte("x"), MimeProtobuf); !errors.Is(err, ErrBusy) {
			t.Fatalf("push %d on a locked file: %v, want ErrBusy", i, err)
		}
	}
	if err := b.MarkObserved(ctx); err != nil {
		t.Logf("mark observed: %v", err)
	}
	b.SetSetting(ctx, "k", "v")
	b.Close()
	// Four writes and a setting at 3 s each would be 15 s; ended at the deadline they
	// take about 0.3 s. The bound is generous on purpose: this is not a timing test.
	if el := time.Since(start); el > 2500*time.Millisecond {
		t.Fatalf("writes on a locked file took %v, want them to end at the 300 ms deadline", el)
	}

	// A context deadline bounds a write the same way.
	b2 := openPath(t, path)
	cctx, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
	defer cancel()
	start = time.Now()
	if _, err := b2.Push(cctx, []byte("x"), MimeProtobuf); err == nil {
		t.Fatal("push on a locked file succeeded")
	}
	if el := time.Since(start); el > 2*time.Second {
		t.Fatalf("push with a 200 ms context took %v (the 3 s busy timeout ignored the context)", el)
	}
}

func TestLeaseIsExclusiveAndEnds(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), ".tracing-data.db")
	a, b := openPath(t, path), openPath(t, path)
	take := func(buf *Buffer, holder string, ttl time.Duration) bool {
		t.Helper()
		ok, err := buf.TakeLease(ctx, "drain", holder, ttl)
		if err != nil {
			t.Fatal(err)
		}
		return ok
	}
	if !take(a, "a", time.Minute) || take(b, "b", time.Minute) {
		t.Fatal("the lease was not exclusive")
	}
	if !take(a, "a", time.Minute) {
		t.Fatal("the holder could not renew its lease")
	}
	if err := b.ReleaseLease(ctx, "drain", "b"); err != nil || take(b, "b", time.Minute) {
		t.Fatal("a release by a non-holder ended the lease")
	}
	if err := a.ReleaseLease(ctx, "drain", "a"); err != nil || !take(b, "b", 50*time.Millisecond) {
		t.Fatal("a released lease could not be taken")
	}
	time.Sleep(100 * time.Millisecond)
	if !take(a, "a", time.Minute) {
		t.Fatal("an expired lease was still respected")
	}

	// Written while the clock was a day ahead: longer than any taker asks for, ignored.
	if err := a.SetSetting(ctx, "lease.drain", fmt.Sprintf("%d x %d", os.Getpid(), time.Now().Add(24*time.Hour).UnixMilli())); err != nil {
		t.Fatal(err)
	}
	if !take(b, "b", time.Minute) {
		t.Fatal("a lease expiring a day ahead held the drain back")
	}
	// Its holder's process is gone (killed): the lease ends at once.
	cmd := exec.Command("true")
	if err := cmd.Run(); err != nil {
		t.Skip(err)
	}
	if err := a.SetSetting(ctx, "lease.drain", fmt.Sprintf("%d x %d", cmd.Process.Pid, time.Now().Add(30*time.Second).UnixMilli())); err != nil {
		t.Fatal(err)
	}
	if !take(b, "b", time.Minute) {
		t.Fatal("the lease of a dead process held the drain back")
	}
}

func TestAddCountPersists(t *testing.T) {
	ctx := context.Background()
	b, path := openTemp(t)
	for range 2 {
		if err := b.AddCount(ctx, "rejected_spans", 3); err != nil {
			t.Fatal(err)
		}
	}
	b.Close()
	ro := openPath(t, path, WithReadOnly())
	st, err := ro.Stats(ctx)
	if err != nil || st.Counts["rejected_spans"] != 6 {
		t.Fatalf("counts %v, %v; want rejected_spans 6", st.Counts, err)
	}
}
