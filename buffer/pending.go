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
func (b *Buffer) Pending(ctx context.Context) iter.Seq2[Row, error] {
	return func(yield func(Row, error) bool) {
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

func (b *Buffer) priorities(ctx context.Context) ([]int, error) {
	if b.isClosed() {
		return nil, ErrClosed
	}
	rows, err := b.db.QueryContext(ctx, `SELECT DISTINCT priority FROM tracing ORDER BY priority DESC`)
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
	var r Row
	var created int64
	err := b.db.QueryRowContext(ctx,
		`SELECT id, priority, mime, data, `+b.extraCols+` FROM tracing WHERE id = ?`, id).
		Scan(&r.ID, &r.Priority, &r.Mime, &r.Data, &created, &r.Attempts)
	if errors.Is(err, sql.ErrNoRows) {
		return Row{}, false, nil
	}
	if err != nil {
		return Row{}, false, fmt.Errorf("buffer: read row %d: %w", id, classify(err))
	}
	if created > 0 {
		r.Created = time.UnixMilli(created)
	}
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
	if _, err := b.db.ExecContext(ctx, `PRAGMA incremental_vacuum`); err != nil {
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
