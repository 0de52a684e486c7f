package privfile

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"syscall"
)

// Mode is the only mode a database file and its sidecars may have: they hold trace data
// or a charm's state, either of which may describe secrets.
const Mode fs.FileMode = 0o600

// Errors wrapped by Tighten and Create.
var (
	ErrSymlink    = errors.New("is a symbolic link")
	ErrNotRegular = errors.New("is not a regular file")
)

// Create creates path with mode 0600, failing if anything (a file, a link, even a
// dangling one) is already there: O_EXCL never follows a link. created is false, with no
// error, when something was there.
func Create(path string) (created bool, err error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY|oNoFollow, Mode)
	if errors.Is(err, fs.ErrExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return true, f.Close()
}

// Tighten makes sure path is a regular file, not a link, and sets its mode to 0600 if it
// is looser. A missing path is an error wrapping fs.ErrNotExist; a link one wrapping
// ErrSymlink (the link and its target untouched); anything else but a regular file one
// wrapping ErrNotRegular.
//
// A file already private is only looked at (lstat), never opened: closing a descriptor
// drops every POSIX lock the process holds on the file, so opening a database that another
// connection of this process has open would silently unlock it. Only a looser file is
// opened — without following a link and without blocking (a FIFO must not hang the
// caller) — checked to be the file looked at, and changed through that descriptor, so the
// file checked is the file changed.
func Tighten(path string) error {
	before, err := os.Lstat(path)
	if err != nil {
		return err
	}
	if err := checkRegular(path, before); err != nil {
		return err
	}
	if before.Mode().Perm() == Mode {
		return nil
	}
	f, err := os.OpenFile(path, os.O_RDONLY|oNoFollow|syscall.O_NONBLOCK, 0)
	if err != nil {
		if isLinkErr(err) {
			return fmt.Errorf("%s %w", path, ErrSymlink)
		}
		return err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	if err := checkRegular(path, fi); err != nil {
		return err
	}
	if !os.SameFile(before, fi) {
		return fmt.Errorf("%s was replaced while its mode was being checked", path)
	}
	if err := f.Chmod(Mode); err != nil {
		return fmt.Errorf("restrict %s to mode 0600: %w", path, err)
	}
	return nil
}

func checkRegular(path string, fi fs.FileInfo) error {
	switch {
	case fi.Mode()&fs.ModeSymlink != 0:
		return fmt.Errorf("%s %w", path, ErrSymlink)
	case !fi.Mode().IsRegular():
		return fmt.Errorf("%s %w (%v)", path, ErrNotRegular, fi.Mode().Type())
	}
	return nil
}

// IsLink reports whether path is a symbolic link (without following it).
func IsLink(path string) bool {
	fi, err := os.Lstat(path)
	return err == nil && fi.Mode()&fs.ModeSymlink != 0
}
