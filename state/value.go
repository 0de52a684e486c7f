package state

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
)

// Set stores value under (owner, key), replacing any previous value. The
// value is encoded as JSON, so it must be JSON-encodable (no channels,
// functions or NaN). owner names the component the value belongs to, e.g. a
// charm or a library; key must not be empty.
func (d *Dispatch) Set(ctx context.Context, owner, key string, value any) error {
	if key == "" {
		return errors.New("state: Set with an empty key")
	}
	data, err := json.Marshal(value)
	if err != nil {
		return fmt.Errorf("state: encode %s/%s: %w", owner, key, err)
	}
	conn, err := d.lock()
	if err != nil {
		return err
	}
	defer d.mu.Unlock()
	_, err = conn.ExecContext(ctx, `INSERT INTO charmtrace_value (owner, key, value) VALUES (?, ?, ?)
		ON CONFLICT (owner, key) DO UPDATE SET value = excluded.value`, owner, key, string(data))
	if err != nil {
		return d.db.fail("write "+owner+"/"+key+" in", err)
	}
	return nil
}

// Get decodes the value stored under (owner, key) into dst, a pointer, as
// json.Unmarshal does. It reports false, and leaves dst alone, when there is
// no such value.
func (d *Dispatch) Get(ctx context.Context, owner, key string, dst any) (bool, error) {
	conn, err := d.lock()
	if err != nil {
		return false, err
	}
	var data string
	err = conn.QueryRowContext(ctx,
		`SELECT value FROM charmtrace_value WHERE owner = ? AND key = ?`, owner, key).Scan(&data)
	d.mu.Unlock()
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, d.db.fail("read "+owner+"/"+key+" from", err)
	}
	// The error of a failed decode names types and offsets, never the
	// stored value, which may be a secret.
	if err := json.Unmarshal([]byte(data), dst); err != nil {
		return false, fmt.Errorf("state: decode %s/%s: %w", owner, key, err)
	}
	return true, nil
}

// Delete removes the value stored under (owner, key). Deleting a missing
// value is not an error.
func (d *Dispatch) Delete(ctx context.Context, owner, key string) error {
	conn, err := d.lock()
	if err != nil {
		return err
	}
	defer d.mu.Unlock()
	if _, err := conn.ExecContext(ctx,
		`DELETE FROM charmtrace_value WHERE owner = ? AND key = ?`, owner, key); err != nil {
		return d.db.fail("delete "+owner+"/"+key+" in", err)
	}
	return nil
}

// Load is Get for a value of type T: it returns the zero T and false when
// there is no value under (owner, key).
func Load[T any](ctx context.Context, d *Dispatch, owner, key string) (T, bool, error) {
	var v T
	ok, err := d.Get(ctx, owner, key, &v)
	if err != nil || !ok {
		var zero T
		return zero, false, err
	}
	return v, true, nil
}
