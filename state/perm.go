package state

import (
	"errors"
	"fmt"
	"io/fs"

	"github.com/charmtrace/charmtrace/internal/privfile"
)

// ErrSymlink reports a symbolic link at the state file or one of its sidecars. Open
// refuses it rather than follow it (a chmod or SQLite's writes would land on the link's
// target) or move it aside (the charm's state is never discarded behind its back); the
// link and its target are left as they are for an operator to look at.
var ErrSymlink = errors.New("state: symbolic link refused")

// sidecarSuffixes are the files SQLite keeps beside a database. A leftover
// one (e.g. a hot journal from a killed Python dispatch) carries database
// pages, so it gets the same mode as the database.
var sidecarSuffixes = [...]string{"-journal", "-wal", "-shm"}

// ensurePrivate creates path with O_EXCL and mode 0600 when it is missing, so
// there is no window in which SQLite's default (0644 under the usual umask)
// applies. Otherwise it tightens the existing file and sidecars to 0600,
// through descriptors opened without following links. Links are checked for
// first, so that one at a sidecar is refused before anything is changed.
func ensurePrivate(path string) error {
	all := []string{path}
	for _, s := range sidecarSuffixes {
		all = append(all, path+s)
	}
	for _, p := range all {
		if privfile.IsLink(p) {
			return fmt.Errorf("%w: %s is a symbolic link; remove it, or put a regular file in its place", ErrSymlink, p)
		}
	}
	created, err := privfile.Create(path)
	if err != nil {
		return fmt.Errorf("state: create %s: %w", path, err)
	}
	for i, p := range all {
		if i == 0 && created {
			continue
		}
		err := privfile.Tighten(p)
		switch {
		case errors.Is(err, fs.ErrNotExist) && i > 0:
		case errors.Is(err, privfile.ErrSymlink): // appeared since the check above
			return fmt.Errorf("%w: %v", ErrSymlink, err)
		case err != nil:
			return fmt.Errorf("state: %w", err)
		}
	}
	return nil
}
