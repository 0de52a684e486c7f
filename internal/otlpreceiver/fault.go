package otlpreceiver

import (
	"net/http"
	"time"
)

// Fault is how the receiver answers one request instead of accepting it. The zero
// value accepts the request.
type Fault struct {
	// Status, if not 0, is the HTTP status of the answer. A 2xx status still
	// records the request's spans; any other status records the request but not
	// its spans, as a real receiver that refused them would.
	Status int
	// RetryAfter, if not empty, is sent as the Retry-After header: seconds or an
	// HTTP date.
	RetryAfter string
	// Delay is how long to wait before answering. The wait ends early when the
	// client goes away or the receiver is closed.
	Delay time.Duration
	// RejectSpans, if not 0, makes a 2xx answer a partial success: that many of
	// the request's spans (at most all of them) are rejected, not recorded, and
	// the response's partial_success says so.
	RejectSpans int64
}

// FaultFunc decides the fault of the n-th request (counting from 1). It is called
// from the server's goroutines, one request at a time.
type FaultFunc func(n int, r *http.Request) Fault
