package buffer

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"testing"
)

// writeOpsBuffer creates a file the way Python ops[tracing] does: its exact DDL, rollback
// journal, no auto_vacuum, rows of OTLP/JSON, and the destination in settings.
func writeOpsBuffer(t *testing.T, path string) {
	t.Helper()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, s := range []string{
		`CREATE TABLE IF NOT EXISTS tracing (id INTEGER PRIMARY KEY, priority INTEGER NOT NULL, data BLOB NOT NULL, mime TEXT NOT NULL)`,
		`CREATE INDEX IF NOT EXISTS tracing_priority_id ON tracing (priority, id)`,
		`CREATE TABLE IF NOT EXISTS settings (key TEXT PRIMARY KEY, value TEXT NOT NULL)`,
		`INSERT INTO tracing (priority, data, mime) VALUES (10, '{"resourceSpans":[{"a":1}]}', 'application/json')`,
		`INSERT INTO tracing (priority, data, mime) VALUES (50, '{"resourceSpans":[{"b":2}]}', 'application/json')`,
		`REPLACE INTO settings(key, value) VALUES ('url', 'http://tempo:4318/v1/traces'), ('ca', '')`,
	} {
		if _, err := db.Exec(s); err != nil {
			t.Fatal(err)
		}
	}
}

func TestOpsWrittenBufferIsAdopted(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), ".tracing-data.db")
	writeOpsBuffer(t, path)

	b, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	rows := collect(t, b)
	if len(rows) != 2 || rows[0].Priority != 50 || rows[1].Priority != 10 {
		t.Fatalf("ops rows = %+v", rows)
	}
	for _, r := range rows {
		if r.Mime != MimeJSON || !r.Created.IsZero() {
			t.Fatalf("ops row %+v: want application/json and unknown creation time", r)
		}
	}
	if string(rows[0].Data) != `{"resourceSpans":[{"b":2}]}` {
		t.Fatalf("data = %s", rows[0].Data)
	}
	if d, _ := b.Destination(ctx); d.URL != "http://tempo:4318/v1/traces" || d.CA != "" {
		t.Fatalf("ops destination = %+v", d)
	}
	mustPush(t, b, []byte("proto"))
	b.Close()

	// The adopted file still works for ops: its INSERT names its columns.
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(`INSERT INTO tracing (priority, data, mime) VALUES (10, 'x', 'application/json')`); err != nil {
		t.Fatalf("ops-style insert into an adopted file: %v", err)
	}
	var n int
	db.QueryRow(`SELECT count(*) FROM tracing`).Scan(&n)
	if n != 4 {
		t.Fatalf("rows = %d, want 4", n)
	}
	var av int
	db.QueryRow(`PRAGMA auto_vacuum`).Scan(&av)
	if av != 2 {
		t.Fatalf("auto_vacuum = %d after adoption, want 2 (incremental)", av)
	}
}

func TestOpsWrittenBufferReadOnly(t *testing.T) {
	path := filepath.Join(t.TempDir(), ".tracing-data.db")
	writeOpsBuffer(t, path)
	b, err := Open(path, WithReadOnly())
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	rows := collect(t, b)
	if len(rows) != 2 || rows[0].Mime != MimeJSON {
		t.Fatalf("rows = %+v", rows)
	}
	s, err := b.Stats(context.Background())
	if err != nil || s.Rows != 2 {
		t.Fatalf("stats = %+v, %v", s, err)
	}
	if _, err := b.Push(context.Background(), []byte("x"), MimeProtobuf); err == nil {
		t.Fatal("push into a read-only buffer succeeded")
	}
	// Nothing was changed: the file still lacks charmtrace's columns.
	db, _ := sql.Open("sqlite", path)
	defer db.Close()
	var n int
	db.QueryRow(`SELECT count(*) FROM pragma_table_info('tracing') WHERE name = 'created'`).Scan(&n)
	if n != 0 {
		t.Fatal("read-only open altered the schema")
	}
}

func TestReadOnlyRefusesNonBuffer(t *testing.T) {
	path := filepath.Join(t.TempDir(), "other.db")
	db, _ := sql.Open("sqlite", path)
	db.Exec(`CREATE TABLE t (x)`)
	db.Close()
	if _, err := Open(path, WithReadOnly()); err == nil {
		t.Fatal("a SQLite file without the buffer tables was accepted")
	}
	if _, err := Open(filepath.Join(t.TempDir(), "missing.db"), WithReadOnly()); err == nil {
		t.Fatal("a missing file was accepted read-only")
	}
}

func TestReadOnlyCreatesNoSidecarsAndTakesRelativePaths(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, ".tracing-data.db")
	b, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	mustPush(t, b, []byte("row"))
	b.Close() // checkpoints the log and removes it
	if _, err := os.Stat(path + "-wal"); err == nil {
		t.Fatal("the log outlived its checkpoint")
	}
	t.Chdir(dir)
	ro, err := Open(".tracing-data.db", WithReadOnly())
	if err != nil {
		t.Fatal(err)
	}
	if rows := collect(t, ro); len(rows) != 1 {
		t.Fatalf("rows = %d", len(rows))
	}
	ro.Close()
	for _, s := range []string{"-wal", "-shm"} {
		if _, err := os.Stat(path + s); err == nil {
			t.Errorf("read-only open created %s", s)
		}
	}
}
