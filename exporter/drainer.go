package exporter

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/charmtrace/charmtrace/buffer"
)

// drainer runs the drains of one Exporter: in a background goroutine once
// started, and a final one at Shutdown. Drains never overlap; the fields
// below mu belong to whichever runs them.
type drainer struct {
	buf   *buffer.Buffer
	cfg   config
	stats *counters

	wake      chan struct{} // new rows or a new destination; capacity 1
	final     chan struct{} // closed by finish
	done      chan struct{} // closed when the goroutine returns
	cancelRun context.CancelFunc

	mu            sync.Mutex
	finalDeadline time.Time // the end of Shutdown's drain, set before final closes
	dest          buffer.Destination
	destKnown     bool
	finalDone     bool

	sender     *Sender
	senderDest string // fingerprint of the destination sender was built for
	window     backoff
	windowRead bool
	retryAt    map[int64]time.Time // rows that failed in this process: not before then
}

// leaseRetry is how soon the background drain tries again while another
// process holds the drain lease.
const leaseRetry = time.Second

func newDrainer(buf *buffer.Buffer, cfg config, stats *counters) *drainer {
	return &drainer{
		buf: buf, cfg: cfg, stats: stats,
		wake:    make(chan struct{}, 1),
		final:   make(chan struct{}),
		retryAt: map[int64]time.Time{},
	}
}

func (d *drainer) wakeup() {
	select {
	case d.wake <- struct{}{}:
	default:
	}
}

func (d *drainer) setDestination(dest buffer.Destination) {
	d.mu.Lock()
	d.dest, d.destKnown = dest, true
	d.mu.Unlock()
	d.wakeup()
}

// destination returns the destination, reading the buffer only the first
// time: a dispatch without one costs a single read.
func (d *drainer) destination(ctx context.Context) (buffer.Destination, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if !d.destKnown {
		dest, err := d.buf.Destination(ctx)
		if err != nil {
			return buffer.Destination{}, err
		}
		d.dest, d.destKnown = dest, true
	}
	return d.dest, nil
}

func (d *drainer) start(ctx context.Context) {
	ctx, d.cancelRun = context.WithCancel(ctx)
	d.done = make(chan struct{})
	go d.run(ctx)
}

func (d *drainer) run(ctx context.Context) {
	defer close(d.done)
	for {
		select {
		case <-d.final:
			d.finalPassInRun(ctx)
			return
		default:
		}
		next := d.pass(ctx)
		var timer *time.Timer
		var fire <-chan time.Time
		if !next.IsZero() {
			timer = time.NewTimer(time.Until(next))
			fire = timer.C
		}
		select {
		case <-ctx.Done():
		case <-d.wake:
		case <-fire:
		case <-d.final:
			d.finalPassInRun(ctx)
			return
		}
		if timer != nil {
			timer.Stop()
		}
		if ctx.Err() != nil {
			return
		}
	}
}

// finalPassInRun is the final pass on the background goroutine: its context has no
// deadline of its own (Shutdown cancels it), so it takes Shutdown's.
func (d *drainer) finalPassInRun(ctx context.Context) {
	d.mu.Lock()
	deadline := d.finalDeadline
	d.mu.Unlock()
	if !deadline.IsZero() {
		var cancel context.CancelFunc
		ctx, cancel = context.WithDeadline(ctx, deadline)
		defer cancel()
	}
	d.finalPass(ctx)
}

// finalPass drains once more at Shutdown. A receiver that throttles (429 or 503 with
// a short Retry-After) is waited for when its window ends early enough in the budget
// to send after it: otherwise a receiver that throttles every other request would get
// about one row per dispatch, and the backlog of a busy unit would never shrink.
func (d *drainer) finalPass(ctx context.Context) {
	for range maxFinalWaits + 1 {
		next := d.pass(ctx)
		if !d.worthWaiting(ctx, next) {
			break
		}
		t := time.NewTimer(time.Until(next))
		select {
		case <-ctx.Done():
		case <-t.C:
		}
		t.Stop()
	}
	d.mu.Lock()
	d.finalDone = true
	d.mu.Unlock()
}

// maxFinalWaits bounds how often one Shutdown waits out a receiver's window.
const maxFinalWaits = 8

