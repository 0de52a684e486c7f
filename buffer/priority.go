package buffer

import (
	"context"
	"database/sql"
	"fmt"
)

// Priorities of rows. Higher is sent first and evicted last. A process pushes at the
// priority it has been raised to, and raising it also raises the rows it pushed before:
// what a dispatch turned out to be decides the priority of all of its trace.
const (
	// PriorityDefault marks rows of a dispatch whose event no charm handler observed.
	PriorityDefault = 10
	// PriorityObserved marks rows of a dispatch whose event a charm handler observed.
	PriorityObserved = 50
	// PriorityFailed marks rows of a dispatch that failed (an error or a panic): the
	// trace an engineer looks for first, so a full buffer evicts it last.
	PriorityFailed = 90
)

// pushPriority is the priority of the next push of this process. b.mu is held.
func (b *Buffer) pushPriority() int {
	return max(b.level, PriorityDefault)
}

// MarkObserved raises every row this process has pushed to PriorityObserved, and makes
// every later push from this process use it. Rows already sent or evicted are skipped;
// after MarkFailed it changes nothing.
func (b *Buffer) MarkObserved(ctx context.Context) error {
	return b.raise(ctx, PriorityObserved, "mark observed")
}

// MarkFailed raises every row this process has pushed to PriorityFailed, and makes every
// later push from this process use it. Rows already sent or evicted are skipped.
func (b *Buffer) MarkFailed(ctx context.Context) error {
	return b.raise(ctx, PriorityFailed, "mark failed")
}

// raise lifts this process's rows and later pushes to priority p; it never lowers them.
func (b *Buffer) raise(ctx context.Context, p int, op string) error {
	if err := b.lock(); err != nil {
		return err
	}
	defer b.mu.Unlock()
	if p <= b.pushPriority() {
		return nil
	}
	if len(b.pushed) > 0 {
		err := b.writeTx(ctx, func(tx *sql.Tx) error {
			return forChunks(b.pushed, func(part []int64) error {
				// "priority < p" keeps a row that something else raised higher where it is.
				_, err := tx.ExecContext(ctx,
					fmt.Sprintf(`UPDATE tracing SET priority = %d WHERE priority < %d AND id IN (%s)`, p, p, placeholders(len(part))),
					anys(part)...)
				return err
			})
		})
		if err != nil {
			return fmt.Errorf("buffer: %s: %w", op, err)
		}
	}
	// Set under b.mu, which Push also holds: no push can slip in between the UPDATE and
	// the new level with the old priority.
	b.level = p
	if p >= PriorityFailed {
		b.pushed = nil // nothing can raise these rows further
	}
	return nil
}
