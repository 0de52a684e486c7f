package buffer

import (
	"context"
	"database/sql"
	"errors"
	"net/url"
	"os"
	"time"
)

// A dispatch is one process: it opens the buffer, stores a batch or two, and closes it.
// SQLite's last connection to close checkpoints the WAL into the main file and deletes
// it, and the next process creates it again: four fsyncs per dispatch (the log, the
// directory when the log is created, the log and the main file in the checkpoint), the
// larger part of what storing a dispatch's spans costs. With WithLogKept, which tracing
// passes for a dispatch, Close therefore leaves a small, young log in place for the next
// dispatch to append to, and checkpoints only when the
// log has grown (keepLogBytes), has waited long enough (keepLogFor), or rows were removed
// (a sent or evicted batch must not linger in the log's page images: secure_delete's
// promise, see dsn).
//
// Leaving the log is durable as SQLite defines synchronous=NORMAL: a commit in the log
// survives the process being killed, and on power loss the commits since the last
// checkpoint may roll back — at most keepLogFor's worth, and the kernel writes them out
// within seconds anyway. The next opener recovers the log as after a crash.
//
// SQLite offers no SQL switch for "do not checkpoint on close" (SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE
// is C-only). What it does guarantee is that the closing connection checkpoints only if
// it can lock the file exclusively. So a writable buffer also holds a read-only
// connection (the guard, opened beside the buffer's first writes, see openGuard): while
// it is open, closing the writer cannot checkpoint, and a read-only
// connection cannot take that lock when it closes in turn. When the log is to be
// checkpointed, Close closes the guard first.
//
// The next process to open the file reads the whole log to rebuild its index (about half
// a millisecond per MiB here), which is what bounds keepLogBytes: a dispatch that stores
// one small batch adds about 30 KiB of log (the pages it touched, whole), so a checkpoint
// comes every eight or so dispatches.
const (
	keepLogBytes = 256 << 10
	keepLogFor   = 15 * time.Minute
)

// Close returns freed pages to the file system if a drain removed rows, and closes the
// file: with a checkpoint of the WAL into the main file, unless it was opened
// WithLogKept and the log may be left for the next process (see keepLogBytes).
func (b *Buffer) Close() error {
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return nil
	}
	b.closed = true
	ckpt := b.checkpointer
	b.mu.Unlock()
	if ckpt != nil {
		ckpt.close() // it takes b.mu; closed makes it skip a pending checkpoint
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	var err error
	removed := b.freed
	if b.freed && !b.opts.readOnly {
		err = b.reclaimLocked(context.Background())
	}
	for _, st := range []*sql.Stmt{b.insertStmt, b.liveStmt} {
		if st != nil {
			st.Close()
		}
	}
	var guard *sql.DB
	if b.guard != nil {
		guard = <-b.guard
	}
	if guard != nil && (removed || !b.logIsSmallAndYoung(time.Now())) {
		guard.Close() // first: the writer's close is then the last, and checkpoints
		guard = nil
	}
	err = errors.Join(err, b.db.Close())
	if guard != nil {
		guard.Close() // read-only: it cannot checkpoint; an error here loses nothing
	}
	return err
}

// logIsSmallAndYoung reports whether the WAL may be left as it is: under keepLogBytes,
// and the main file, which only checkpoints write to, written within keepLogFor. A
// missing log, or a main file dated in the future (a clock that went back), is not.
func (b *Buffer) logIsSmallAndYoung(now time.Time) bool {
	wal, err := os.Stat(b.path + "-wal")
	if err != nil || wal.Size() == 0 || wal.Size() > keepLogBytes {
		return false
	}
	main, err := os.Stat(b.path)
	if err != nil {
		return false
	}
	age := now.Sub(main.ModTime())
	return age >= 0 && age < keepLogFor
}

// openGuard starts opening the read-only connection that holds the file open (a shared
// lock) until the writer has closed. It opens on a goroutine of its own, beside the
// dispatch's first writes, since a connection costs about half a millisecond; Close
// receives it, or nil if it could not be opened, and then checkpoints as usual.
func (b *Buffer) openGuard() chan *sql.DB {
	c := make(chan *sql.DB, 1)
	go func() { c <- b.dialGuard() }()
	return c
}

// dialGuard opens the guard. It needs none of the writer's per-connection settings (see
// dsn): it only reads, once.
func (b *Buffer) dialGuard() *sql.DB {
	u := url.URL{Scheme: "file", Path: b.path, RawQuery: "mode=ro"}
	db, err := sql.Open("sqlite", u.String())
	if err != nil {
		return nil
	}
	db.SetMaxOpenConns(1)
	var v int
	// A read takes the shared lock and maps the log's index; it is held until Close.
	if err := db.QueryRow(`PRAGMA user_version`).Scan(&v); err != nil {
		db.Close()
		return nil
	}
	return db
}