// minSendTime is the part of the budget that must be left after a wait for it to be
// worth waiting: enough for a request on loopback or a LAN.
const minSendTime = 250 * time.Millisecond

// worthWaiting reports whether next is the end of a receiver's back-off window that
// comes soon enough in ctx's time to send after it.
func (d *drainer) worthWaiting(ctx context.Context, next time.Time) bool {
	if next.IsZero() || ctx.Err() != nil {
		return false
	}
	d.mu.Lock()
	window := d.window.Until
	d.mu.Unlock()
	deadline, ok := ctx.Deadline()
	return ok && next.Equal(window) && next.Add(minSendTime).Before(deadline)
}

// finish performs the final drain within ctx: through the goroutine if it
// runs, inline otherwise; then it releases connections.
func (d *drainer) finish(ctx context.Context) {
	if d.done != nil {
		stop := context.AfterFunc(ctx, d.cancelRun)
		defer stop()
		if dl, ok := ctx.Deadline(); ok {
			d.mu.Lock()
			d.finalDeadline = dl
			d.mu.Unlock()
		}
		close(d.final)
		<-d.done // quick once ctx ends: every step of a drain honours it
		d.cancelRun()
	}
	d.mu.Lock()
	finalDone := d.finalDone
	d.mu.Unlock()
	if !finalDone {
		d.finalPass(ctx)
	}
	if d.sender != nil {
		d.sender.Close()
	}
}

// pass drains once if there is a destination and no back-off window holds
// the network back. It returns when to come back on its own: the end of the
// window, or when a row that failed may be retried; zero when only new rows
// or a new destination should trigger the next pass.
func (d *drainer) pass(ctx context.Context) time.Time {
	if ctx.Err() != nil {
		return time.Time{}
	}
	dest, err := d.destination(ctx)
	if err != nil {
		d.stats.failed(fmt.Errorf("read destination: %w", err))
		return time.Time{}
	}
	if dest.URL == "" {
		return time.Time{}
	}
	fp := fingerprint(dest)
	if d.sender == nil || d.senderDest != fp {
		if d.sender != nil {
			d.sender.Close()
			d.sender = nil
		}
		clear(d.retryAt)
		client, err := newClient(dest, d.cfg.maxRetryAfter)
		if err != nil {
			d.stats.failed(fmt.Errorf("destination refused, not sending: %w", err))
			return time.Time{}
		}
		d.sender = &Sender{client: client, timeout: d.cfg.shutdownBudget}
		d.senderDest = fp
		d.stats.destination(destHost(dest.URL))
	}
	if !d.windowRead {
		w, err := loadBackoff(ctx, d.buf, d.cfg, time.Now())
		if err != nil {
			d.stats.failed(fmt.Errorf("read back-off window: %w", err))
			return time.Time{}
		}
		d.window, d.windowRead = w, true
	}
	if d.window.active(fp, time.Now()) {
		d.stats.add(Report{}, nil, d.window.Until)
		return d.window.Until
	}

	now := time.Now()
	for id, at := range d.retryAt {
		if !now.Before(at) {
			delete(d.retryAt, id)
		}
	}
	rep, err := d.sender.drain(ctx, d.buf, &drainHooks{
		skip:    func(id int64) bool { _, ok := d.retryAt[id]; return ok },
		retried: func(id int64) { d.retryAt[id] = time.Now().Add(d.cfg.backoffInitial) },
	})
	if next := d.window.next(rep, fp, time.Now(), d.cfg); !next.equal(d.window) {
		bctx, cancel := bookkeepingContext(ctx)
		if werr := storeBackoff(bctx, d.buf, next); werr != nil && err == nil {
			err = fmt.Errorf("store back-off window: %w", werr)
		}
		cancel()
		d.window = next
	}
	var until time.Time
	if d.window.active(fp, time.Now()) {
		until = d.window.Until
	}
	d.stats.add(rep, err, until)
	if !until.IsZero() {
		return until
	}
	if rep.Busy {
		// Another process is draining: come back when it may have finished.
		return time.Now().Add(leaseRetry)
	}
	var soonest time.Time
	for _, at := range d.retryAt {
		if soonest.IsZero() || at.Before(soonest) {
			soonest = at
		}
	}
	return soonest
}
