package buffer

import "context"

// A WAL checkpoint copies the write-ahead log into the main file and syncs both. SQLite
// runs one inside the commit that makes the log cross wal_autocheckpoint, so one push in
// every hundred paid for the 16 MiB log of all of them: that checkpoint was the p99 of
// ExportSpans (63-78 ms at an hour of slow fsyncs here). The checkpointer moves the work
// between pushes: after every checkpointEvery bytes pushed, a goroutine checkpoints the
// little log there is, while the caller encodes its next batch outside the buffer; a push
// that comes meanwhile waits for the rest (p99 11 ms at that hour, checkpointing every
// 1 MiB). It runs on the buffer's one connection under its lock, so the log stays bounded
// exactly as before: the auto-checkpoint is still there, it is just not reached. (A second
// connection checkpointing beside the writer did worse: with writes coming all the time it
// never caught up with the log, which then grew to the auto-checkpoint anyway.) PASSIVE
// never waits for other processes, so the lock is held for one checkpoint's I/O at most.
// A dispatch that pushes less than checkpointEvery never starts the goroutine.
type checkpointer struct {
	kick chan struct{} // capacity 1: a request while one runs is merged into the next
	stop chan struct{}
	done chan struct{}
}

// checkpointEvery is how many bytes of pushes ask for a background checkpoint: 512 KiB,
// or a quarter of the auto-checkpoint threshold of a small buffer. Each checkpoint costs
// two fsyncs, and the smaller it is, the better it fits in the time a caller takes to
// encode its next batch of 512 spans (about 3 ms). BenchmarkExportSpans p99, three rounds
// each, same CPU per span: 7.7-8.7 ms at 512 KiB, 9.9-10.8 ms at 1 MiB, 15-17 ms at 2 MiB.
func checkpointEvery(maxBytes int64) int64 { return min(walPages(maxBytes)*4096/4, 512<<10) }

func (b *Buffer) startCheckpointer() *checkpointer {
	c := &checkpointer{kick: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(c.done)
		for {
			select {
			case <-c.stop:
				return
			case <-c.kick:
			}
			b.checkpoint()
		}
	}()
	return c
}

// checkpoint copies what it can of the log (PASSIVE: it does not wait for other
// processes' readers). A failed or partial checkpoint is not an error: the next one,
// or the auto-checkpoint, catches up.
func (b *Buffer) checkpoint() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return
	}
	b.db.ExecContext(context.Background(), `PRAGMA wal_checkpoint(PASSIVE)`)
}

func (c *checkpointer) request() {
	select {
	case c.kick <- struct{}{}:
	default:
	}
}

// close stops the goroutine after the checkpoint it may be running. The caller must
// not hold b.mu.
func (c *checkpointer) close() {
	close(c.stop)
	<-c.done
}

// wroteLocked counts n bytes written by a push and asks for a checkpoint when enough
// have gathered. b.mu is held.
func (b *Buffer) wroteLocked(n int64) {
	b.unCheckpointed += n
	if b.unCheckpointed < checkpointEvery(b.opts.maxBytes) {
		return
	}
	b.unCheckpointed = 0
	if b.checkpointer == nil {
		b.checkpointer = b.startCheckpointer()
	}
	b.checkpointer.request()
}
