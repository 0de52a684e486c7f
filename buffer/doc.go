// Package buffer is the durable on-disk queue of trace data that a charm keeps at
// $JUJU_CHARM_DIR/.tracing-data.db until a tracing receiver is related.
//
// A row is one exported batch: opaque bytes plus the MIME type they are sent with.
// The package knows nothing of OpenTelemetry; the exporter package encodes spans into
// rows and the drainer sends them.
//
// # Compatibility with Python ops
//
// The schema is the one ops[tracing] writes — table tracing(id, priority, data, mime) and
// settings(key, value) — so a buffer left behind by a Python charm on upgrade-charm is
// adopted in place: its application/json rows stay and are sent with their own type.
// charmtrace adds two columns with defaults (created, attempts), makes the id AUTOINCREMENT
// (so that an id deleted is never handed out again and a sender's Remove, Drop or Split
// can only hit the row it read; an adopted file is rebuilt once for this) and adds two
// tables of its own (charmtrace_drops, charmtrace_counts); ops' INSERTs name their columns
// and no id, so an adopted file still works for ops.
//
// # Priorities and the byte cap
//
// Rows are pushed at [PriorityDefault]; [Buffer.MarkObserved] raises the rows this
// process pushed, and every later push, to [PriorityObserved], and [Buffer.MarkFailed]
// to [PriorityFailed] (a priority is never lowered). The cap is measured on
// the file itself (live pages × page size), not estimated from row sizes: before an
// insert that would pass it, the lowest-priority, oldest rows are evicted, only as many
// as needed, and counted. A chunk larger than the cap is refused with [ErrTooLarge] and
// counted; it is never stored. Freed pages are reused by later inserts and returned to
// the file system (auto_vacuum=INCREMENTAL) when a drain has emptied enough of them, so
// the file shrinks after a drain. On top of the cap comes the WAL: at most 16 MiB (half the
// cap for a small one) between checkpoints, and 4 MiB once a checkpoint has run. A process
// that pushes more than 512 KiB has its log checkpointed between its pushes, in the
// background. Close checkpoints the log and removes it, leaving one self-contained file
// that can be copied alone. Opened [WithLogKept] (as tracing opens it for a dispatch),
// Close instead leaves a log of at most 256 KiB, checkpointed within the last 15 minutes,
// for the next process to append to (a dispatch's few writes then cost no fsync); it
// still checkpoints a larger or older log, and any log after rows were removed.
//
// # Durability
//
// The file is in WAL mode with synchronous=NORMAL by default: a push that returned nil
// survives the process being killed at any point (SQLite commits are atomic and durable
// across application crashes whatever the sync level), and the file is never corrupted by
// a crash or power loss. On power loss or a kernel crash the most recent commits may roll
// back: those since the last checkpoint, with [WithLogKept] at most 15 minutes' and
// 256 KiB's worth of log (the kernel writes them out within seconds in the normal course).
// [WithSyncFull] selects synchronous=FULL, which syncs the WAL on every commit and makes
// acknowledged pushes durable across power loss too, at the cost of one fsync per push.
//
// # Concurrency
//
// A Buffer is safe for concurrent use by goroutines; it holds one SQLite connection. Several
// processes may open the same file at once (a hook and a juju exec can overlap): writes are
// BEGIN IMMEDIATE transactions and wait for the lock at most the busy timeout (default 3 s),
// then fail with an error instead of hanging. Nothing is retried blindly. [WithDeadline]
// and a context's deadline cut every wait short: SQLite's busy wait does not watch a
// context, so the bound is handed to SQLite before each write. [Buffer.TakeLease] lets one
// process at a time do what two must not do at once (drain).
//
// # Malformed rows
//
// Without STRICT tables SQLite stores whatever a writer gives it. A row whose columns hold
// the wrong types (a crafted or edited file) is yielded by Pending as [ErrMalformedRow],
// counted apart in Stats, and never blocks the rows around it.
//
// # Damaged files
//
// A file at the path that is not a SQLite database, or whose schema cannot be read, is moved
// aside to .tracing-data.db.corrupt-<time> and a fresh buffer is created; [Buffer.Warnings]
// says so. A read-only directory or a full disk is returned as an error the caller can
// degrade on (see [ErrDiskFull]).
package buffer
