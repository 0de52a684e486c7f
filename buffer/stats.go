package buffer

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"time"
)

// PriorityStats counts the rows of one priority.
type PriorityStats struct {
	Priority    int
	Rows, Bytes int64
}

// Stats describes what a buffer holds.
type Stats struct {
	Priorities     []PriorityStats  // highest priority first
	Rows, Bytes    int64            // payload bytes, all priorities
	Oldest, Newest time.Time        // zero when unknown (no rows, or only rows written by ops)
	FileBytes      int64            // the database file plus its WAL, on disk
	MaxBytes       int64            // the cap this Buffer enforces
	Drops          map[string]int64 // rows removed unsent, by reason (DropEvicted, ...)
	// Counts are the senders' own persistent counters (see AddCount), by name.
	Counts map[string]int64
	// Malformed counts rows whose columns hold the wrong types; they are in no
	// priority and are never sent (see ErrMalformedRow).
	Malformed int64
}

// Stats reads the buffer's counts. It scans only the index and record headers, never the
// payloads.
func (b *Buffer) Stats(ctx context.Context) (Stats, error) {
	if b.isClosed() {
		return Stats{}, ErrClosed
	}
	s := Stats{MaxBytes: b.opts.maxBytes, Drops: map[string]int64{}, Counts: map[string]int64{}}
	rows, err := b.db.QueryContext(ctx, `SELECT priority, count(*), coalesce(sum(length(data)), 0),
		min(nullif(created, 0)), max(nullif(created, 0)) FROM (SELECT priority, data, mime, `+b.extraCols+` FROM tracing)
		WHERE `+b.wellFormed()+` GROUP BY priority ORDER BY priority DESC`)
	if err != nil {
		return s, fmt.Errorf("buffer: stats: %w", classify(err))
	}
	for rows.Next() {
		var p PriorityStats
		var oldest, newest *int64
		if err := rows.Scan(&p.Priority, &p.Rows, &p.Bytes, &oldest, &newest); err != nil {
			rows.Close()
			return s, fmt.Errorf("buffer: stats: %w", err)
		}
		s.Priorities = append(s.Priorities, p)
		s.Rows += p.Rows
		s.Bytes += p.Bytes
		if oldest != nil && (s.Oldest.IsZero() || time.UnixMilli(*oldest).Before(s.Oldest)) {
			s.Oldest = time.UnixMilli(*oldest)
		}
		if newest != nil && time.UnixMilli(*newest).After(s.Newest) {
			s.Newest = time.UnixMilli(*newest)
		}
	}
	if err := rows.Close(); err != nil {
		return s, err
	}
	if err := b.db.QueryRowContext(ctx, `SELECT count(*) FROM (SELECT priority, data, mime, `+b.extraCols+
		` FROM tracing) WHERE NOT (`+b.wellFormed()+`)`).Scan(&s.Malformed); err != nil {
		return s, fmt.Errorf("buffer: stats: %w", classify(err))
	}
	if err := b.readCounter(ctx, "charmtrace_drops", "reason", s.Drops); err != nil {
		return s, err
	}
	if err := b.readCounter(ctx, "charmtrace_counts", "name", s.Counts); err != nil {
		return s, err
	}
	for _, p := range []string{b.path, b.path + "-wal"} {
		fi, err := os.Stat(p)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return s, fmt.Errorf("buffer: stats: %w", err)
		}
		s.FileBytes += fi.Size()
	}
	return s, nil
}

// readCounter reads one of charmtrace's counter tables. A file written by ops, or by an
// older charmtrace, and opened read-only may not have it.
func (b *Buffer) readCounter(ctx context.Context, table, key string, into map[string]int64) error {
	var n int
	if err := b.db.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_master WHERE name = ?`, table).Scan(&n); err != nil || n == 0 {
		return classify(err)
	}
	rows, err := b.db.QueryContext(ctx, `SELECT `+key+`, count FROM `+table+` WHERE typeof(count) = 'integer'`)
	if err != nil {
		return fmt.Errorf("buffer: stats: %w", classify(err))
	}
	defer rows.Close()
	for rows.Next() {
		var r any
		var c int64
		if err := rows.Scan(&r, &c); err != nil {
			return err
		}
		into[fmt.Sprint(r)] = c
	}
	return rows.Err()
}

// AddCount adds n to the persistent counter name, for a sender's own counts that must
// outlive the process (spans a receiver rejected in a partial success, say). Stats reads
// them back under Counts.
func (b *Buffer) AddCount(ctx context.Context, name string, n int64) error {
	if name == "" {
		return fmt.Errorf("buffer: add count: empty name")
	}
	if err := b.lock(); err != nil {
		return err
	}
	defer b.mu.Unlock()
	err := b.writeTx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO charmtrace_counts (name, count) VALUES (?, ?)
			ON CONFLICT(name) DO UPDATE SET count = count + excluded.count`, name, n)
		return err
	})
	if err != nil {
		return fmt.Errorf("buffer: add count: %w", err)
	}
	return nil
}
