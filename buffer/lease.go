package buffer

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// A lease lets one process at a time do something to the file that two must not do at
// once: two drains reading the same rows would each post them, and the receiver would
// store every span twice. The lease is a settings row, "lease.<name>" = "<pid> <holder>
// <until, unix ms>", taken and renewed in a write transaction, so two processes cannot
// both see it free. It ends when its holder releases it, when its time is up (a holder
// that was killed cannot release it), or when its holder's process is gone.
const leasePrefix = "lease."

// TakeLease takes the lease name for holder for ttl, or renews it if holder has it
// already, and reports whether holder has it now. A lease held by someone else is
// respected until it expires, unless its holder's process no longer exists or its expiry
// lies further ahead than ttl (the clock was ahead when it was written): waiting for
// either would stop every taker for nothing.
func (b *Buffer) TakeLease(ctx context.Context, name, holder string, ttl time.Duration) (bool, error) {
	if name == "" || holder == "" || strings.ContainsAny(holder, " ") || ttl <= 0 {
		return false, fmt.Errorf("buffer: take lease: bad arguments")
	}
	if err := b.lock(); err != nil {
		return false, err
	}
	defer b.mu.Unlock()
	key := leasePrefix + name
	var value string
	var taken bool
	err := b.writeTx(ctx, func(tx *sql.Tx) error {
		var cur string
		err := tx.QueryRowContext(ctx, `SELECT value FROM settings WHERE key = ?`, key).Scan(&cur)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		now := time.Now()
		if l, ok := parseLease(cur); ok && l.holder != holder && l.until.After(now) &&
			!l.until.After(now.Add(ttl)) && processExists(l.pid) {
			return nil
		}
		value = fmt.Sprintf("%d %s %d", os.Getpid(), holder, now.Add(ttl).UnixMilli())
		if _, err := tx.ExecContext(ctx, `REPLACE INTO settings (key, value) VALUES (?, ?)`, key, value); err != nil {
			return err
		}
		taken = true
		return nil
	})
	if err != nil {
		return false, fmt.Errorf("buffer: take lease: %w", err)
	}
	if taken && b.settings != nil {
		b.settings[key] = value
	}
	return taken, nil
}

// ReleaseLease gives the lease up if holder has it.
func (b *Buffer) ReleaseLease(ctx context.Context, name, holder string) error {
	if err := b.lock(); err != nil {
		return err
	}
	defer b.mu.Unlock()
	key := leasePrefix + name
	err := b.writeTx(ctx, func(tx *sql.Tx) error {
		// The holder is the second field: match it exactly, not as a prefix.
		_, err := tx.ExecContext(ctx, `DELETE FROM settings WHERE key = ? AND value LIKE ? ESCAPE '\'`,
			key, "% "+escapeLike(holder)+" %")
		return err
	})
	if err != nil {
		return fmt.Errorf("buffer: release lease: %w", err)
	}
	if b.settings != nil {
		delete(b.settings, key)
	}
	return nil
}

type lease struct {
	pid    int
	holder string
	until  time.Time
}

// parseLease reads a stored lease; anything unreadable (a hand-edited file) is no lease.
func parseLease(v string) (lease, bool) {
	f := strings.Fields(v)
	if len(f) != 3 {
		return lease{}, false
	}
	pid, err1 := strconv.Atoi(f[0])
	ms, err2 := strconv.ParseInt(f[2], 10, 64)
	if err1 != nil || err2 != nil {
		return lease{}, false
	}
	return lease{pid: pid, holder: f[1], until: time.UnixMilli(ms)}, true
}

func escapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}
