package main

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	// The pure-Go SQLite driver the buffer and state packages register too.
	_ "modernc.org/sqlite"
)

// settle turns the raw copy of a unit's database in rawDir (the database and its sidecars
// under their names on the unit) into one self-contained file at dst, mode 0600.
//
// The copy is opened read-write, which is safe because it is a private copy: SQLite
// then reads the -wal, or rolls back a -journal left by a dispatch that was killed, just
// as the charm's next dispatch would on the unit. PRAGMA integrity_check must pass;
// VACUUM INTO then writes a consistent snapshot with no sidecar, no free pages (nothing
// deleted lingers in it) and nothing of a transaction that was not committed.
func settle(ctx context.Context, rawDir string, f unitFile, dst string) error {
	src := filepath.Join(rawDir, f.name)
	q := url.Values{}
	q.Set("mode", "rw")
	q.Add("_pragma", "busy_timeout(5000)")
	db, err := sql.Open("sqlite", "file:"+(&url.URL{Path: src}).EscapedPath()+"?"+q.Encode())
	if err != nil {
		return err
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	if err := integrityCheck(ctx, db); err != nil {
		return fmt.Errorf("the copy of %s failed its integrity check: %w", f.name, err)
	}
	if _, err := db.ExecContext(ctx, `VACUUM INTO ?`, dst); err != nil {
		return fmt.Errorf("the copy of %s could not be compacted into one file: %w", f.name, err)
	}
	return os.Chmod(dst, 0o600)
}

// integrityCheck runs PRAGMA integrity_check and returns its findings as an error.
func integrityCheck(ctx context.Context, db *sql.DB) error {
	rows, err := db.QueryContext(ctx, `PRAGMA integrity_check(20)`)
	if err != nil {
		return fmt.Errorf("not a SQLite database, or a damaged one: %w", err)
	}
	defer rows.Close()
	var problems []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return err
		}
		if s != "ok" {
			problems = append(problems, printable(s))
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("not a SQLite database, or a damaged one: %w", err)
	}
	if len(problems) > 0 {
		return fmt.Errorf("%s", strings.Join(problems, "; "))
	}
	return nil
}
