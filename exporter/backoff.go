package exporter

import (
	"context"
	"encoding/json"
	"math/rand/v2"
	"time"

	"github.com/charmtrace/charmtrace/buffer"
)

// backoffKey is the buffer setting holding the back-off window, so that the
// next dispatches, in other processes, skip a receiver that was unreachable.
const backoffKey = "exporter.backoff"

// backoff is the persisted window. Dest ties it to one destination: a window
// recorded for another URL or CA bundle does not apply.
type backoff struct {
	Until    time.Time `json:"until"`
	Failures int       `json:"failures"`
	Dest     string    `json:"dest"`
}

// active reports whether the window holds the network back for dest now.
func (b backoff) active(dest string, now time.Time) bool {
	return b.Dest == dest && now.Before(b.Until)
}

// loadBackoff reads the window. A missing or unreadable value (the file may
// have been copied or edited) means no window, and so does one that ends
// later than any window this exporter can set from now: it was stored while
// the clock was ahead (NTP stepped it back since), or by hand, and honouring
// it would stop every dispatch from sending until the clock caught up.
func loadBackoff(ctx context.Context, buf *buffer.Buffer, c config, now time.Time) (backoff, error) {
	v, err := buf.Setting(ctx, backoffKey)
	if err != nil || v == "" {
		return backoff{}, err
	}
	var b backoff
	if json.Unmarshal([]byte(v), &b) != nil {
		return backoff{}, nil
	}
	if b.Until.After(now.Add(c.longestWindow())) {
		b.Until = time.Time{}
	}
	return b, nil
}

// longestWindow is the furthest ahead next can put a window: the largest
// Retry-After honoured, or the longest back-off with its jitter.
func (c config) longestWindow() time.Duration {
	return max(c.maxRetryAfter, time.Duration(float64(c.backoffMax)*(1+maxJitter)))
}

func storeBackoff(ctx context.Context, buf *buffer.Buffer, b backoff) error {
	v, err := json.Marshal(b)
	if err != nil {
		return err
	}
	return buf.SetSetting(ctx, backoffKey, string(v))
}

// next returns the window after a drain with report rep at now: a receiver's
// Retry-After wins; a drain that reached nobody doubles the window; one that
// delivered anything clears it.
func (b backoff) next(rep Report, dest string, now time.Time, c config) backoff {
	if b.Dest != dest {
		b = backoff{Dest: dest}
	}
	switch {
	case rep.RetryAfter > 0:
		b.Until = now.Add(rep.RetryAfter)
	case rep.Unavailable && rep.Sent == 0:
		b.Failures++
		b.Until = now.Add(jitter(backoffDelay(b.Failures, c)))
	case rep.Sent > 0:
		b.Failures, b.Until = 0, time.Time{}
	}
	return b
}

// backoffDelay is initial × 2^(failures-1), capped.
func backoffDelay(failures int, c config) time.Duration {
	d := c.backoffInitial
	for i := 1; i < failures && d < c.backoffMax; i++ {
		d *= 2
	}
	return min(d, c.backoffMax)
}

// jitter spreads d by ±20 % so units that lost the same receiver do not
// return to it in lockstep.
func jitter(d time.Duration) time.Duration {
	return time.Duration(float64(d) * (1 - maxJitter + 2*maxJitter*rand.Float64()))
}

// maxJitter is the spread jitter applies, either way.
const maxJitter = 0.2

func (b backoff) equal(o backoff) bool {
	return b.Until.Equal(o.Until) && b.Failures == o.Failures && b.Dest == o.Dest
}
