package state

import (
	"context"
	"database/sql"
	"strconv"
)

// migrations[v] moves a file from schema version v to v+1. Each step only adds: a
// release that wrote the older version never reads the file again once it is migrated
// (it refuses a newer version), so nothing needs to stay readable by it.
var migrations = map[int][]string{
	// 1 → 2: when an event was deferred and how many times it has been re-run, for the
	// CLI's view of the queue. Entries queued before the migration show neither (0).
	1: {
		`ALTER TABLE charmtrace_deferred ADD COLUMN deferred_at INTEGER NOT NULL DEFAULT 0`,
		`ALTER TABLE charmtrace_deferred ADD COLUMN reruns INTEGER NOT NULL DEFAULT 0`,
	},
}

// migrate brings the file from schema version from to schemaVersion, inside the
// dispatch's exclusive transaction on conn.
func (db *DB) migrate(ctx context.Context, conn *sql.Conn, from int) error {
	for v := from; v < schemaVersion; v++ {
		for _, stmt := range migrations[v] {
			if _, err := conn.ExecContext(ctx, stmt); err != nil {
				return db.fail("migrate schema version "+strconv.Itoa(v)+" of", err)
			}
		}
	}
	if _, err := conn.ExecContext(ctx, `UPDATE charmtrace_meta SET value = ? WHERE key = 'schema_version'`,
		strconv.Itoa(schemaVersion)); err != nil {
		return db.fail("record the schema version of", err)
	}
	return nil
}
