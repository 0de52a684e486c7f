package buffer

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
)

// schemaVersion is stored in PRAGMA user_version once charmtrace has set a file up. Python
// ops never sets user_version, so 0 means "new file or written by ops". Version 2 made row
// ids AUTOINCREMENT (see rebuildTracing); version 1 files are upgraded in place.
const schemaVersion = 2

// tracingDDL is the tracing table of schema version 2. AUTOINCREMENT is what makes a row id
// name one row for the life of the file: with a plain INTEGER PRIMARY KEY, SQLite hands the
// largest id out again once that row is deleted, and a drain that posted "row 7" would, on
// the receiver's 200, delete whichever row carries 7 by then — possibly one stored after the
// request left and never sent. Python ops' INSERT names its columns and never an id, so it
// works unchanged on this table.
const tracingDDL = `CREATE TABLE tracing (
				id INTEGER PRIMARY KEY AUTOINCREMENT,
				priority INTEGER NOT NULL,
				data BLOB NOT NULL,
				mime TEXT NOT NULL,
				created INTEGER NOT NULL DEFAULT 0,
				attempts INTEGER NOT NULL DEFAULT 0)`

// ensureSchema creates or adopts the schema. The fast path, taken on every dispatch after
// the first, is a single read of user_version.
func (b *Buffer) ensureSchema(ctx context.Context) error {
	var v int
	if err := b.db.QueryRowContext(ctx, `PRAGMA user_version`).Scan(&v); err != nil {
		return err
	}
	if v == schemaVersion {
		return nil
	}
	if v > schemaVersion {
		return fmt.Errorf("buffer: %s has schema version %d, newer than this charmtrace understands (%d)", b.path, v, schemaVersion)
	}
	// VACUUM and the journal mode change below wait for locks too.
	if err := b.boundLockWait(ctx); err != nil {
		return err
	}
	// auto_vacuum can only be chosen before the first table exists (or by a VACUUM), and
	// journal_mode cannot change inside a transaction: both happen here, outside it.
	var tables int
	if err := b.db.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_master`).Scan(&tables); err != nil {
		return err
	}
	var autoVacuum int
	if err := b.db.QueryRowContext(ctx, `PRAGMA auto_vacuum`).Scan(&autoVacuum); err != nil {
		return err
	}
	if autoVacuum != 2 { // 2 = INCREMENTAL
		if _, err := b.db.ExecContext(ctx, `PRAGMA auto_vacuum=INCREMENTAL`); err != nil {
			return err
		}
		if tables > 0 {
			// A file written by ops: VACUUM rewrites it with the new auto_vacuum mode. If
			// another process holds it, carry on; the cap is still enforced, the file just
			// does not shrink.
			b.db.ExecContext(ctx, `VACUUM`)
		}
	}
	var mode string
	if err := b.db.QueryRowContext(ctx, `PRAGMA journal_mode=WAL`).Scan(&mode); err != nil {
		return err
	}
	return b.writeTx(ctx, func(tx *sql.Tx) error {
		// Re-read inside the lock: another process may have finished the job meanwhile.
		if err := tx.QueryRowContext(ctx, `PRAGMA user_version`).Scan(&v); err != nil {
			return err
		}
		if v == schemaVersion {
			return nil
		}
		stmts := []string{
			strings.Replace(tracingDDL, "CREATE TABLE", "CREATE TABLE IF NOT EXISTS", 1),
			`CREATE INDEX IF NOT EXISTS tracing_priority_id ON tracing (priority, id)`,
			`CREATE TABLE IF NOT EXISTS settings (key TEXT PRIMARY KEY, value TEXT NOT NULL)`,
			`CREATE TABLE IF NOT EXISTS charmtrace_drops (reason TEXT PRIMARY KEY, count INTEGER NOT NULL)`,
			`CREATE TABLE IF NOT EXISTS charmtrace_counts (name TEXT PRIMARY KEY, count INTEGER NOT NULL)`,
		}
		for _, s := range stmts {
			if _, err := tx.ExecContext(ctx, s); err != nil {
				return err
			}
		}
		// A table written by ops lacks charmtrace's two columns; adding a column with a
		// constant default does not rewrite the table.
		cols, err := columns(ctx, tx, "tracing")
		if err != nil {
			return err
		}
		for _, c := range []string{"created", "attempts"} {
			if !cols[c] {
				if _, err := tx.ExecContext(ctx, fmt.Sprintf(`ALTER TABLE tracing ADD COLUMN %s INTEGER NOT NULL DEFAULT 0`, c)); err != nil {
					return err
				}
			}
		}
		if err := rebuildTracing(ctx, tx); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, fmt.Sprintf(`PRAGMA user_version=%d`, schemaVersion))
		return err
	})
}

// rebuildTracing gives a tracing table made without AUTOINCREMENT (by ops, or by
// charmtrace before schema version 2) the DDL of tracingDDL. SQLite cannot add
// AUTOINCREMENT to a table, so the rows are copied into a new one, ids kept, once per
// file. A row that breaks a NOT NULL column (possible only in a crafted file) cannot be
// copied and could never be sent: it is counted under DropMalformed.
func rebuildTracing(ctx context.Context, tx *sql.Tx) error {
	var ddl string
	if err := tx.QueryRowContext(ctx, `SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'tracing'`).Scan(&ddl); err != nil {
		return err
	}
	if strings.Contains(strings.ToUpper(ddl), "AUTOINCREMENT") {
		return nil
	}
	stmts := []string{
		`DROP TABLE IF EXISTS charmtrace_tracing_v2`,
		strings.Replace(tracingDDL, "CREATE TABLE tracing", "CREATE TABLE charmtrace_tracing_v2", 1),
		`INSERT INTO charmtrace_tracing_v2 (id, priority, data, mime, created, attempts)
			SELECT id, priority, data, mime, created, attempts FROM tracing
			WHERE priority IS NOT NULL AND data IS NOT NULL AND mime IS NOT NULL
			AND created IS NOT NULL AND attempts IS NOT NULL`,
	}
	for _, s := range stmts {
		if _, err := tx.ExecContext(ctx, s); err != nil {
			return err
		}
	}
	var lost int64
	if err := tx.QueryRowContext(ctx,
		`SELECT (SELECT count(*) FROM tracing) - (SELECT count(*) FROM charmtrace_tracing_v2)`).Scan(&lost); err != nil {
		return err
	}
	for _, s := range []string{
		`DROP TABLE tracing`,
		`ALTER TABLE charmtrace_tracing_v2 RENAME TO tracing`,
		`CREATE INDEX IF NOT EXISTS tracing_priority_id ON tracing (priority, id)`,
	} {
		if _, err := tx.ExecContext(ctx, s); err != nil {
			return err
		}
	}
	if lost > 0 {
		return countDrop(ctx, tx, DropMalformed, lost)
	}
	return nil
}

func columns(ctx context.Context, tx *sql.Tx, table string) (map[string]bool, error) {
	rows, err := tx.QueryContext(ctx, `SELECT name FROM pragma_table_info(?)`, table)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]bool{}
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, err
		}
		out[n] = true
	}
	return out, rows.Err()
}
