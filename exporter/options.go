package exporter

import "time"

// defaultMaxRetryAfter caps a receiver's Retry-After.
const defaultMaxRetryAfter = 5 * time.Minute

type config struct {
	shutdownBudget time.Duration
	writeTimeout   time.Duration
	backoffInitial time.Duration
	backoffMax     time.Duration
	maxRetryAfter  time.Duration
	deadline       time.Time
}

func newConfig(opts []Option) config {
	c := config{
		shutdownBudget: 5 * time.Second,
		writeTimeout:   5 * time.Second,
		backoffInitial: 30 * time.Second,
		backoffMax:     10 * time.Minute,
		maxRetryAfter:  defaultMaxRetryAfter,
	}
	for _, o := range opts {
		o(&c)
	}
	return c
}

// Option configures an Exporter.
type Option func(*config)

// WithShutdownBudget bounds the drain Shutdown performs: all network work
// (DNS, dial, TLS handshake, transfer) of that drain fits in d, or in the
// deadline of Shutdown's ctx if that comes first. Default 5 s. Background
// requests while the charm runs are bounded by d each.
func WithShutdownBudget(d time.Duration) Option {
	return func(c *config) {
		if d > 0 {
			c.shutdownBudget = d
		}
	}
}

// WithWriteTimeout bounds a buffer write in ExportSpans when its ctx carries no
// deadline, as under the SDK's SimpleSpanProcessor. Default 5 s.
func WithWriteTimeout(d time.Duration) Option {
	return func(c *config) {
		if d > 0 {
			c.writeTimeout = d
		}
	}
}

// WithBackoff sets the back-off window after drains that reached no receiver:
// initial after the first, doubling (with jitter) up to limit. Defaults 30 s
// and 10 min. The same initial delay spaces in-process retries of a row that
// failed with a retryable status.
func WithBackoff(initial, limit time.Duration) Option {
	return func(c *config) {
		if initial > 0 {
			c.backoffInitial = initial
		}
		c.backoffMax = max(limit, c.backoffInitial)
	}
}

// WithMaxRetryAfter caps how long a receiver's Retry-After can hold the
// exporter back. Default 5 min.
func WithMaxRetryAfter(d time.Duration) Option {
	return func(c *config) {
		if d > 0 {
			c.maxRetryAfter = d
		}
	}
}

// WithDeadline ends Shutdown's drain at t at the latest, whatever is left of the
// shutdown budget then. A program that has one time budget for all its network work
// (a charm's dispatch) passes the end of that budget here.
func WithDeadline(t time.Time) Option {
	return func(c *config) { c.deadline = t }
}
