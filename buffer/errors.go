package buffer

import (
	"errors"
	"fmt"
	"strings"

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
	switch code := sqliteExtendedCode(err); {
	case code&0xff == sqlite3.SQLITE_FULL, code == sqlite3.SQLITE_IOERR_SHMSIZE:
		// A full disk can also show as a failure to grow the WAL index.
		kind = ErrDiskFull
	case code&0xff == sqlite3.SQLITE_IOERR:
		kind = ErrIO
	case code&0xff == sqlite3.SQLITE_CORRUPT, code&0xff == sqlite3.SQLITE_NOTADB:
		kind = ErrCorrupt
	case code&0xff == sqlite3.SQLITE_BUSY, code&0xff == sqlite3.SQLITE_LOCKED:
		kind = ErrBusy
	default:
		return err
	}
	if errors.Is(err, kind) {
		return err
	}
	return &classified{kind: kind, err: err}
}

// classified is a SQLite error with the package's sentinel attached. It prints as
// "<kind>: <SQLite's text>", or SQLite's text alone when that says the same.
type classified struct{ kind, err error }

func (c *classified) Error() string {
	if strings.HasPrefix(c.err.Error(), c.kind.Error()) {
		return c.err.Error()
	}
	return c.kind.Error() + ": " + c.err.Error()
}

func (c *classified) Unwrap() []error { return []error{c.kind, c.err} }

func sqliteExtendedCode(err error) int {
	var se *sqlite.Error
	if errors.As(err, &se) {
		return se.Code()
	}
	return 0
}

// isDamaged reports whether err says the file is not a usable database.
func isDamaged(err error) bool {
	switch sqliteCode(err) {
	case sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB:
		return true
	}
	return false
}

// ErrMalformedRow is matched (errors.Is) by the error Pending yields for a row whose
// columns do not hold what the schema says (a crafted or hand-edited file: a text
// priority, a NULL mime, created = 'yesterday'). Such a row is never sent; Pending goes on
// with the others after yielding it, and a writable Buffer can Drop it.
var ErrMalformedRow = errors.New("buffer: malformed row")

// MalformedRowError names the row and the first column whose stored type is wrong.
type MalformedRowError struct {
	ID     int64
	Column string
	Type   string // the SQLite type found there: "null", "text", "real", ...
}

func (e *MalformedRowError) Error() string {
	return fmt.Sprintf("buffer: row %d is malformed: column %s holds %s", e.ID, e.Column, e.Type)
}

func (e *MalformedRowError) Is(target error) bool { return target == ErrMalformedRow }
