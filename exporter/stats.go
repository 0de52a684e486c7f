package exporter

import (
	"maps"
	"sync"
	"time"
)

// Stats are the exporter's counters since New. Drops counted by the buffer
// itself (eviction, oversize) are in the buffer's own Stats.
type Stats struct {
	Exported      int64            // rows ExportSpans stored
	ExportFailed  int64            // ExportSpans calls that could not store their batch
	Sent          int64            // rows delivered
	SentBytes     int64            // payload bytes delivered
	RejectedSpans int64            // spans receivers refused in a partial success
	Retried       int64            // failed attempts that kept their row
	Dropped       map[string]int64 // rows dropped as undeliverable, by reason
	LastError     string           // the last send failure; "" if none
	BackoffUntil  time.Time        // the network is skipped until then; zero if not
	// Destination is the host (and port) of the receiver; "" before a drain
	// had one. It never carries credentials, path or query.
	Destination string
	// Drained is set once a drain made a request.
	Drained bool
	// Failure is why the last drain that made a request delivered nothing
	// (Report.Failure: a status, a TLS verification failure, how the
	// connection failed); "" when it delivered something, or none was made.
	Failure string
}

type counters struct {
	mu sync.Mutex
	s  Stats
}

func (c *counters) exported(ok bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if ok {
		c.s.Exported++
	} else {
		c.s.ExportFailed++
	}
}

func (c *counters) add(rep Report, err error, until time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.s.Sent += int64(rep.Sent)
	c.s.SentBytes += rep.SentBytes
	c.s.RejectedSpans += rep.RejectedSpans
	c.s.Retried += int64(rep.Retried)
	for reason, n := range rep.Dropped {
		if c.s.Dropped == nil {
			c.s.Dropped = map[string]int64{}
		}
		c.s.Dropped[reason] += int64(n)
	}
	switch {
	case err != nil:
		c.s.LastError = err.Error()
	case rep.LastError != nil:
		c.s.LastError = rep.LastError.Error()
	}
	c.s.BackoffUntil = until
	if rep.Requests > 0 {
		c.s.Drained = true
		c.s.Failure = ""
		if rep.Sent == 0 {
			c.s.Failure = rep.Failure
		}
	}
}

func (c *counters) destination(host string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.s.Destination = host
}

func (c *counters) failed(err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.s.LastError = err.Error()
}

func (c *counters) snapshot() Stats {
	c.mu.Lock()
	defer c.mu.Unlock()
	s := c.s
	s.Dropped = maps.Clone(c.s.Dropped)
	return s
}
