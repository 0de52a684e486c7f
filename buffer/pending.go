package buffer

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"iter"
	"time"
)

// Row is one stored chunk.
type Row struct {
	ID       int64
	Priority int
	Mime     string
	Data     []byte
	Attempts int       // send attempts recorded so far
	Created  time.Time // zero for rows written by Python ops
}

// pendingPage is how many ids one index query fetches while iterating.
const pendingPage = 256

// Pending yields the rows to send: highest priority first, then oldest. Each row is
// yielded at most once per call, so a sender that keeps a failing row spends at most one
// attempt on it per drain and newer rows still get their turn. No query is open while the
// caller's loop body runs, so the body may Remove, Drop, RecordAttempt or Split.
//
// A row whose columns hold the wrong types is yielded first, as a *MalformedRowError
// (ErrMalformedRow) with only Row.ID set; iteration goes on after it if the caller's loop
// does. Any other error ends the iteration.
func (b *Buffer) Pending(ctx context.Context) iter.Seq2[Row, error] {
	return func(yield func(Row, error) bool) {
		bad, err := b.malformed(ctx)
		if err != nil {
			yield(Row{}, err)
			return
		}
		reported := make(map[int64]bool, len(bad))
		for _, e := range bad {
			reported[e.ID] = true
			if !yield(Row{ID: e.ID}, e) {
				return
			}
		}
		priorities, err := b.priorities(ctx)
		if err != nil {
			yield(Row{}, err)
			return
		}
		for _, p := range priorities {
			var after int64 = -1 << 63
			for {
				ids, err := b.idsAfter(ctx, p, after)
				if err != nil {
					yield(Row{}, err)
					return
				}
				for _, id := range ids {
					row, ok, err := b.row(ctx, id)
					if errors.Is(err, ErrMalformedRow) {
						if reported[id] {
							continue
						}
						if !yield(Row{ID: id}, err) {
							return
						}
						continue
					}
					if err != nil {
						yield(Row{}, err)
						return
					}
					if !ok || row.Priority != p {
						continue // sent, evicted or re-prioritised since the id was read
					}
					if !yield(row, nil) {
						return
					}
				}
				if len(ids) < pendingPage {
					break
				}
				after = ids[len(ids)-1]
			}
		}
	}
}

// maxMalformed bounds the malformed rows one Pending call reports: a drain drops them
// as it goes, so the next call reports the next ones.
const maxMalformed = 1000

// wellFormed is true of a row whose columns hold the types the schema declares. SQLite
// without STRICT tables stores whatever a writer gives it, and a row Scan cannot read
// would otherwise stop every drain and every CLI command at that row. typeof() reads
// the record header only, not a blob's overflow pages.
func (b *Buffer) wellFormed() string {
	w := `typeof(priority) = 'integer' AND typeof(data) IN ('blob', 'text') AND typeof(mime) = 'text'`
	if b.extraCols == ownCols {
		w += ` AND typeof(created) = 'integer' AND typeof(attempts) = 'integer'`
	}
	return w
}

// malformed lists the rows that are not wellFormed, with the first bad column of each.
func (b *Buffer) malformed(ctx context.Context) ([]*MalformedRowError, error) {
	if b.isClosed() {
		return nil, ErrClosed
	}
	extra := `'integer', 'integer'`
	if b.extraCols == ownCols {
		extra = `typeof(created), typeof(attempts)`
	}
	rows, err := b.db.QueryContext(ctx, `SELECT id, typeof(priority), typeof(data), typeof(mime), `+extra+
		` FROM tracing WHERE NOT (`+b.wellFormed()+`) ORDER BY id LIMIT ?`, maxMalformed)
	if err != nil {
		return nil, fmt.Errorf("buffer: pending: %w", classify(err))
	}
	defer rows.Close()
	var out []*MalformedRowError
	for rows.Next() {
		var id int64
		var types [5]string
		if err := rows.Scan(&id, &types[0], &types[1], &types[2], &types[3], &types[4]); err != nil {
			return nil, fmt.Errorf("buffer: pending: %w", err)
		}
		out = append(out, malformedError(id, types))
	}
	return out, rows.Err()
}

