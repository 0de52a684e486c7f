package reliability

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
)

// mount runs mount(8) with args and returns the function that unmounts dir, which also
// runs when the test ends (before its temporary directories are removed). It skips the
// test, saying why, where mounting is not permitted (not root, or no CAP_SYS_ADMIN in
// a container).
func mount(t *testing.T, dir string, args ...string) (unmount func()) {
	t.Helper()
	out, err := exec.Command("mount", append(args, dir)...).CombinedOutput()
	if err != nil {
		t.Skipf("cannot mount here (%v: %s); this case needs root with CAP_SYS_ADMIN", err, strings.TrimSpace(string(out)))
	}
	var once sync.Once
	unmount = func() {
		once.Do(func() {
			if out, err := exec.Command("umount", dir).CombinedOutput(); err != nil {
				t.Errorf("umount %s: %v: %s", dir, err, out)
			}
		})
	}
	t.Cleanup(unmount)
	return unmount
}

// readOnly makes dir read-only in place with a read-only bind mount of itself, and
// returns the function that makes it writable again.
func readOnly(t *testing.T, dir string) (unmount func()) {
	t.Helper()
	unmount = mount(t, dir, "--bind", dir)
	if out, err := exec.Command("mount", "-o", "remount,ro,bind", dir).CombinedOutput(); err != nil {
		t.Skipf("cannot remount read-only (%v: %s)", err, out)
	}
	if err := os.WriteFile(filepath.Join(dir, ".probe"), nil, 0o600); !errors.Is(err, syscall.EROFS) {
		t.Fatalf("%s is still writable: %v", dir, err)
	}
	return unmount
}

// smallDisk puts dir on a tmpfs of size bytes, keeping what dir held (regular files
// and symlinks).
func smallDisk(t *testing.T, dir string, size int) {
	t.Helper()
	type entry struct {
		name, link string
		data       []byte
		mode       os.FileMode
	}
	var keep []entry
	des, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, de := range des {
		p := filepath.Join(dir, de.Name())
		info, err := os.Lstat(p)
		if err != nil {
			t.Fatal(err)
		}
		e := entry{name: de.Name(), mode: info.Mode().Perm()}
		switch {
		case info.Mode()&os.ModeSymlink != 0:
			e.link, err = os.Readlink(p)
		case info.Mode().IsRegular():
			e.data, err = os.ReadFile(p)
		default:
			t.Fatalf("cannot carry %s over to the tmpfs", p)
		}
		if err != nil {
			t.Fatal(err)
		}
		keep = append(keep, e)
	}
	mount(t, dir, "-t", "tmpfs", "-o", fmt.Sprintf("size=%d,mode=0755", size), "tmpfs")
	for _, e := range keep {
		p := filepath.Join(dir, e.name)
		if e.link != "" {
			err = os.Symlink(e.link, p)
		} else {
			err = os.WriteFile(p, e.data, e.mode)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
}

// fill writes a file in dir until the file system is full and returns its path.
func fill(t *testing.T, dir string) string {
	t.Helper()
	p := filepath.Join(dir, "filler")
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	block := make([]byte, 4096)
	for range 1 << 16 { // 256 MiB at most: the tmpfs is far smaller
		if _, err := f.Write(block); err != nil {
			if errors.Is(err, syscall.ENOSPC) {
				return p
			}
			t.Fatal(err)
		}
	}
	t.Fatal("the disk never filled up")
	return ""
}
