package exporter

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/charmtrace/charmtrace/buffer"
)

// leaseName is the buffer lease a drain holds while it sends: a hook and a juju exec
// (or two overlapping dispatches) draining one buffer at once would read the same rows
// and each post them, and the receiver would store every span twice.
const leaseName = "drain"

// minLeaseTTL is how long a lease lasts unless renewed. A drain renews it before a
// request once half of it is gone, so it lapses only when its holder stopped (killed,
// or hung past every request timeout); then the next drain waits at most this long.
const minLeaseTTL = 30 * time.Second

// drainLease is the lease one drain holds.
type drainLease struct {
	holder string
	ttl    time.Duration
	until  time.Time // when the lease as last taken ends; zero if not held
}

// newDrainLease sizes the lease so that one request, however long it may take, never
// outlives it.
func newDrainLease(requestTimeout time.Duration) *drainLease {
	return &drainLease{holder: fmt.Sprintf("%016x", rand.Uint64()), ttl: max(minLeaseTTL, 3*requestTimeout)}
}

// hold takes the lease, or renews it when half of it is gone. false means another
// process drains the buffer.
func (l *drainLease) hold(ctx context.Context, buf *buffer.Buffer) (bool, error) {
	if time.Until(l.until) > l.ttl/2 {
		return true, nil
	}
	ok, err := buf.TakeLease(ctx, leaseName, l.holder, l.ttl)
	if err != nil || !ok {
		l.until = time.Time{}
		return false, err
	}
	l.until = time.Now().Add(l.ttl)
	return true, nil
}

// release gives the lease up, so the next drain (another process's) need not wait for it
// to lapse. A failed release is harmless: the lease lapses on its own.
func (l *drainLease) release(ctx context.Context, buf *buffer.Buffer) {
	if !l.until.IsZero() {
		buf.ReleaseLease(ctx, leaseName, l.holder)
		l.until = time.Time{}
	}
}
