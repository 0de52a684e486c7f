package state

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"time"
)

// Summary is what a unit state file holds, for a person looking at it: the
// queue of deferred events and the keys of the stored values. It never holds
// a value or an event's snapshot, which may carry secrets.
type Summary struct {
	// SchemaVersion of the charmtrace_ tables; 0 when the file has none.
	SchemaVersion int
	Deferred      []DeferredSummary
	Keys          []KeySummary
	// OpsNotices is the deferral queue the Python framework keeps in the same
	// file (its notice table), after upgrade-charm from a Python charm.
	OpsNotices []DeferredSummary
}

// DeferredSummary is one queued event.
type DeferredSummary struct {
	ID      int64
	Event   string
	Handler string
	// DeferredAt is when the event was first deferred; zero when the file
	// does not say (queued before schema version 2, or by Python ops).
	DeferredAt time.Time
	// ReRuns counts the dispatches that have re-run the event since.
	ReRuns int
}

// KeySummary is one stored value's key and the size of its JSON encoding.
type KeySummary struct {
	Owner, Key string
	Bytes      int
}

// Summarize reads the state file at path without changing it or taking the
// unit's lock for writing. A file with an unfinished transaction (a hot
// -journal) cannot be read this way: read a copy, whose opening rolls it back.
func Summarize(ctx context.Context, path string) (*Summary, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("state: %w", err)
	}
	// SQLite would create a missing file, and would block on a FIFO.
	fi, err := os.Stat(abs)
	if err != nil {
		return nil, fmt.Errorf("state: %w", err)
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("state: %s is not a regular file (%s)", abs, fi.Mode().Type())
	}
	q := url.Values{}
	q.Set("mode", "ro")
	q.Add("_pragma", "busy_timeout(5000)")
	sqldb, err := sql.Open("sqlite", "file:"+(&url.URL{Path: abs}).EscapedPath()+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("state: open %s: %w", abs, err)
	}
	defer sqldb.Close()
	sqldb.SetMaxOpenConns(1)
	// One read transaction: the queue and the keys come from the same commit.
	tx, err := sqldb.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, fmt.Errorf("state: read %s: %w", abs, err)
	}
	defer tx.Rollback()
	s := &Summary{}
	if err := s.read(ctx, tx); err != nil {
		return nil, fmt.Errorf("state: read %s: %w", abs, err)
	}
	return s, nil
}

func (s *Summary) read(ctx context.Context, tx *sql.Tx) error {
	tables := map[string]bool{}
	rows, err := tx.QueryContext(ctx, `SELECT name FROM sqlite_schema WHERE type = 'table'`)
	if err != nil {
		return err
	}
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			rows.Close()
			return err
		}
		tables[n] = true
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	if tables["notice"] {
		if err := s.readOpsNotices(ctx, tx); err != nil {
			return err
		}
	}
	if !tables["charmtrace_meta"] {
		return nil
	}
	var v string
	if err := tx.QueryRowContext(ctx, `SELECT value FROM charmtrace_meta WHERE key = 'schema_version'`).Scan(&v); err != nil {
		return err
	}
	if _, err := fmt.Sscan(v, &s.SchemaVersion); err != nil || s.SchemaVersion < 1 {
		return fmt.Errorf("unreadable schema version %q", v)
	}
	if s.SchemaVersion > schemaVersion {
		return fmt.Errorf("schema version %d, newer than the %d this release understands", s.SchemaVersion, schemaVersion)
	}
	q := `SELECT id, event, handler, deferred_at, reruns FROM charmtrace_deferred ORDER BY id`
	if s.SchemaVersion < 2 {
		q = `SELECT id, event, handler, 0, 0 FROM charmtrace_deferred ORDER BY id`
	}
	rows, err = tx.QueryContext(ctx, q)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var d DeferredSummary
		var at int64
		if err := rows.Scan(&d.ID, &d.Event, &d.Handler, &at, &d.ReRuns); err != nil {
			return err
		}
		if at > 0 {
			d.DeferredAt = time.UnixMilli(at).UTC()
		}
		s.Deferred = append(s.Deferred, d)
	}
	if err := rows.Err(); err != nil {
		return err
	}
	rows.Close()
	// length(value), never value: the values stay in the file.
	rows, err = tx.QueryContext(ctx, `SELECT owner, key, length(CAST(value AS BLOB)) FROM charmtrace_value ORDER BY owner, key`)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var k KeySummary
		if err := rows.Scan(&k.Owner, &k.Key, &k.Bytes); err != nil {
			return err
		}
		s.Keys = append(s.Keys, k)
	}
	return rows.Err()
}

// readOpsNotices reads the Python framework's queue: notice(sequence,
// event_path, observer_path, method_name). A table of that name with other
// columns is not the framework's, and is left alone.
func (s *Summary) readOpsNotices(ctx context.Context, tx *sql.Tx) error {
	rows, err := tx.QueryContext(ctx,
		`SELECT sequence, event_path, observer_path, method_name FROM notice ORDER BY sequence`)
	if err != nil {
		return nil //nolint:nilerr // not the framework's table
	}
	defer rows.Close()
	for rows.Next() {
		var d DeferredSummary
		var observer, method sql.NullString
		var event sql.NullString
		if err := rows.Scan(&d.ID, &event, &observer, &method); err != nil {
			return errors.Join(errors.New("the Python framework's notice table"), err)
		}
		d.Event, d.Handler = event.String, observer.String+"."+method.String
		s.OpsNotices = append(s.OpsNotices, d)
	}
	return rows.Err()
}
