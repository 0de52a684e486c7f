package buffer

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"time"

	_ "modernc.org/sqlite" // registers the pure-Go "sqlite" driver
)

// MIME types of rows.
const (
	// MimeProtobuf is an OTLP TracesData protobuf, the same bytes as an
	// ExportTraceServiceRequest body. charmtrace writes only this.
	MimeProtobuf = "application/x-protobuf"
	// MimeJSON is OTLP/JSON, as written by Python ops[tracing].
	MimeJSON = "application/json"
)

// Buffer is an open trace buffer. Its methods are safe for concurrent use.
type Buffer struct {
	path     string
	opts     options
	db       *sql.DB
	guard    chan *sql.DB // read-only connection, opening in the background; keeps Close from checkpointing a small log (close.go)
	warnings []string

	mu       sync.Mutex // guards the fields below and orders Push against MarkObserved/MarkFailed
	closed   bool
	level    int               // the priority of this process's pushes (priority.go); 0 is PriorityDefault
	pushed   []int64           // ids this process pushed below PriorityFailed, raised by MarkObserved/MarkFailed
	pageSize int64             // read once, on first need
	freed    bool              // rows were removed since the last reclaim
	settings map[string]string // the settings table, read on first use

	// Statements prepared on first push: parsing SQL was a tenth of a small push's CPU.
	insertStmt, liveStmt *sql.Stmt

	// The background checkpointer, started once unCheckpointed bytes were pushed.
	checkpointer   *checkpointer
	unCheckpointed int64

	// extraCols selects charmtrace's columns, or stands in for them on a file written by
	// ops that was opened read-only (and so never got them).
	extraCols string
}

const (
	ownCols    = "created, attempts"
	absentCols = "0 AS created, 0 AS attempts"
)

// Open opens the buffer at path, creating it (mode 0600) if it does not exist. A file that
// is not a usable SQLite database is moved aside and replaced by a fresh buffer; Warnings
// says so. Errors from a read-only directory or a full disk are returned as they are.
func Open(path string, opts ...Option) (*Buffer, error) {
	o, err := newOptions(opts)
	if err != nil {
		return nil, err
	}
	// SQLite is given a file: URI, in which a relative path would read as an authority.
	if path, err = filepath.Abs(path); err != nil {
		return nil, fmt.Errorf("buffer: %w", err)
	}
	b := &Buffer{path: path, opts: o, extraCols: ownCols}
	if o.readOnly {
		if err := b.openReadOnly(); err != nil {
			return nil, err
		}
		return b, nil
	}
	if err := b.createFile(); err != nil {
		return nil, err
	}
	err = b.connect()
	if err == nil {
		err = b.ensureSchema(context.Background())
	}
	if err != nil && isDamaged(err) {
		b.closeDB()
		dest, merr := moveAside(path, time.Now())
		if merr != nil {
			return nil, errors.Join(err, merr)
		}
		b.warnings = append(b.warnings, fmt.Sprintf(
			"buffer: %s was not a usable trace buffer (%v); moved it to %s and started a fresh one", path, err, dest))
		if err = b.createFile(); err == nil {
			if err = b.connect(); err == nil {
				err = b.ensureSchema(context.Background())
			}
		}
	}
	if err != nil {
		b.closeDB()
		return nil, fmt.Errorf("buffer: open %s: %w", path, classify(err))
	}
	if o.keepLog {
		b.guard = b.openGuard()
	}
	return b, nil
}

// dsn builds the connection string. Per-connection settings live here so that a connection
// database/sql reopens (after a cancelled context) gets them again; persistent settings
// (journal mode, auto_vacuum) are written into the file once, by ensureSchema.
func (b *Buffer) dsn(extra string) string {
	sync := "NORMAL"
	if b.opts.syncFull {
		sync = "FULL"
	}
	u := url.URL{Scheme: "file", Path: b.path}
	return u.String() + fmt.Sprintf(
		"?_pragma=busy_timeout(%d)&_pragma=synchronous(%s)&_pragma=journal_size_limit(%d)&_pragma=wal_autocheckpoint(%d)&_pragma=secure_delete(ON)&_txlock=immediate%s",
		b.lockWait(context.Background()).Milliseconds(), sync, journalSizeLimit, walPages(b.opts.maxBytes), extra)
}

// secure_delete(ON) overwrites the content of removed rows with zeros, so a sent or
// evicted batch does not linger in free pages of the file (FAST would leave it in the
// overflow pages a blob lives in).

// journalSizeLimit truncates the WAL back to this size after a checkpoint, so the journal
// allowance on top of the cap stays small between dispatches.
const journalSizeLimit = 4 << 20

// maxWAL bounds the WAL between checkpoints: it is the auto-checkpoint threshold, a
// backstop. A dispatch's few writes are checkpointed once, when the buffer is closed at
// the end of the dispatch; a process that pushes megabytes has them checkpointed between
// its pushes by the checkpointer (checkpoint.go), off the exporter's path.
const maxWAL = 16 << 20

