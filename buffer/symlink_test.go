package buffer

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A symbolic link at the buffer or at any of its sidecars is never followed: its target
// keeps its content and mode, the link is moved aside with a warning, and the buffer works
// on a fresh regular file.
func TestOpenNeverFollowsSymlinks(t *testing.T) {
	for _, at := range []string{"", "-wal", "-shm", "-journal"} {
		t.Run("link at .tracing-data.db"+at, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, ".tracing-data.db")
			target := filepath.Join(t.TempDir(), "precious")
			if err := os.WriteFile(target, []byte("not yours"), 0o644); err != nil {
				t.Fatal(err)
			}
			if err := os.Symlink(target, path+at); err != nil {
				t.Fatal(err)
			}
			b, err := Open(path)
			if err != nil {
				t.Fatalf("Open: %v", err)
			}
			defer b.Close()
			mustPush(t, b, []byte("span"))
			if got := len(collect(t, b)); got != 1 {
				t.Fatalf("%d rows after a push, want 1", got)
			}
			if m := mode(t, target); m != 0o644 {
				t.Errorf("the link's target was chmodded to %o", m)
			}
			if got, _ := os.ReadFile(target); string(got) != "not yours" {
				t.Errorf("the link's target was written: %q", got)
			}
			for _, p := range []string{path, path + at} {
				if fi, err := os.Lstat(p); err == nil && fi.Mode()&os.ModeSymlink != 0 {
					t.Errorf("%s is still a link", filepath.Base(p))
				}
			}
			moved, _ := filepath.Glob(path + at + ".symlink-*")
			if len(moved) != 1 {
				t.Errorf("the link was not moved aside: %v", moved)
			}
			w := b.Warnings()
			if len(w) != 1 || !strings.Contains(w[0], "symbolic link") {
				t.Errorf("warnings = %q, want one about the link", w)
			}
		})
	}
}
