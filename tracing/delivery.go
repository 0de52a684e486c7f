package tracing

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/charmtrace/charmtrace/charmhooks"
)

// An operator whose traces do not arrive needs one line in the unit's log that says where
// they were going and why they did not get there; a line every five minutes (every
// update-status) while the same failure persists would bury the unit's own messages.
// So a dispatch whose drain reached no receiver, or was refused, warns when the failure
// is new (another cause, another host, or the first after deliveries), and then again at
// most once an hour while it persists; the first dispatch that delivers again says so at
// INFO. What was last warned about lives in the buffer's settings, because each dispatch
// is a new process. A dispatch that did not try the network (no destination, a back-off
// window, nothing to send, another process draining) changes nothing.

// deliveryKey is the buffer setting holding the last delivery failure warned about.
const deliveryKey = "tracing.delivery"

// rewarnAfter is how often a persisting failure is warned about again.
const rewarnAfter = time.Hour

// deliveryState is what the last warning said, and when.
type deliveryState struct {
	Failure string    `json:"failure"` // "" when the last drain delivered
	Host    string    `json:"host"`
	Warned  time.Time `json:"warned"`
}

// reportDelivery logs the outcome of this dispatch's drains if an operator should hear of
// it, and remembers it. It runs after the final drain, before the buffer closes.
func (d *dispatch) reportDelivery() {
	st := d.exp.Stats()
	if !st.Drained {
		return
	}
	ctx := context.Background()
	var prev deliveryState
	if v, err := d.buf.Setting(ctx, deliveryKey); err == nil && v != "" {
		json.Unmarshal([]byte(v), &prev) // unreadable (an edited file): as if nothing was said
	}
	now := time.Now()
	var next deliveryState
	switch {
	case st.Failure == "":
		if prev.Failure == "" {
			return
		}
		d.info(fmt.Sprintf("tracing: traces are delivered to %s again", st.Destination))
	case st.Failure != prev.Failure || st.Destination != prev.Host ||
		now.Sub(prev.Warned) >= rewarnAfter || prev.Warned.After(now): // (a clock that was ahead)
		d.warn(fmt.Sprintf("tracing: cannot deliver traces to %s: %s; what was not sent stays buffered (said again at most hourly while this lasts)",
			st.Destination, st.Failure))
		next = deliveryState{Failure: st.Failure, Host: st.Destination, Warned: now}
	default:
		return
	}
	v, err := json.Marshal(next)
	if err == nil {
		// If this fails (the file is locked), the next dispatch may say it again: harmless.
		d.buf.SetSetting(ctx, deliveryKey, string(v))
	}
}

func (d *dispatch) info(msg string) {
	if err := d.logs.Log(charmhooks.LogInfo, msg); err != nil {
		fmt.Fprintln(d.cfg.stderr, msg)
	}
}
