package tracing

import (
	"context"
	"fmt"
)

// markFailed raises the rows of this dispatch, stored and still to come, to the buffer's
// failed priority: when the buffer is full, the trace of a failure is the one an engineer
// wants, so it is evicted last and sent first.
func (d *dispatch) markFailed(ctx context.Context) {
	if !d.await() {
		return
	}
	if err := d.buf.MarkFailed(ctx); err != nil {
		d.warn(fmt.Sprintf("tracing: cannot raise this failed dispatch's priority: %v", err))
	}
}