// malformedError names the first column of types (priority, data, mime, created,
// attempts) that is not of its declared type.
func malformedError(id int64, types [5]string) *MalformedRowError {
	cols := [5]string{"priority", "data", "mime", "created", "attempts"}
	for i, t := range types {
		ok := t == "integer"
		switch i {
		case 1:
			ok = t == "blob" || t == "text"
		case 2:
			ok = t == "text"
		}
		if !ok {
			return &MalformedRowError{ID: id, Column: cols[i], Type: t}
		}
	}
	return &MalformedRowError{ID: id, Column: "?", Type: "?"}
}

func (b *Buffer) priorities(ctx context.Context) ([]int, error) {
	if b.isClosed() {
		return nil, ErrClosed
	}
	rows, err := b.db.QueryContext(ctx, `SELECT DISTINCT priority FROM tracing WHERE typeof(priority) = 'integer' ORDER BY priority DESC`)
	if err != nil {
		return nil, fmt.Errorf("buffer: pending: %w", classify(err))
	}
	defer rows.Close()
	var out []int
	for rows.Next() {
		var p int
		if err := rows.Scan(&p); err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

func (b *Buffer) idsAfter(ctx context.Context, priority int, after int64) ([]int64, error) {
	if b.isClosed() {
		return nil, ErrClosed
	}
	rows, err := b.db.QueryContext(ctx,
		`SELECT id FROM tracing WHERE priority = ? AND id > ? ORDER BY id LIMIT ?`, priority, after, pendingPage)
	if err != nil {
		return nil, fmt.Errorf("buffer: pending: %w", classify(err))
	}
	defer rows.Close()
	ids := make([]int64, 0, pendingPage)
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

func (b *Buffer) row(ctx context.Context, id int64) (Row, bool, error) {
	if b.isClosed() {
		return Row{}, false, ErrClosed
	}
	// Scanned as whatever SQLite holds, then checked: a row edited between the
	// malformed scan and this read must not fail the whole iteration.
	var vals [5]any
	err := b.db.QueryRowContext(ctx,
		`SELECT priority, data, mime, `+b.extraCols+` FROM tracing WHERE id = ?`, id).
		Scan(&vals[0], &vals[1], &vals[2], &vals[3], &vals[4])
	if errors.Is(err, sql.ErrNoRows) {
		return Row{}, false, nil
	}
	if err != nil {
		return Row{}, false, fmt.Errorf("buffer: read row %d: %w", id, classify(err))
	}
	r := Row{ID: id}
	var types [5]string
	for i, v := range vals {
		switch v := v.(type) {
		case int64:
			types[i] = "integer"
		case []byte:
			types[i] = "blob"
		case string:
			types[i] = "text"
			if i == 1 {
				vals[i] = []byte(v)
			}
		case float64:
			types[i] = "real"
		default:
			types[i] = "null"
		}
	}
	if e := malformedError(id, types); e.Column != "?" {
		return Row{}, false, e
	}
	r.Priority = int(vals[0].(int64))
	r.Data = vals[1].([]byte)
	r.Mime = vals[2].(string)
	if created := vals[3].(int64); created > 0 {
		r.Created = time.UnixMilli(created)
	}
	r.Attempts = int(vals[4].(int64))
	return r, true, nil
}

func (b *Buffer) isClosed() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.closed
}

// Remove deletes delivered rows. Missing ids are ignored.
func (b *Buffer) Remove(ctx context.Context, ids ...int64) error {
	if len(ids) == 0 {
		return nil
	}
	if err := b.lock(); err != nil {
		return err
	}
	defer b.mu.Unlock()
	err := b.writeTx(ctx, func(tx *sql.Tx) error { return deleteIDs(ctx, tx, ids) })
	if err != nil {
		return fmt.Errorf("buffer: remove: %w", err)
	}
	b.freed = true
	return nil
}

// Drop deletes a row that can never be delivered and counts it under reason. A row that
// is already gone is not counted.
func (b *Buffer) Drop(ctx context.Context, id int64, reason string) error {
	if reason == "" {
		return fmt.Errorf("buffer: drop: empty reason")
	}
	if err := b.lock(); err != nil {
		return err
	}
	defer b.mu.Unlock()
	err := b.writeTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM tracing WHERE id = ?`, id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil
		}
		return countDrop(ctx, tx, reason, 1)
	})
	if err != nil {
		return fmt.Errorf("buffer: drop: %w", err)
	}
	b.freed = true
	return nil
}

// RecordAttempt counts one failed send attempt of each row, in one transaction (a sender
// that posts several rows in one request records them together). Missing ids are ignored.
func (b *Buffer) RecordAttempt(ctx context.Context, ids ...int64) error {
	if len(ids) == 0 {
		return nil
	}
	if err := b.lock(); err != nil {
		return err
	}
	defer b.mu.Unlock()
	err := b.writeTx(ctx, func(tx *sql.Tx) error {
		return forChunks(ids, func(part []int64) error {
			_, err := tx.ExecContext(ctx,
				`UPDATE tracing SET attempts = attempts + 1 WHERE id IN (`+placeholders(len(part))+`)`, anys(part)...)
			return err
		})
	})
	if err != nil {
		return fmt.Errorf("buffer: record attempt: %w", err)
	}
	return nil
}

// Split replaces row id by parts, in order, keeping its priority, mime, creation time and
// attempts, in one transaction. It is for a sender that must send a row in smaller pieces
// (a 413 answer) and could deliver only some of them. It returns the new ids; a row that
// is already gone yields none.
func (b *Buffer) Split(ctx context.Context, id int64, parts [][]byte) ([]int64, error) {
	if len(parts) == 0 {
		return nil, fmt.Errorf("buffer: split: no parts")
	}
	if err := b.lock(); err != nil {
		return nil, err
	}
	defer b.mu.Unlock()
	var ids []int64
	err := b.writeTx(ctx, func(tx *sql.Tx) error {
		var priority, attempts int
		var mime string
		var created int64
		err := tx.QueryRowContext(ctx, `SELECT priority, mime, created, attempts FROM tracing WHERE id = ?`, id).
			Scan(&priority, &mime, &created, &attempts)
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM tracing WHERE id = ?`, id); err != nil {
			return err
		}
		for _, p := range parts {
			res, err := tx.ExecContext(ctx,
				`INSERT INTO tracing (priority, data, mime, created, attempts) VALUES (?, ?, ?, ?, ?)`,
				priority, p, mime, created, attempts)
			if err != nil {
				return err
			}
			nid, err := res.LastInsertId()
			if err != nil {
				return err
			}
			ids = append(ids, nid)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("buffer: split: %w", err)
	}
	// Keep MarkObserved able to raise the pieces of a row this process pushed.
	for i, p := range b.pushed {
		if p == id {
			b.pushed = append(append(b.pushed[:i:i], ids...), b.pushed[i+1:]...)
			break
		}
	}
	return ids, nil
}

// reclaimThreshold is how much free space a drain must leave before the file is shrunk:
// shrinking costs a write of the free-list pages, not worth it for a few pages that the
// next push would reuse anyway.
const reclaimThreshold = 1 << 20

// reclaimLocked returns free pages to the file system when there are enough of them.
func (b *Buffer) reclaimLocked(ctx context.Context) error {
	ps, err := b.pageSizeTx(ctx, b.db)
	if err != nil {
		return err
	}
	var free int64
	if err := b.db.QueryRowContext(ctx, `PRAGMA freelist_count`).Scan(&free); err != nil {
		return classify(err)
	}
	if free*ps < reclaimThreshold {
		return nil
	}
	if err := b.boundLockWait(ctx); err != nil {
		return err
	}
	if _, err := b.db.ExecContext(ctx, `PRAGMA incremental_vacuum`); err != nil {
		if errors.Is(classify(err), ErrBusy) {
			return nil // another process holds the file: the next close reclaims
		}
		return fmt.Errorf("buffer: reclaim free pages: %w", classify(err))
	}
	b.freed = false
	return nil
}

// Reclaim returns the space of removed rows to the file system now rather than at Close.
func (b *Buffer) Reclaim(ctx context.Context) error {
	if err := b.lock(); err != nil {
		return err
	}
	defer b.mu.Unlock()
	if b.opts.readOnly {
		return nil
	}
	return b.reclaimLocked(ctx)
}