// walPages is the auto-checkpoint threshold in pages (of the default 4 KiB): maxWAL, but
// never more than half the cap, so the journal stays small beside a small buffer.
func walPages(maxBytes int64) int64 {
	return max(min(maxWAL, maxBytes/2)/4096, 16)
}

func (b *Buffer) connect() error {
	db, err := sql.Open("sqlite", b.dsn(""))
	if err != nil {
		return err
	}
	// One connection: the buffer's writes are serialised anyway, and a second connection
	// would only add its own page cache and lock traffic.
	db.SetMaxOpenConns(1)
	db.SetMaxIdleConns(1)
	db.SetConnMaxLifetime(0)
	b.db = db
	return nil
}

// openReadOnly opens an existing file for reading only. A copied WAL-mode file needs its
// -shm to be creatable to be read normally; where it is not (a read-only copy), the file is
// opened as immutable, which reads the main file as it is.
func (b *Buffer) openReadOnly() error {
	try := func(extra string) error {
		db, err := sql.Open("sqlite", b.dsn(extra))
		if err != nil {
			return err
		}
		db.SetMaxOpenConns(1)
		var n int
		if err := db.QueryRow(`SELECT count(*) FROM sqlite_master WHERE type='table' AND name IN ('tracing','settings')`).Scan(&n); err != nil {
			db.Close()
			return err
		}
		if n != 2 {
			db.Close()
			return fmt.Errorf("%s is a SQLite database but not a trace buffer (no tracing and settings tables)", b.path)
		}
		var own int
		if err := db.QueryRow(`SELECT count(*) FROM pragma_table_info('tracing') WHERE name IN ('created','attempts')`).Scan(&own); err != nil {
			db.Close()
			return err
		}
		if own != 2 {
			b.extraCols = absentCols
		}
		b.db = db
		return nil
	}
	if _, err := os.Stat(b.path); err != nil {
		return fmt.Errorf("buffer: open %s read-only: %w", b.path, err)
	}
	// Without a WAL beside it, the main file holds everything: opening it immutable
	// reads it without creating -shm and -wal files next to a copy. With a WAL, SQLite
	// must read it through the shared-memory index.
	extra := "&mode=ro"
	if _, err := os.Stat(b.path + "-wal"); errors.Is(err, fs.ErrNotExist) {
		extra += "&immutable=1"
	}
	err := try(extra)
	if err != nil {
		return fmt.Errorf("buffer: open %s read-only: %w", b.path, classify(err))
	}
	return nil
}

func (b *Buffer) closeDB() {
	if b.db != nil {
		b.db.Close()
		b.db = nil
	}
}

// Path returns the file the buffer lives in.
func (b *Buffer) Path() string { return b.path }

// Warnings returns what Open recovered from (a damaged file moved aside), for the caller
// to log once.
func (b *Buffer) Warnings() []string { return append([]string(nil), b.warnings...) }

// lock takes b.mu and fails if the buffer is closed.
func (b *Buffer) lock() error {
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return ErrClosed
	}
	return nil
}

// writeTx runs fn in one BEGIN IMMEDIATE transaction (the DSN's _txlock), so a writer takes
// the lock up front instead of failing on an upgrade from a read lock.
func (b *Buffer) writeTx(ctx context.Context, fn func(*sql.Tx) error) error {
	if b.opts.readOnly {
		return errors.New("buffer: opened read-only")
	}
	if err := b.boundLockWait(ctx); err != nil {
		return err
	}
	tx, err := b.db.BeginTx(ctx, nil)
	if err != nil {
		return classify(err)
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return classify(err)
	}
	return classify(tx.Commit())
}

// lockWait is how long the next statement may wait for another process's lock: the busy
// timeout, cut short by ctx's deadline and the buffer's own (WithDeadline); 0 once either
// has passed, so that a locked file fails the write at once instead of adding a wait.
func (b *Buffer) lockWait(ctx context.Context) time.Duration {
	d := b.opts.busyTimeout
	if dl, ok := ctx.Deadline(); ok {
		d = min(d, time.Until(dl))
	}
	if !b.opts.deadline.IsZero() {
		d = min(d, time.Until(b.opts.deadline))
	}
	return max(d, 0)
}

// boundLockWait sets the connection's busy timeout to lockWait before a write. SQLite's
// busy handler sleeps inside the C call and never looks at a context, so the bound has
// to be handed to SQLite itself; setting it is a few microseconds, no I/O.
func (b *Buffer) boundLockWait(ctx context.Context) error {
	_, err := b.db.ExecContext(ctx, fmt.Sprintf(`PRAGMA busy_timeout=%d`, b.lockWait(ctx).Milliseconds()))
	return classify(err)
}
