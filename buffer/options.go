package buffer

import (
	"fmt"
	"time"
)

// DefaultMaxBytes is the default on-disk cap, the same 40 MiB as ops[tracing].
const DefaultMaxBytes = 40 << 20

// minMaxBytes is the smallest cap accepted: below it the schema alone would not fit.
const minMaxBytes = 64 << 10

// DefaultBusyTimeout bounds how long a write waits for another process's lock.
const DefaultBusyTimeout = 3 * time.Second

type options struct {
	maxBytes    int64
	busyTimeout time.Duration
	syncFull    bool
	readOnly    bool
	keepLog     bool
	deadline    time.Time
}

// Option configures Open.
type Option func(*options)

// WithMaxBytes sets the on-disk cap in bytes (default DefaultMaxBytes).
func WithMaxBytes(n int64) Option { return func(o *options) { o.maxBytes = n } }

// WithBusyTimeout sets how long a write waits for a lock held by another connection
// before it fails (default DefaultBusyTimeout).
func WithBusyTimeout(d time.Duration) Option { return func(o *options) { o.busyTimeout = d } }

// WithDeadline ends every wait for another process's lock at t, whatever is left of the
// busy timeout, and makes writes fail at once with ErrBusy on a locked file after t. A
// program with one time budget (a charm's dispatch) passes its end here: SQLite's busy
// wait does not watch a context, and per-write timeouts would add up.
func WithDeadline(t time.Time) Option { return func(o *options) { o.deadline = t } }

// WithSyncFull makes every commit sync the WAL (synchronous=FULL), so acknowledged pushes
// also survive power loss. The default, NORMAL, survives process crashes only.
func WithSyncFull() Option { return func(o *options) { o.syncFull = true } }

// WithLogKept makes Close leave a small, young write-ahead log (the -wal file beside the
// buffer) for the next process to append to, instead of checkpointing it into the main
// file: four fsyncs fewer for a short-lived process that stores a batch or two and is
// followed by another soon, as a charm's dispatch is. See close.go for the bounds. Until
// the next checkpoint, the buffer is the main file and its -wal together: a copy must take
// both. Without this option Close leaves one self-contained file.
func WithLogKept() Option { return func(o *options) { o.keepLog = true } }

// WithReadOnly opens an existing file without ever writing to it or moving it aside:
// for inspecting a buffer copied off a unit.
func WithReadOnly() Option { return func(o *options) { o.readOnly = true } }

func newOptions(opts []Option) (options, error) {
	o := options{maxBytes: DefaultMaxBytes, busyTimeout: DefaultBusyTimeout}
	for _, opt := range opts {
		opt(&o)
	}
	if o.maxBytes < minMaxBytes {
		return o, fmt.Errorf("buffer: max bytes %d is below the minimum of %d", o.maxBytes, minMaxBytes)
	}
	if o.busyTimeout <= 0 {
		return o, fmt.Errorf("buffer: busy timeout must be positive, got %v", o.busyTimeout)
	}
	return o, nil
}
