package state

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"sync"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// ErrLocked is wrapped by the error Begin returns when another dispatch holds
// the unit's lock for longer than the lock wait.
var ErrLocked = errors.New("state: unit state database is locked by another dispatch")

// ErrDone is returned by a Dispatch used after Commit or Rollback.
var ErrDone = errors.New("state: dispatch already committed or rolled back")

// Dispatch is the single transaction of one dispatch. It holds the unit's
// exclusive lock until Commit or Rollback. Its methods are safe for
// concurrent use, though a dispatch normally runs its handlers one by one.
type Dispatch struct {
	db *DB
	// mu serialises statements and guards conn; conn is nil once the
	// transaction has ended.
	mu   sync.Mutex
	conn *sql.Conn
	// createdSchema marks that this transaction created the tables, so the
	// DB handle may skip the schema check only after it commits.
	createdSchema bool
}

// Begin starts the dispatch's transaction and takes the unit's exclusive
// lock, waiting at most the lock wait (see WithLockWait) or until ctx is
// done. ctx bounds only the wait; the transaction lives until Commit or
// Rollback.
func (db *DB) Begin(ctx context.Context) (*Dispatch, error) {
	conn, err := db.sql.Conn(ctx)
	if err != nil {
		return nil, db.fail("connect to", err)
	}
	if err := begin(ctx, conn); err != nil {
		conn.Close()
		// ctx first: a wait that ctx cut short also ends in SQLITE_BUSY,
		// and "gave up after the lock wait" would then be wrong.
		if ctxErr := ctx.Err(); ctxErr != nil {
			return nil, fmt.Errorf("state: waiting for the lock on %s: %w", db.path, ctxErr)
		}
		if isBusy(err) {
			return nil, fmt.Errorf("%w: gave up on %s after waiting %v", ErrLocked, db.path, db.lockWait)
		}
		return nil, db.fail("begin on", err)
	}
	d := &Dispatch{db: db, conn: conn}
	created, err := db.ensureSchema(ctx, conn)
	if err != nil {
		d.Rollback()
		return nil, err
	}
	d.createdSchema = created
	return d, nil
}

// begin starts the exclusive transaction on conn. Both statements may wait
// for another dispatch's lock, and they run here, under ctx and the busy
// timeout, rather than as connection-time pragmas, whose waits ctx cannot
// end.
func begin(ctx context.Context, conn *sql.Conn) error {
	// synchronous=FULL makes a returned Commit durable. It cannot be changed
	// inside a transaction and it reads the schema, so it needs the lock too.
	if _, err := conn.ExecContext(ctx, "PRAGMA synchronous = FULL"); err != nil {
		return err
	}
	// EXCLUSIVE takes the write lock now rather than at the first write, so a
	// second dispatch is turned away here and not halfway through its work.
	_, err := conn.ExecContext(ctx, "BEGIN EXCLUSIVE")
	return err
}

// isBusy reports SQLITE_BUSY, including its extended codes.
func isBusy(err error) bool {
	var se *sqlite.Error
	return errors.As(err, &se) && se.Code()&0xff == sqlite3.SQLITE_BUSY
}

// Commit makes every change of the dispatch durable and releases the lock.
// If it fails, nothing of the dispatch is kept.
func (d *Dispatch) Commit() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.conn == nil {
		return ErrDone
	}
	// Background: a cancelled dispatch context must not cut a commit short.
	if _, err := d.conn.ExecContext(context.Background(), "COMMIT"); err != nil {
		// SQLite may have rolled back already; if not, do it now.
		_ = d.rollbackLocked()
		return d.db.fail("commit", err)
	}
	if d.createdSchema {
		d.db.schemaReady.Store(true)
	}
	d.release(nil)
	return nil
}

// Rollback discards every change of the dispatch and releases the lock. It
// returns nil after Commit, so it can always be deferred.
func (d *Dispatch) Rollback() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.conn == nil {
		return nil
	}
	return d.rollbackLocked()
}

// rollbackLocked ends the transaction and releases the connection; d.mu is
// held. A connection whose ROLLBACK failed is discarded rather than reused,
// so no later Begin can inherit a half-open transaction.
func (d *Dispatch) rollbackLocked() error {
	_, err := d.conn.ExecContext(context.Background(), "ROLLBACK")
	d.release(err)
	if err != nil {
		return d.db.fail("rollback", err)
	}
	return nil
}

func (d *Dispatch) release(txErr error) {
	if txErr != nil {
		_ = d.conn.Raw(func(any) error { return driver.ErrBadConn })
	}
	_ = d.conn.Close()
	d.conn = nil
}

// lock returns the live connection with d.mu held, or ErrDone. The caller
// must call d.mu.Unlock.
func (d *Dispatch) lock() (*sql.Conn, error) {
	d.mu.Lock()
	if d.conn == nil {
		d.mu.Unlock()
		return nil, ErrDone
	}
	return d.conn, nil
}
