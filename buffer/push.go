package buffer

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"
)

// Drop reasons the buffer itself counts.
const (
	DropTooLarge = "too_large" // a chunk larger than the cap, refused
	DropEvicted  = "evicted"   // removed to keep the cap
	// DropMalformed counts rows whose columns held the wrong types (a crafted or
	// hand-edited file), dropped by a drain or by the schema upgrade.
	DropMalformed = "malformed"
)

// Push stores one chunk at the current priority of this process and returns its row id.
// It keeps the file within the cap by evicting the lowest-priority, oldest rows first,
// only as many as needed. A chunk larger than the cap is refused with ErrTooLarge.
func (b *Buffer) Push(ctx context.Context, data []byte, mime string) (int64, error) {
	if mime == "" {
		return 0, fmt.Errorf("buffer: push: empty mime type")
	}
	if err := b.lock(); err != nil {
		return 0, err
	}
	defer b.mu.Unlock()
	if int64(len(data)) > b.opts.maxBytes {
		err := b.writeTx(ctx, func(tx *sql.Tx) error { return countDrop(ctx, tx, DropTooLarge, 1) })
		if err != nil {
			return 0, fmt.Errorf("%w (%d bytes, cap %d); counting it failed: %v", ErrTooLarge, len(data), b.opts.maxBytes, err)
		}
		return 0, fmt.Errorf("%w (%d bytes, cap %d)", ErrTooLarge, len(data), b.opts.maxBytes)
	}
	priority := b.pushPriority()
	if err := b.prepare(ctx); err != nil {
		return 0, fmt.Errorf("buffer: push: %w", err)
	}
	var id int64
	err := b.writeTx(ctx, func(tx *sql.Tx) error {
		if err := b.makeRoom(ctx, tx, int64(len(data))); err != nil {
			return err
		}
		res, err := tx.StmtContext(ctx, b.insertStmt).ExecContext(ctx, priority, data, mime, time.Now().UnixMilli())
		if err != nil {
			return err
		}
		id, err = res.LastInsertId()
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("buffer: push: %w", err)
	}
	if priority < PriorityFailed {
		b.pushed = append(b.pushed, id)
	}
	b.wroteLocked(int64(len(data)))
	return id, nil
}

// rowCost estimates the pages a row of n payload bytes occupies, in bytes: the payload
// spread over overflow pages (each loses 4 bytes to its next-page pointer) plus a page
// for the cell, the index entry and rounding.
func rowCost(n, pageSize int64) int64 {
	return n + (n/(pageSize-4)+1)*4 + pageSize
}

// makeRoom evicts rows until the live pages of the file plus the new row fit the cap.
func (b *Buffer) makeRoom(ctx context.Context, tx *sql.Tx, n int64) error {
	ps, err := b.pageSizeTx(ctx, tx)
	if err != nil {
		return err
	}
	var pages, free int64
	if err := tx.StmtContext(ctx, b.liveStmt).QueryRowContext(ctx).Scan(&pages, &free); err != nil {
		return err
	}
	used := pages - free // live pages: the file's pages less the free list
	need := used*ps + rowCost(n, ps) - b.opts.maxBytes
	if need <= 0 {
		return nil
	}
	// Walk the (priority, id) index from the cheapest rows up; length(data) is read from
	// the record header, not from the blob's overflow pages.
	rows, err := tx.QueryContext(ctx, `SELECT id, coalesce(length(data), 0) FROM tracing ORDER BY priority ASC, id ASC`)
	if err != nil {
		return err
	}
	var ids []int64
	var freed int64
	for freed < need && rows.Next() {
		var id, l int64
		if err := rows.Scan(&id, &l); err != nil {
			rows.Close()
			return err
		}
		ids = append(ids, id)
		freed += rowCost(l, ps)
	}
	if err := rows.Close(); err != nil {
		return err
	}
	if len(ids) == 0 {
		return nil
	}
	if err := deleteIDs(ctx, tx, ids); err != nil {
		return err
	}
	b.freed = true
	return countDrop(ctx, tx, DropEvicted, int64(len(ids)))
}

func (b *Buffer) pageSizeTx(ctx context.Context, q interface {
	QueryRowContext(context.Context, string, ...any) *sql.Row
}) (int64, error) {
	if b.pageSize == 0 {
		if err := q.QueryRowContext(ctx, `PRAGMA page_size`).Scan(&b.pageSize); err != nil {
			return 0, err
		}
	}
	return b.pageSize, nil
}

// prepare readies the statements of the push path, once. b.mu is held.
func (b *Buffer) prepare(ctx context.Context) error {
	if b.insertStmt != nil {
		return nil
	}
	ins, err := b.db.PrepareContext(ctx, `INSERT INTO tracing (priority, data, mime, created) VALUES (?, ?, ?, ?)`)
	if err != nil {
		return classify(err)
	}
	live, err := b.db.PrepareContext(ctx,
		`SELECT (SELECT page_count FROM pragma_page_count), (SELECT freelist_count FROM pragma_freelist_count)`)
	if err != nil {
		ins.Close()
		return classify(err)
	}
	b.insertStmt, b.liveStmt = ins, live
	return nil
}

// idChunk keeps IN lists well under SQLite's variable limit.
const idChunk = 500

func deleteIDs(ctx context.Context, tx *sql.Tx, ids []int64) error {
	return forChunks(ids, func(part []int64) error {
		_, err := tx.ExecContext(ctx, `DELETE FROM tracing WHERE id IN (`+placeholders(len(part))+`)`, anys(part)...)
		return err
	})
}

func forChunks(ids []int64, fn func([]int64) error) error {
	for len(ids) > 0 {
		n := min(len(ids), idChunk)
		if err := fn(ids[:n]); err != nil {
			return err
		}
		ids = ids[n:]
	}
	return nil
}

func placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?,", n), ",")
}

func anys(ids []int64) []any {
	out := make([]any, len(ids))
	for i, id := range ids {
		out[i] = id
	}
	return out
}

func countDrop(ctx context.Context, tx *sql.Tx, reason string, n int64) error {
	_, err := tx.ExecContext(ctx,
		`INSERT INTO charmtrace_drops (reason, count) VALUES (?, ?)
		 ON CONFLICT(reason) DO UPDATE SET count = count + excluded.count`, reason, n)
	return err
}
