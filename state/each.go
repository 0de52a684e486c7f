package state

import (
	"context"
	"encoding/json"
)

// EachValue calls fn for every stored value, ordered by owner then key, with the value
// as its JSON encoding. It reads all values first, so fn may change the state. Tests and
// tools use it to see a unit's whole state (package charmtest reads it back after a
// dispatch).
func (d *Dispatch) EachValue(ctx context.Context, fn func(owner, key string, value json.RawMessage) error) error {
	type entry struct{ owner, key, value string }
	conn, err := d.lock()
	if err != nil {
		return err
	}
	rows, err := conn.QueryContext(ctx, `SELECT owner, key, value FROM charmtrace_value ORDER BY owner, key`)
	if err != nil {
		d.mu.Unlock()
		return d.db.fail("read the values in", err)
	}
	var entries []entry
	for rows.Next() {
		var e entry
		if err = rows.Scan(&e.owner, &e.key, &e.value); err != nil {
			break
		}
		entries = append(entries, e)
	}
	if err == nil {
		err = rows.Err()
	}
	rows.Close()
	d.mu.Unlock()
	if err != nil {
		return d.db.fail("read the values in", err)
	}
	for _, e := range entries {
		if err := fn(e.owner, e.key, json.RawMessage(e.value)); err != nil {
			return err
		}
	}
	return nil
}
