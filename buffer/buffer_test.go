package buffer

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

func TestOpenCreatesFileWithMode0600(t *testing.T) {
	old := syscall.Umask(0) // a permissive umask must not loosen the file
	defer syscall.Umask(old)
	b, path := openTemp(t)
	mustPush(t, b, []byte("x"))
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		if _, err := os.Stat(p); err != nil {
			if p == path {
				t.Fatal(err)
			}
			continue
		}
		if m := mode(t, p); m != 0o600 {
			t.Errorf("%s: mode %o, want 600", filepath.Base(p), m)
		}
	}
}

func TestOpenTightensLooserExistingFiles(t *testing.T) {
	_, path := openTemp(t)
	b0, _ := Open(path)
	mustPush(t, b0, []byte("keep"))
	// Leave a WAL behind: copy the files while a connection is open.
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		if err := os.Chmod(p, 0o644); err != nil && !errors.Is(err, os.ErrNotExist) {
			t.Fatal(err)
		}
	}
	b, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	defer b0.Close()
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		if _, err := os.Stat(p); err == nil {
			if m := mode(t, p); m != 0o600 {
				t.Errorf("%s: mode %o after Open, want 600", filepath.Base(p), m)
			}
		}
	}
	if rows := collect(t, b); len(rows) != 1 || string(rows[0].Data) != "keep" {
		t.Fatalf("rows after reopen = %v", rows)
	}
}

func TestOpenRefusesDirectoryAtPath(t *testing.T) {
	path := filepath.Join(t.TempDir(), ".tracing-data.db")
	if err := os.Mkdir(path, 0o700); err != nil {
		t.Fatal(err)
	}
	_, err := Open(path)
	if err == nil || !strings.Contains(err.Error(), "not a regular file") {
		t.Fatalf("Open on a directory: err = %v", err)
	}
	if fi, err := os.Stat(path); err != nil || !fi.IsDir() {
		t.Fatalf("the directory was harmed: %v", err)
	}
}

func TestOpenReadOnlyDirectoryIsClearError(t *testing.T) {
	dir := t.TempDir()
	want := os.ErrPermission
	if os.Geteuid() == 0 {
		// Root ignores directory modes: a read-only file system refuses root too.
		if err := syscall.Mount("tmpfs", dir, "tmpfs", syscall.MS_RDONLY, "size=64k"); err != nil {
			t.Skipf("root, and cannot mount a read-only tmpfs: %v", err)
		}
		t.Cleanup(func() { syscall.Unmount(dir, syscall.MNT_DETACH) })
		want = syscall.EROFS
	} else {
		if err := os.Chmod(dir, 0o500); err != nil {
			t.Fatal(err)
		}
		defer os.Chmod(dir, 0o700)
	}
	_, err := Open(filepath.Join(dir, ".tracing-data.db"))
	if err == nil || !errors.Is(err, want) || !strings.Contains(err.Error(), ".tracing-data.db") {
		t.Fatalf("err = %v, want a %v error naming the file", err, want)
	}
}

func TestOpenMovesCorruptFileAside(t *testing.T) {
	for name, content := range map[string][]byte{
		"garbage":   bytes.Repeat([]byte("not a database "), 400),
		"truncated": nil, // filled below from a real buffer
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, ".tracing-data.db")
			if content == nil {
				b, err := Open(path)
				if err != nil {
					t.Fatal(err)
				}
				for range 20 {
					mustPush(t, b, bytes.Repeat([]byte{7}, 8000))
				}
				b.Close()
				raw, _ := os.ReadFile(path)
				content = append([]byte(nil), raw[:100]...) // header survives, pages do not
				content = append(content, bytes.Repeat([]byte{0xff}, 5000)...)
			}
			if err := os.WriteFile(path, content, 0o600); err != nil {
				t.Fatal(err)
			}
			b, err := Open(path)
			if err != nil {
				t.Fatalf("Open: %v", err)
			}
			defer b.Close()
			w := b.Warnings()
			if len(w) != 1 || !strings.Contains(w[0], "moved it to") {
				t.Fatalf("warnings = %q", w)
			}
			moved, _ := filepath.Glob(path + ".corrupt-*")
			if len(moved) != 1 {
				t.Fatalf("moved-aside files: %v", moved)
			}
			if got, _ := os.ReadFile(moved[0]); !bytes.Equal(got, content) {
				t.Fatal("the damaged file was not kept as it was")
			}
			mustPush(t, b, []byte("fresh"))
			if rows := collect(t, b); len(rows) != 1 {
				t.Fatalf("fresh buffer rows = %d", len(rows))
			}
		})
	}
}

func TestOpenRejectsBadOptions(t *testing.T) {
	path := filepath.Join(t.TempDir(), "b.db")
	if _, err := Open(path, WithMaxBytes(1000)); err == nil {
		t.Fatal("tiny cap accepted")
	}
	if _, err := Open(path, WithBusyTimeout(0)); err == nil {
		t.Fatal("zero busy timeout accepted")
	}
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Fatal("a refused Open created the file")
	}
}

func TestClosedBufferReturnsErrClosed(t *testing.T) {
	b, _ := openTemp(t)
	b.Close()
	if _, err := b.Push(context.Background(), []byte("x"), MimeProtobuf); !errors.Is(err, ErrClosed) {
		t.Fatalf("Push after Close: %v", err)
	}
	for _, err := range b.Pending(context.Background()) {
		if !errors.Is(err, ErrClosed) {
			t.Fatalf("Pending after Close: %v", err)
		}
	}
	if _, err := b.Stats(context.Background()); !errors.Is(err, ErrClosed) {
		t.Fatalf("Stats after Close: %v", err)
	}
	if err := b.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
}

func TestSettingsAndDestination(t *testing.T) {
	ctx := context.Background()
	b, path := openTemp(t)
	d, err := b.Destination(ctx)
	if err != nil || d != (Destination{}) {
		t.Fatalf("fresh destination = %+v, %v", d, err)
	}
	want := Destination{URL: "https://tempo:4318/v1/traces", CA: "-----BEGIN CERTIFICATE-----\n..."}
	if changed, err := b.SetDestination(ctx, want); err != nil || !changed {
		t.Fatalf("SetDestination = %v, %v", changed, err)
	}
	if changed, err := b.SetDestination(ctx, want); err != nil || changed {
		t.Fatalf("same destination again: changed=%v err=%v", changed, err)
	}
	if err := b.SetSetting(ctx, "exporter.backoff_until", "123"); err != nil {
		t.Fatal(err)
	}
	b.Close()
	b2, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer b2.Close()
	if d, _ := b2.Destination(ctx); d != want {
		t.Fatalf("destination after reopen = %+v", d)
	}
	if v, _ := b2.Setting(ctx, "exporter.backoff_until"); v != "123" {
		t.Fatalf("setting after reopen = %q", v)
	}
	if v, _ := b2.Setting(ctx, "missing"); v != "" {
		t.Fatalf("missing setting = %q", v)
	}
}
