package buffer

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// ageLog dates the main file back past keepLogFor, as if its last checkpoint were old:
// the next Close then checkpoints.
func ageLog(t *testing.T, path string) {
	t.Helper()
	old := time.Now().Add(-2 * keepLogFor)
	if err := os.Chtimes(path, old, old); err != nil {
		t.Fatal(err)
	}
}

func logSize(t *testing.T, path string) int64 {
	t.Helper()
	fi, err := os.Stat(path + "-wal")
	if os.IsNotExist(err) {
		return -1
	}
	if err != nil {
		t.Fatal(err)
	}
	return fi.Size()
}

func TestCloseLeavesASmallYoungLogForTheNextProcess(t *testing.T) {
	b, path := openTemp(t, WithLogKept())
	mustPush(t, b, []byte("first"))
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	if n := logSize(t, path); n <= 0 {
		t.Fatalf("log after close: %d bytes, want the log kept", n)
	}
	// The next opener reads the row from the log, appends to it, and sees both.
	b2, err := Open(path, WithLogKept())
	if err != nil {
		t.Fatal(err)
	}
	mustPush(t, b2, []byte("second"))
	if err := b2.Close(); err != nil {
		t.Fatal(err)
	}
	b3, err := Open(path, WithReadOnly())
	if err != nil {
		t.Fatal(err)
	}
	defer b3.Close()
	rows := collect(t, b3)
	if len(rows) != 2 || !bytes.Equal(rows[0].Data, []byte("first")) || !bytes.Equal(rows[1].Data, []byte("second")) {
		t.Fatalf("rows = %v", rows)
	}
}

func TestCloseCheckpointsWhenTheLogIsOldOrLarge(t *testing.T) {
	t.Run("old", func(t *testing.T) {
		b, path := openTemp(t, WithLogKept())
		mustPush(t, b, []byte("row"))
		ageLog(t, path)
		if err := b.Close(); err != nil {
			t.Fatal(err)
		}
		if n := logSize(t, path); n != -1 {
			t.Fatalf("log after close: %d bytes, want it checkpointed and removed", n)
		}
	})
	t.Run("large", func(t *testing.T) {
		b, path := openTemp(t, WithLogKept())
		mustPush(t, b, bytes.Repeat([]byte("x"), keepLogBytes+1))
		if err := b.Close(); err != nil {
			t.Fatal(err)
		}
		if n := logSize(t, path); n != -1 {
			t.Fatalf("log after close: %d bytes, want it checkpointed and removed", n)
		}
	})
	t.Run("clock went back", func(t *testing.T) {
		b, path := openTemp(t, WithLogKept())
		mustPush(t, b, []byte("row"))
		future := time.Now().Add(time.Hour)
		if err := os.Chtimes(path, future, future); err != nil {
			t.Fatal(err)
		}
		if err := b.Close(); err != nil {
			t.Fatal(err)
		}
		if n := logSize(t, path); n != -1 {
			t.Fatalf("log after close: %d bytes, want it checkpointed and removed", n)
		}
	})
}

// Removed rows are zeroed in the main file by secure_delete, but the log holds whole
// pages as they were before: a sent batch must not linger there past the dispatch.
func TestCloseCheckpointsAfterRowsWereRemoved(t *testing.T) {
	b, path := openTemp(t, WithLogKept())
	secret := []byte("sentinel-span-payload-0xC0FFEE")
	id := mustPush(t, b, secret)
	if err := b.Remove(context.Background(), id); err != nil {
		t.Fatal(err)
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	if n := logSize(t, path); n != -1 {
		t.Fatalf("log after close: %d bytes, want it checkpointed and removed", n)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(data, secret) {
		t.Fatal("a removed row's bytes are still in the file")
	}
}

// Without WithLogKept, Close leaves one self-contained file, as a tool that copies the
// buffer afterwards expects: the log is folded into it and removed.
func TestCloseWithoutLogKeptLeavesOneFile(t *testing.T) {
	b, path := openTemp(t)
	mustPush(t, b, []byte("row"))
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	if n := logSize(t, path); n != -1 {
		t.Fatalf("log after close: %d bytes, want it checkpointed and removed", n)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	copyPath := filepath.Join(t.TempDir(), "copy.db")
	if err := os.WriteFile(copyPath, data, 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := Open(copyPath, WithReadOnly())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if rows := collect(t, c); len(rows) != 1 || string(rows[0].Data) != "row" {
		t.Fatalf("the copied main file holds %v", rows)
	}
}
