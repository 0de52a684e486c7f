package buffer

import (
	"context"
	"os"
	"path/filepath"
	"testing"
)

func openTemp(t testing.TB, opts ...Option) (*Buffer, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), ".tracing-data.db")
	b, err := Open(path, opts...)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { b.Close() })
	return b, path
}

func mustPush(t testing.TB, b *Buffer, data []byte) int64 {
	t.Helper()
	id, err := b.Push(context.Background(), data, MimeProtobuf)
	if err != nil {
		t.Fatalf("Push: %v", err)
	}
	return id
}

func collect(t testing.TB, b *Buffer) []Row {
	t.Helper()
	var out []Row
	for r, err := range b.Pending(context.Background()) {
		if err != nil {
			t.Fatalf("Pending: %v", err)
		}
		out = append(out, r)
	}
	return out
}

func fileSize(t testing.TB, path string) int64 {
	t.Helper()
	var n int64
	for _, p := range []string{path, path + "-wal"} {
		if fi, err := os.Stat(p); err == nil {
			n += fi.Size()
		}
	}
	return n
}

func mode(t testing.TB, path string) os.FileMode {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Mode().Perm()
}
