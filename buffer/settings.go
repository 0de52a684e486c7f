package buffer

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// Destination is where the buffer drains to. It is stored in the settings table under the
// keys ops uses ('url' and 'ca'), so a destination set by a Python charm carries over.
type Destination struct {
	URL string // "" means buffer only
	CA  string // PEM bundle; "" means none
}

// Destination returns the stored destination; both fields are empty when none is set.
func (b *Buffer) Destination(ctx context.Context) (Destination, error) {
	var d Destination
	var err error
	if d.URL, err = b.Setting(ctx, "url"); err != nil {
		return d, err
	}
	d.CA, err = b.Setting(ctx, "ca")
	return d, err
}

// SetDestination stores d if it differs from the stored one, and reports whether it did.
// Writing only on change keeps the dispatches that merely re-derive the same destination
// free of write transactions.
func (b *Buffer) SetDestination(ctx context.Context, d Destination) (changed bool, err error) {
	cur, err := b.Destination(ctx)
	if err != nil {
		return false, err
	}
	if cur == d {
		return false, nil
	}
	if err := b.setSettings(ctx, map[string]string{"url": d.URL, "ca": d.CA}); err != nil {
		return false, err
	}
	return true, nil
}

// Setting returns the value stored under key, or "" when there is none.
func (b *Buffer) Setting(ctx context.Context, key string) (string, error) {
	if b.isClosed() {
		return "", ErrClosed
	}
	var v string
	err := b.db.QueryRowContext(ctx, `SELECT value FROM settings WHERE key = ?`, key).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("buffer: read setting %q: %w", key, classify(err))
	}
	return v, nil
}

// SetSetting stores value under key. Senders keep their small state here (back-off
// windows and the like); use a prefix of your own for the key.
func (b *Buffer) SetSetting(ctx context.Context, key, value string) error {
	return b.setSettings(ctx, map[string]string{key: value})
}

func (b *Buffer) setSettings(ctx context.Context, kv map[string]string) error {
	if err := b.lock(); err != nil {
		return err
	}
	defer b.mu.Unlock()
	err := b.writeTx(ctx, func(tx *sql.Tx) error {
		for k, v := range kv {
			if _, err := tx.ExecContext(ctx, `REPLACE INTO settings (key, value) VALUES (?, ?)`, k, v); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("buffer: write settings: %w", err)
	}
	return nil
}
