package state

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
)

// privateMode is the only mode the state file and its sidecars may have: it
// holds the charm's private state, which may include secrets.
const privateMode fs.FileMode = 0o600

// sidecarSuffixes are the files SQLite keeps beside a database. A leftover
// one (e.g. a hot journal from a killed Python dispatch) carries database
// pages, so it gets the same mode as the database.
var sidecarSuffixes = [...]string{"-journal", "-wal", "-shm"}

// ensurePrivate creates path with O_EXCL and mode 0600 when it is missing, so
// there is no window in which SQLite's default (0644 under the usual umask)
// applies. Otherwise it tightens the existing file and sidecars to 0600.
func ensurePrivate(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, privateMode)
	if err == nil {
		return f.Close()
	}
	if !errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("state: create %s: %w", path, err)
	}
	if err := tighten(path, true); err != nil {
		return err
	}
	for _, s := range sidecarSuffixes {
		if err := tighten(path+s, false); err != nil {
			return err
		}
	}
	return nil
}

// tighten sets path to privateMode if its mode differs. A missing file is an
// error only when mustExist.
func tighten(path string, mustExist bool) error {
	fi, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) && !mustExist {
		return nil
	}
	if err != nil {
		return fmt.Errorf("state: %w", err)
	}
	if !fi.Mode().IsRegular() {
		return fmt.Errorf("state: %s is not a regular file (mode %v)", path, fi.Mode())
	}
	if fi.Mode().Perm() == privateMode {
		return nil
	}
	if err := os.Chmod(path, privateMode); err != nil {
		return fmt.Errorf("state: unable to restrict %s to mode 0600: %w", path, err)
	}
	return nil
}
