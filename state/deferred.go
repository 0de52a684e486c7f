package state

import (
	"context"
	"database/sql"
	"errors"
	"time"
)

// AppendDeferred queues a deferred event at the end of the queue: event is
// its name, handler names the handler that deferred it, snapshot is the
// handler's opaque copy of the event. Appending an entry identical to one
// already queued (same event, handler and snapshot) does nothing, so an
// event that defers again while being re-run keeps its place.
func (d *Dispatch) AppendDeferred(ctx context.Context, event, handler string, snapshot []byte) error {
	if snapshot == nil {
		// NULL and an empty blob must compare equal for the duplicate check.
		snapshot = []byte{}
	}
	conn, err := d.lock()
	if err != nil {
		return err
	}
	defer d.mu.Unlock()
	var id int64
	err = conn.QueryRowContext(ctx, `SELECT id FROM charmtrace_deferred
		WHERE event = ? AND handler = ? AND snapshot = ? LIMIT 1`, event, handler, snapshot).Scan(&id)
	switch {
	case err == nil:
		return nil
	case !errors.Is(err, sql.ErrNoRows):
		return d.db.fail("read the deferred queue in", err)
	}
	if _, err := conn.ExecContext(ctx, `INSERT INTO charmtrace_deferred (event, handler, snapshot, deferred_at)
		VALUES (?, ?, ?, ?)`, event, handler, snapshot, time.Now().UnixMilli()); err != nil {
		return d.db.fail("append to the deferred queue in", err)
	}
	return nil
}

// deferredEntry is one queued event as ForEachDeferred hands it out.
type deferredEntry struct {
	id             int64
	event, handler string
	snapshot       []byte
}

// ForEachDeferred calls fn for each queued event, oldest first, with the id
// to pass to DeleteDeferred once the event is handled. It visits the entries
// queued when it starts: fn may append (those run next dispatch) or delete
// entries. It stops at, and returns, the first error fn returns.
//
// A dispatch reads the queue to re-run it, so each entry handed out counts
// as one re-run in the file (the CLI shows the count); the count commits or
// rolls back with the dispatch.
func (d *Dispatch) ForEachDeferred(ctx context.Context, fn func(id int64, event, handler string, snapshot []byte) error) error {
	entries, err := d.deferred(ctx)
	if err != nil {
		return err
	}
	for _, e := range entries {
		if err := fn(e.id, e.event, e.handler, e.snapshot); err != nil {
			return err
		}
	}
	return nil
}

// deferred reads the whole queue first, so fn runs without the statement
// lock held and may change the queue.
func (d *Dispatch) deferred(ctx context.Context) ([]deferredEntry, error) {
	conn, err := d.lock()
	if err != nil {
		return nil, err
	}
	defer d.mu.Unlock()
	rows, err := conn.QueryContext(ctx,
		`SELECT id, event, handler, snapshot FROM charmtrace_deferred ORDER BY id`)
	if err != nil {
		return nil, d.db.fail("read the deferred queue in", err)
	}
	defer rows.Close()
	var entries []deferredEntry
	for rows.Next() {
		var e deferredEntry
		if err := rows.Scan(&e.id, &e.event, &e.handler, &e.snapshot); err != nil {
			return nil, d.db.fail("read the deferred queue in", err)
		}
		entries = append(entries, e)
	}
	if err := rows.Err(); err != nil {
		return nil, d.db.fail("read the deferred queue in", err)
	}
	rows.Close()
	if len(entries) > 0 {
		if _, err := conn.ExecContext(ctx, `UPDATE charmtrace_deferred SET reruns = reruns + 1
			WHERE id <= ?`, entries[len(entries)-1].id); err != nil {
			return nil, d.db.fail("count the re-runs in", err)
		}
	}
	return entries, nil
}

// DeleteDeferred removes a handled event from the queue. Deleting an id that
// is not queued is not an error.
func (d *Dispatch) DeleteDeferred(ctx context.Context, id int64) error {
	conn, err := d.lock()
	if err != nil {
		return err
	}
	defer d.mu.Unlock()
	if _, err := conn.ExecContext(ctx, `DELETE FROM charmtrace_deferred WHERE id = ?`, id); err != nil {
		return d.db.fail("delete from the deferred queue in", err)
	}
	return nil
}
