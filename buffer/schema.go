package buffer

import (
	"context"
	"database/sql"
	"fmt"
)

// schemaVersion is stored in PRAGMA user_version once charmtrace has set a file up. Python
// ops never sets user_version, so 0 means "new file or written by ops".
const schemaVersion = 1

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
			`CREATE TABLE IF NOT EXISTS tracing (
				id INTEGER PRIMARY KEY,
				priority INTEGER NOT NULL,
				data BLOB NOT NULL,
				mime TEXT NOT NULL,
				created INTEGER NOT NULL DEFAULT 0,
				attempts INTEGER NOT NULL DEFAULT 0)`,
			`CREATE INDEX IF NOT EXISTS tracing_priority_id ON tracing (priority, id)`,
			`CREATE TABLE IF NOT EXISTS settings (key TEXT PRIMARY KEY, value TEXT NOT NULL)`,
			`CREATE TABLE IF NOT EXISTS charmtrace_drops (reason TEXT PRIMARY KEY, count INTEGER NOT NULL)`,
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
		_, err = tx.ExecContext(ctx, fmt.Sprintf(`PRAGMA user_version=%d`, schemaVersion))
		return err
	})
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
