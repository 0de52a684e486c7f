package state

import (
	"database/sql"
	"fmt"
	"math"
	"net/url"
	"path/filepath"
	"sync/atomic"
	"time"

	// Registers the pure-Go "sqlite" driver: CGO_ENABLED=0 builds must work.
	_ "modernc.org/sqlite"
)

// DefaultLockWait is how long Begin waits for another dispatch to release the
// unit's lock. Juju runs one hook at a time per unit, so a long wait means a
// stuck process; failing clearly beats hanging the hook.
const DefaultLockWait = 30 * time.Second

// DB is an open unit state database. It is safe for concurrent use; each
// Begin takes its own connection.
type DB struct {
	sql      *sql.DB
	path     string
	lockWait time.Duration
	// schemaReady skips the schema check on later Begins of the same handle.
	schemaReady atomic.Bool
}

type config struct {
	lockWait time.Duration
}

// Option configures Open.
type Option func(*config)

// WithLockWait sets how long Begin waits for the unit lock before returning
// an error wrapping ErrLocked. Zero or less means do not wait at all.
func WithLockWait(d time.Duration) Option {
	return func(c *config) { c.lockWait = max(d, 0) }
}

// Open prepares the state database at path, creating it with mode 0600 if it
// does not exist and tightening it (and its sidecar files) to 0600 if it
// does. Open does not touch the file's contents or take any lock; the first
// Begin does.
func Open(path string, opts ...Option) (*DB, error) {
	cfg := config{lockWait: DefaultLockWait}
	for _, o := range opts {
		o(&cfg)
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("state: %w", err)
	}
	if err := ensurePrivate(abs); err != nil {
		return nil, err
	}
	sqldb, err := sql.Open("sqlite", dsn(abs, cfg.lockWait))
	if err != nil {
		return nil, fmt.Errorf("state: open %s: %w", abs, err)
	}
	return &DB{sql: sqldb, path: abs, lockWait: cfg.lockWait}, nil
}

// dsn builds a SQLite URI for path. mode=rw stops SQLite from creating the
// file itself (with the umask's looser mode) should it vanish after
// ensurePrivate. busy_timeout bounds the lock wait. No other pragma is set
// here: one that reads the schema would wait for the lock while connecting,
// where ctx cannot end the wait (see begin).
func dsn(path string, lockWait time.Duration) string {
	q := url.Values{}
	q.Set("mode", "rw")
	// SQLite keeps the timeout in a C int of milliseconds (about 24 days).
	ms := min(lockWait.Milliseconds(), math.MaxInt32)
	q.Set("_pragma", fmt.Sprintf("busy_timeout(%d)", ms))
	return "file:" + (&url.URL{Path: path}).EscapedPath() + "?" + q.Encode()
}

// Close releases the database's connections. A Dispatch still open is
// rolled back when its connection closes.
func (db *DB) Close() error {
	return db.sql.Close()
}
