package buffer

import (
	"context"
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
	Priorities     []PriorityStats // highest priority first
	Rows, Bytes    int64           // payload bytes, all priorities
	Oldest, Newest time.Time       // zero when unknown (no rows, or only rows written by ops)
	FileBytes      int64           // the database file plus its WAL, on disk
	MaxBytes       int64           // the cap this Buffer enforces
	Drops          map[string]int64
}

// Stats reads the buffer's counts. It scans only the index and record headers, never the
// payloads.
func (b *Buffer) Stats(ctx context.Context) (Stats, error) {
	if b.isClosed() {
		return Stats{}, ErrClosed
	}
	s := Stats{MaxBytes: b.opts.maxBytes, Drops: map[string]int64{}}
	rows, err := b.db.QueryContext(ctx, `SELECT priority, count(*), coalesce(sum(length(data)), 0),
		min(nullif(created, 0)), max(nullif(created, 0)) FROM (SELECT priority, data, `+b.extraCols+` FROM tracing)
		GROUP BY priority ORDER BY priority DESC`)
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
	if err := b.readDrops(ctx, s.Drops); err != nil {
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

func (b *Buffer) readDrops(ctx context.Context, into map[string]int64) error {
	// A file written by ops and opened read-only has no drops table.
	var n int
	if err := b.db.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_master WHERE name = 'charmtrace_drops'`).Scan(&n); err != nil || n == 0 {
		return classify(err)
	}
	rows, err := b.db.QueryContext(ctx, `SELECT reason, count FROM charmtrace_drops`)
	if err != nil {
		return fmt.Errorf("buffer: stats: %w", classify(err))
	}
	defer rows.Close()
	for rows.Next() {
		var r string
		var c int64
		if err := rows.Scan(&r, &c); err != nil {
			return err
		}
		into[r] = c
	}
	return rows.Err()
}
