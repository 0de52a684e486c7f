package privfile

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

func TestTightenRefusesLinksAndChangesOnlyRegularFiles(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "target")
	if err := os.WriteFile(target, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "link")
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
	if err := Tighten(link); !errors.Is(err, ErrSymlink) {
		t.Errorf("Tighten(link) = %v, want ErrSymlink", err)
	}
	// The open itself refuses a link, not only the check before it.
	if _, err := os.OpenFile(link, os.O_RDONLY|oNoFollow, 0); !isLinkErr(err) {
		t.Errorf("open with oNoFollow = %v, want a link error", err)
	}
	if fi, _ := os.Stat(target); fi.Mode().Perm() != 0o644 {
		t.Errorf("target mode %v, want it untouched", fi.Mode())
	}
	if err := Tighten(target); err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Stat(target); fi.Mode().Perm() != Mode {
		t.Errorf("mode %v after Tighten, want 0600", fi.Mode())
	}
	if err := Tighten(filepath.Join(dir, "missing")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Tighten(missing) = %v", err)
	}
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := Tighten(fifo); !errors.Is(err, ErrNotRegular) { // and it did not block
		t.Errorf("Tighten(fifo) = %v, want ErrNotRegular", err)
	}
}

func TestCreateNeverFollowsADanglingLink(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "would-be-created")
	link := filepath.Join(dir, "link")
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
	created, err := Create(link)
	if err != nil || created {
		t.Fatalf("Create = %v, %v; want false, nil", created, err)
	}
	if _, err := os.Lstat(target); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the link's target was created: %v", err)
	}
}
