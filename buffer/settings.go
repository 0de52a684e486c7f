package buffer

import (
	"context"
	"database/sql"
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
//
// The settings table is read once, on first use, and then served from memory: a dispatch
// asks for the destination and the sender's state several times, and each read would be
// a transaction. Writes go through to the file and the copy. Another process's writes
// made after the first read are seen by the next Open.
func (b *Buffer) Setting(ctx context.Context, key string) (string, error) {
	if err := b.lock(); err != nil {
		return "", err
	}
	defer b.mu.Unlock()
	if err := b.loadSettingsLocked(ctx); err != nil {
		return "", err
	}
	return b.settings[key], nil
}

func (b *Buffer) loadSettingsLocked(ctx context.Context) error {
	if b.settings != nil {
		return nil
	}
	rows, err := b.db.QueryContext(ctx, `SELECT key, value FROM settings`)
	if err != nil {
		return fmt.Errorf("buffer: read settings: %w", classify(err))
	}
	defer rows.Close()
	m := map[string]string{}
	for rows.Next() {
		var k, v string
		if err := rows.Scan(&k, &v); err != nil {
			return fmt.Errorf("buffer: read settings: %w", err)
		}
		m[k] = v
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("buffer: read settings: %w", classify(err))
	}
	b.settings = m
	return nil
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
		b.settings = nil // unknown after a failed write: read again next time
		return fmt.Errorf("buffer: write settings: %w", err)
	}
	if b.settings != nil {
		for k, v := range kv {
			b.settings[k] = v
		}
	}
	return nil
}
