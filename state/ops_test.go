package state_test

import (
	"context"
	"fmt"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/charmtrace/charmtrace/state"
)

// opsSchema is the Python framework's layout (ops/storage.py), which a Go
// charm finds after upgrade-charm from a Python one.
var opsSchema = []string{
	`CREATE TABLE snapshot (handle TEXT PRIMARY KEY, data BLOB)`,
	`CREATE TABLE notice (sequence INTEGER PRIMARY KEY AUTOINCREMENT, event_path TEXT,
		observer_path TEXT, method_name TEXT)`,
}

// Pickles (protocol 4) as Python's pickle.dumps writes them.
var opsSnapshots = map[string][]byte{
	"StoredStateData[_stored]":                []byte("\x80\x04\x95\x14\x00\x00\x00\x00\x00\x00\x00}\x94\x8c\x0bevent_count\x94K\x07s."),
	"MyCharm/StoredStateData[_stored]":        []byte("\x80\x04\x95/\x00\x00\x00\x00\x00\x00\x00}\x94(\x8c\x0e_relation_data\x94}\x94\x8c\x01a\x94K\x01s\x8c\x0cpassword_set\x94\x88u."),
	"MyCharm/on/db_relation_changed[6]":       []byte("\x80\x04\x95!\x00\x00\x00\x00\x00\x00\x00}\x94(\x8c\x08deferred\x94\x88\x8c\x0brelation_id\x94K\x03u."),
	"MyCharm/on/config_changed[5]":            {},
	"MyCharm/on/update_status[4] (null data)": nil,
}

var opsNotices = [][3]string{
	{"MyCharm/on/config_changed[5]", "MyCharm", "_on_config_changed"},
	{"MyCharm/on/db_relation_changed[6]", "MyCharm", "_on_db_changed"},
}

// writeOpsFile creates path the way ops.SQLiteStorage does and fills it.
func writeOpsFile(t *testing.T, path string) {
	t.Helper()
	db := rawDB(t, path)
	for _, stmt := range opsSchema {
		if _, err := db.Exec(stmt); err != nil {
			t.Fatal(err)
		}
	}
	for handle, data := range opsSnapshots {
		if _, err := db.Exec(`REPLACE INTO snapshot VALUES (?, ?)`, handle, data); err != nil {
			t.Fatal(err)
		}
	}
	for _, n := range opsNotices {
		if _, err := db.Exec(`INSERT INTO notice VALUES (NULL, ?, ?, ?)`, n[0], n[1], n[2]); err != nil {
			t.Fatal(err)
		}
	}
	// A deleted notice leaves a gap and a sqlite_sequence entry, as in life.
	if _, err := db.Exec(`INSERT INTO notice VALUES (NULL, 'x', 'y', 'z')`); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`DELETE FROM notice WHERE event_path = 'x'`); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
}

// opsContent is everything of the framework's in the file, byte for byte:
// its table definitions, every row (typed, blobs as bytes) and its
// AUTOINCREMENT counter.
func opsContent(t *testing.T, path string) []string {
	t.Helper()
	db := rawDB(t, path)
	defer db.Close()
	var out []string
	dump := func(query string) {
		rows, err := db.Query(query)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		cols, err := rows.Columns()
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			out = append(out, fmt.Sprintf("%#v", vals))
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
	}
	dump(`SELECT type, name, tbl_name, sql FROM sqlite_schema WHERE tbl_name IN ('snapshot', 'notice') ORDER BY name`)
	dump(`SELECT handle, data, typeof(data) FROM snapshot ORDER BY handle`)
	dump(`SELECT sequence, event_path, observer_path, method_name FROM notice ORDER BY sequence`)
	dump(`SELECT name, seq FROM sqlite_sequence WHERE name = 'notice'`)
	return out
}

func TestOpsFileSurvivesUntouched(t *testing.T) {
	path := filepath.Join(t.TempDir(), ".unit-state.db")
	writeOpsFile(t, path)
	before := opsContent(t, path)
	if len(before) < len(opsSnapshots)+len(opsNotices) {
		t.Fatalf("ops file not written: %q", before)
	}

	db, err := state.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	// A committed dispatch, with values and deferrals in our own tables...
	err = dispatch(db, func(ctx context.Context, d *state.Dispatch) error {
		if err := d.Set(ctx, "charm", "counter", 1); err != nil {
			return err
		}
		if err := d.AppendDeferred(ctx, "config-changed", "onConfig", []byte("{}")); err != nil {
			return err
		}
		return d.AppendDeferred(ctx, "start", "onStart", []byte("{}"))
	})
	if err != nil {
		t.Fatal(err)
	}
	// ...one that drains part of the queue and deletes a value...
	err = dispatch(db, func(ctx context.Context, d *state.Dispatch) error {
		if _, err := rerun(ctx, d, func(e string) bool { return e == "start" }); err != nil {
			return err
		}
		return d.Delete(ctx, "charm", "counter")
	})
	if err != nil {
		t.Fatal(err)
	}
	// ...and one that is rolled back.
	d, err := db.Begin(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Set(context.Background(), "charm", "x", "y"); err != nil {
		t.Fatal(err)
	}
	if err := d.Rollback(); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	if after := opsContent(t, path); !reflect.DeepEqual(before, after) {
		t.Fatalf("ops tables changed\nbefore: %q\nafter:  %q", before, after)
	}
	checkIntegrity(t, path)
	// Our queue lives beside theirs and kept its own state.
	if got := read(t, path); len(got.deferred) != 1 || got.deferred[0] != "config-changed/onConfig/{}" {
		t.Fatalf("charmtrace queue %q", got.deferred)
	}
}

func TestNewerSchemaRefused(t *testing.T) {
	path := filepath.Join(t.TempDir(), ".unit-state.db")
	seed(t, path, 1)
	raw := rawDB(t, path)
	if _, err := raw.Exec(`UPDATE charmtrace_meta SET value = '99' WHERE key = 'schema_version'`); err != nil {
		t.Fatal(err)
	}
	raw.Close()
	db, err := state.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Begin(context.Background()); err == nil {
		t.Fatal("Begin on a schema from the future succeeded")
	}
}

func TestDamagedValueIsAnError(t *testing.T) {
	path := filepath.Join(t.TempDir(), ".unit-state.db")
	seed(t, path, 1)
	raw := rawDB(t, path)
	if _, err := raw.Exec(`UPDATE charmtrace_value SET value = '{not json' WHERE key = 'counter'`); err != nil {
		t.Fatal(err)
	}
	raw.Close()
	db, err := state.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	err = dispatch(db, func(ctx context.Context, d *state.Dispatch) error {
		_, _, err := state.Load[int](ctx, d, "charm", "counter")
		return err
	})
	if err == nil {
		t.Fatal("decoding a damaged value succeeded")
	}
}
