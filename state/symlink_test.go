package state_test

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/charmtrace/charmtrace/state"
)

// A symbolic link at the state file or a sidecar is refused, never followed: the target
// keeps its mode and content, and the link stays for an operator to look at.
func TestOpenRefusesSymlinks(t *testing.T) {
	for _, at := range []string{"", "-journal", "-wal", "-shm"} {
		t.Run("link at .unit-state.db"+at, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, ".unit-state.db")
			if at != "" {
				seed(t, path, 1)
				if err := os.Chmod(path, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			target := filepath.Join(t.TempDir(), "precious")
			if err := os.WriteFile(target, []byte("not yours"), 0o644); err != nil {
				t.Fatal(err)
			}
			if err := os.Symlink(target, path+at); err != nil {
				t.Fatal(err)
			}
			db, err := state.Open(path)
			if err == nil {
				db.Close()
			}
			if !errors.Is(err, state.ErrSymlink) {
				t.Fatalf("Open = %v, want ErrSymlink", err)
			}
			if fi, err := os.Stat(target); err != nil || fi.Mode().Perm() != 0o644 {
				t.Errorf("target: %v, %v; want it untouched", fi.Mode(), err)
			}
			if got, _ := os.ReadFile(target); string(got) != "not yours" {
				t.Errorf("the target was written: %q", got)
			}
			if fi, err := os.Lstat(path + at); err != nil || fi.Mode()&os.ModeSymlink == 0 {
				t.Errorf("the link is gone or replaced: %v", err)
			}
			if at != "" {
				if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o644 {
					t.Errorf("the database was changed (mode %v) before the link was refused", fi.Mode())
				}
			}
		})
	}
}
