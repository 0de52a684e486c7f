package buffer

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"time"

	"github.com/charmtrace/charmtrace/internal/privfile"
)

// sidecars are the files SQLite keeps beside the database. They hold the same data as the
// database itself, so they must be no more readable than it is.
var sidecars = []string{"-wal", "-shm", "-journal"}

// createFile makes sure b.path exists as a regular file with mode 0600, and that no
// sidecar is looser. A new file is created with O_EXCL so that a file planted by someone
// else is never adopted with looser bits; an existing file (and its sidecars) is tightened
// to 0600 through a descriptor opened without following links.
//
// A symbolic link at any of these paths is never followed: a chmod or SQLite's writes
// would land on its target. A link at the database is moved aside with its sidecars, like
// a damaged file, and a fresh buffer is started; a link at a sidecar is moved aside alone
// (its target may hold anything; it is not this buffer's journal). Either way there is a
// warning, and the target is left untouched.
//
// The descriptors are closed before SQLite opens the file: closing a descriptor on a file
// SQLite has open would silently drop its POSIX locks, so this must never run while a
// connection to b.path is open in this process.
func (b *Buffer) createFile() error {
	path := b.path
	now := time.Now()
	if privfile.IsLink(path) {
		dest, err := setAside(path, "symlink", now)
		if err != nil {
			return err
		}
		b.warnings = append(b.warnings, fmt.Sprintf(
			"buffer: %s was a symbolic link; moved the link (its target untouched) to %s and started a fresh buffer", path, dest))
	}
	for _, p := range sidecarPaths(path) {
		if !privfile.IsLink(p) {
			continue
		}
		dest := asideName(p, "symlink", now)
		if err := os.Rename(p, dest); err != nil {
			return fmt.Errorf("buffer: move the symbolic link %s aside: %w", p, err)
		}
		b.warnings = append(b.warnings, fmt.Sprintf(
			"buffer: %s was a symbolic link; moved the link (its target untouched) to %s", p, dest))
	}
	created, err := privfile.Create(path)
	if err != nil {
		return fmt.Errorf("buffer: create %s: %w", path, err)
	}
	if !created {
		// A link that appeared since the check above is refused here, not followed.
		if err := privfile.Tighten(path); err != nil {
			return fmt.Errorf("buffer: %w", err)
		}
	}
	for _, p := range sidecarPaths(path) {
		if err := privfile.Tighten(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("buffer: %w", err)
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
// be created, keeping it for whoever wants to look at it.
func moveAside(path string, now time.Time) (string, error) {
	return setAside(path, "corrupt", now)
}

// setAside renames path and its WAL and journal to path.<why>-<time> (plus the suffix).
// The -shm file is derived state and is removed. Renaming and removing act on a link
// itself, never on its target.
func setAside(path, why string, now time.Time) (string, error) {
	dest := asideName(path, why, now)
	if err := os.Rename(path, dest); err != nil {
		return "", fmt.Errorf("buffer: move %s aside: %w", path, err)
	}
	for _, s := range []string{"-wal", "-journal"} {
		if err := os.Rename(path+s, dest+s); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return dest, fmt.Errorf("buffer: move %s aside: %w", path+s, err)
		}
	}
	if err := os.Remove(path + "-shm"); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return dest, fmt.Errorf("buffer: remove %s: %w", path+"-shm", err)
	}
	return dest, nil
}

func asideName(path, why string, now time.Time) string {
	return fmt.Sprintf("%s.%s-%s", path, why, now.UTC().Format("20060102T150405.000000000Z"))
}
