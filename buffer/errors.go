package buffer

import (
	"errors"
	"fmt"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

var (
	// ErrTooLarge is returned by Push for a chunk larger than the cap. The chunk is not
	// stored and is counted under the drop reason "too_large".
	ErrTooLarge = errors.New("buffer: chunk larger than the buffer cap")
	// ErrClosed is returned by every method after Close.
	ErrClosed = errors.New("buffer: closed")
	// ErrDiskFull wraps SQLite's "database or disk is full" so a caller can degrade on it.
	ErrDiskFull = errors.New("disk full")
	// ErrIO wraps SQLite's I/O errors (a failed write or sync, a file over the process's
	// size limit).
	ErrIO = errors.New("disk I/O error")
	// ErrCorrupt wraps SQLite's corruption errors on a file that opened fine.
	ErrCorrupt = errors.New("database file is damaged")
	// ErrBusy means another connection held the lock for longer than the busy timeout.
	ErrBusy = errors.New("database is locked by another process")
)

// sqliteCode returns the primary SQLite result code of err, or 0.
func sqliteCode(err error) int {
	var se *sqlite.Error
	if errors.As(err, &se) {
		return se.Code() & 0xff
	}
	return 0
}

// classify attaches one of the package's sentinel errors to a SQLite error so callers can
// test with errors.Is without knowing SQLite's codes.
func classify(err error) error {
	if err == nil {
		return nil
	}
	var kind error
	switch sqliteCode(err) {
	case sqlite3.SQLITE_FULL:
		kind = ErrDiskFull
	case sqlite3.SQLITE_IOERR:
		kind = ErrIO
	case sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB:
		kind = ErrCorrupt
	case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED:
		kind = ErrBusy
	default:
		return err
	}
	if errors.Is(err, kind) {
		return err
	}
	return fmt.Errorf("%w: %w", kind, err)
}

// isDamaged reports whether err says the file is not a usable database.
func isDamaged(err error) bool {
	switch sqliteCode(err) {
	case sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB:
		return true
	}
	return false
}
