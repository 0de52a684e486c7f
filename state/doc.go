// Package state keeps a Go charm's unit-local state in
// $JUJU_CHARM_DIR/.unit-state.db: typed values per owner and key, and the queue
// of deferred events.
//
// A dispatch (one hook or action run) works in exactly one transaction:
//
//	db, err := state.Open(filepath.Join(charmDir, ".unit-state.db"))
//	d, err := db.Begin(ctx)   // exclusive per-unit lock, bounded wait
//	defer d.Rollback()        // no-op after Commit
//	... d.Set / d.Get / d.AppendDeferred ...
//	err = d.Commit()
//
// Everything the dispatch changed becomes visible only at Commit. A panic, an
// error exit or a SIGKILL before Commit leaves the previous state intact,
// because SQLite rolls back the unfinished transaction the next time the file
// is opened.
//
// # Durability
//
// The file stays in SQLite's rollback-journal mode (journal_mode=DELETE, as
// the Python framework leaves it) with synchronous=FULL: a Commit that
// returned nil survives a crash or power loss. The exclusive lock is held from
// Begin to Commit or Rollback; a second dispatch on the same file (another
// process or another DB handle) waits at most the lock wait (WithLockWait,
// default 30s) and then gets an error wrapping ErrLocked, never the one-hour
// wait of the Python framework.
//
// # Permissions
//
// The file is created with O_EXCL and mode 0600 before SQLite opens it, so it
// is never briefly world-readable. An existing file, and any -journal, -wal or
// -shm sidecar left beside it, is set to 0600. SQLite creates its sidecars
// with the mode of the database file, so they are 0600 too. A symbolic link at
// the file or a sidecar is never followed: Open refuses it with an error
// wrapping ErrSymlink and leaves the link and its target untouched.
//
// # Coexistence with the Python framework
//
// After upgrade-charm from a Python charm the file may already hold the
// framework's tables (snapshot, notice) with pickled data. This package never
// reads, writes or drops them: its own tables are prefixed charmtrace_ and the
// schema version lives in charmtrace_meta, not in the file header.
//
// Values are stored as JSON, so any language can read them; the schema
// version lets a later release migrate them.
package state
