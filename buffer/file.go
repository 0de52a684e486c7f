package buffer

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"time"
)

// sidecars are the files SQLite keeps beside the database. They hold the same data as the
// database itself, so they must be no more readable than it is.
var sidecars = []string{"-wal", "-shm", "-journal"}

// createFile makes sure path exists as a regular file with mode 0600. A new file is created
// with O_EXCL so that a file planted by someone else is never adopted with looser bits; an
// existing file (and its sidecars) is tightened to 0600.
//
// The descriptor is closed before SQLite opens the file: closing a descriptor on a file
// SQLite has open would silently drop its POSIX locks, so this must never run while a
// connection to path is open in this process.
func createFile(path string) (created bool, err error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err == nil {
		return true, f.Close()
	}
	if !errors.Is(err, fs.ErrExist) {
		return false, fmt.Errorf("buffer: create %s: %w", path, err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		return false, fmt.Errorf("buffer: %w", err)
	}
	if fi.IsDir() {
		return false, fmt.Errorf("buffer: %s is a directory, not a regular file", path)
	}
	if !fi.Mode().IsRegular() {
		return false, fmt.Errorf("buffer: %s is not a regular file (%v)", path, fi.Mode().Type())
	}
	if err := tighten(path); err != nil {
		return false, err
	}
	return false, nil
}

// tighten sets the database and any sidecar that exists to 0600 when they are looser.
func tighten(path string) error {
	for _, p := range append([]string{path}, sidecarPaths(path)...) {
		fi, err := os.Stat(p)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return fmt.Errorf("buffer: %w", err)
		}
		if fi.Mode().Perm()&^0o600 != 0 {
			if err := os.Chmod(p, 0o600); err != nil {
				return fmt.Errorf("buffer: tighten mode of %s: %w", p, err)
			}
		}
	}
	return nil
}

func sidecarPaths(path string) []string {
	out := make([]string, len(sidecars))
	for i, s := range sidecars {
		out[i] = path + s
	}
	return out
}

// moveAside renames a damaged database (and its WAL) out of the way so that a fresh one can
// be created, keeping it for whoever wants to look at it. The -shm file is derived state and
// is removed.
func moveAside(path string, now time.Time) (string, error) {
	dest := fmt.Sprintf("%s.corrupt-%s", path, now.UTC().Format("20060102T150405.000000000Z"))
	if err := os.Rename(path, dest); err != nil {
		return "", fmt.Errorf("buffer: move damaged %s aside: %w", path, err)
	}
	for _, s := range []string{"-wal", "-journal"} {
		if err := os.Rename(path+s, dest+s); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return dest, fmt.Errorf("buffer: move damaged %s aside: %w", path+s, err)
		}
	}
	if err := os.Remove(path + "-shm"); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return dest, fmt.Errorf("buffer: remove %s: %w", path+"-shm", err)
	}
	return dest, nil
}
