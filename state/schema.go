package state

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
)

// schemaVersion is the layout of the charmtrace_ tables this package writes.
// A file written by a newer release is refused rather than guessed at; an
// older one is migrated (migrate.go).
const schemaVersion = 2

// schema creates this package's tables. Every name carries the charmtrace_
// prefix so the Python framework's snapshot and notice tables are never in
// the way. Values are JSON text; deferred ids come from AUTOINCREMENT so an
// id is never reused and id order is insertion order.
var schema = [...]string{
	`CREATE TABLE charmtrace_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID`,
	`CREATE TABLE charmtrace_value (owner TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL,
		PRIMARY KEY (owner, key)) WITHOUT ROWID`,
	`CREATE TABLE charmtrace_deferred (id INTEGER PRIMARY KEY AUTOINCREMENT,
		event TEXT NOT NULL, handler TEXT NOT NULL, snapshot BLOB NOT NULL,
		deferred_at INTEGER NOT NULL DEFAULT 0, reruns INTEGER NOT NULL DEFAULT 0)`,
	`INSERT INTO charmtrace_meta (key, value) VALUES ('schema_version', '` + strconv.Itoa(schemaVersion) + `')`,
}

// ensureSchema runs inside the dispatch's exclusive transaction, so creating
// the tables commits or rolls back with the dispatch and two processes never
// race to create them. On a file that already has them it costs one lookup
// in sqlite_schema and one row read. created reports that the tables are
// new in this transaction: they exist for later Begins only once it commits.
func (db *DB) ensureSchema(ctx context.Context, conn *sql.Conn) (created bool, err error) {
	if db.schemaReady.Load() {
		return false, nil
	}
	var n int
	err = conn.QueryRowContext(ctx,
		`SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = 'charmtrace_meta'`).Scan(&n)
	if err != nil {
		return false, db.fail("read schema", err)
	}
	if n == 0 {
		for _, stmt := range schema {
			if _, err := conn.ExecContext(ctx, stmt); err != nil {
				return false, db.fail("create schema", err)
			}
		}
		return true, nil
	}
	var v string
	err = conn.QueryRowContext(ctx,
		`SELECT value FROM charmtrace_meta WHERE key = 'schema_version'`).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return false, fmt.Errorf("state: %s has a charmtrace_meta table without a schema_version", db.path)
	}
	if err != nil {
		return false, db.fail("read schema version", err)
	}
	switch got, err := strconv.Atoi(v); {
	case err != nil:
		return false, fmt.Errorf("state: %s has an unreadable schema_version %q", db.path, v)
	case got > schemaVersion:
		return false, fmt.Errorf("state: %s has schema version %d, newer than the %d this release understands", db.path, got, schemaVersion)
	case got < 1:
		// Version 1 is the first ever written; a smaller number is damage.
		return false, fmt.Errorf("state: %s has unknown schema version %d", db.path, got)
	case got < schemaVersion:
		// Inside the dispatch's transaction: the migration commits with it or not
		// at all, and the next Begin checks again.
		return false, db.migrate(ctx, conn, got)
	}
	db.schemaReady.Store(true)
	return false, nil
}

// fail wraps a SQLite error with what was being done and to which file.
func (db *DB) fail(doing string, err error) error {
	return fmt.Errorf("state: %s %s: %w", doing, db.path, err)
}
