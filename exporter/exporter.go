package exporter

import (
	"context"
	"errors"
	"fmt"
	"sync"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/charmtrace/charmtrace/buffer"
	"github.com/charmtrace/charmtrace/exporter/internal/encode"
)

// ErrShutdown is returned by ExportSpans and Start after Shutdown.
var ErrShutdown = errors.New("exporter: shut down")

// Exporter stores span batches in a buffer and drains the buffer to the
// destination stored in it. It is safe for concurrent use.
type Exporter struct {
	buf   *buffer.Buffer
	cfg   config
	enc   encode.Encoder
	stats counters
	d     *drainer

	mu       sync.Mutex
	started  bool
	closed   bool
	inflight sync.WaitGroup // ExportSpans calls storing a batch
}

var _ sdktrace.SpanExporter = (*Exporter)(nil)

// New returns an Exporter writing to buf. The caller keeps ownership of buf
// and closes it after Shutdown.
func New(buf *buffer.Buffer, opts ...Option) (*Exporter, error) {
	if buf == nil {
		return nil, errors.New("exporter: nil buffer")
	}
	e := &Exporter{buf: buf, cfg: newConfig(opts)}
	e.d = newDrainer(buf, e.cfg, &e.stats)
	// A charm makes its spans for milliseconds before the first batch is stored: the
	// one-off cost of the first encode is paid meanwhile, on the other core.
	go e.enc.Warm() // a failure shows again, and is reported, on the first real batch
	return e, nil
}

// ExportSpans encodes spans as one OTLP TracesData protobuf and stores it as
// one buffer row. It performs no network I/O and keeps no reference to spans.
// Without a deadline in ctx, the write is bounded by the write timeout. After
// Shutdown it returns ErrShutdown without touching the buffer.
func (e *Exporter) ExportSpans(ctx context.Context, spans []sdktrace.ReadOnlySpan) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	e.mu.Lock()
	if e.closed {
		e.mu.Unlock()
		return ErrShutdown
	}
	e.inflight.Add(1)
	e.mu.Unlock()
	defer e.inflight.Done()

	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, e.cfg.writeTimeout)
		defer cancel()
	}
	stored := false
	err := e.enc.Encode(ctx, spans, func(data []byte) error {
		_, err := e.buf.Push(ctx, data, buffer.MimeProtobuf)
		stored = err == nil
		return err
	})
	if err != nil {
		e.stats.exported(false)
		return fmt.Errorf("exporter: store spans: %w", err)
	}
	if stored {
		e.stats.exported(true)
		e.d.wakeup()
	}
	return nil
}

// Start starts draining in the background: the buffer's rows are sent while
// the program runs, as soon as a destination is stored. Cancelling ctx stops
// the background work; Shutdown still performs its final drain.
func (e *Exporter) Start(ctx context.Context) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	switch {
	case e.closed:
		return ErrShutdown
	case e.started:
		return errors.New("exporter: already started")
	}
	e.started = true
	e.d.start(ctx)
	return nil
}

// SetDestination validates dest and stores it in the buffer (writing only on
// change), and points the drainer at it. A URL other than http:// or https://,
// a URL with credentials, or an https:// destination whose CA bundle holds no
// certificate is refused and nothing is stored. An empty URL means buffer
// only. A changed destination ends any back-off window at once.
func (e *Exporter) SetDestination(ctx context.Context, dest buffer.Destination) (changed bool, err error) {
	if dest.URL != "" {
		if _, err := newClient(dest, e.cfg.maxRetryAfter); err != nil {
			return false, fmt.Errorf("exporter: %w", err)
		}
	}
	changed, err = e.buf.SetDestination(ctx, dest)
	if err != nil {
		return false, err
	}
	e.d.setDestination(dest)
	return changed, nil
}

// Shutdown stops accepting spans, lets batches being stored finish, and drains
// once more within the shutdown budget or ctx's deadline, whichever ends
// first. Rows not sent by then stay in the buffer. It returns ctx's error if
// ctx ended first, and nil otherwise, however much was left unsent. Later
// calls return nil at once.
func (e *Exporter) Shutdown(ctx context.Context) error {
	e.mu.Lock()
	if e.closed {
		e.mu.Unlock()
		return nil
	}
	e.closed = true
	e.mu.Unlock()

	// The budget, or ctx itself when its deadline comes first, or the deadline
	// WithDeadline set.
	dctx, cancel := context.WithTimeout(ctx, e.cfg.shutdownBudget)
	defer cancel()
	if !e.cfg.deadline.IsZero() {
		var cancelDeadline context.CancelFunc
		dctx, cancelDeadline = context.WithDeadline(dctx, e.cfg.deadline)
		defer cancelDeadline()
	}

	stored := make(chan struct{})
	go func() {
		e.inflight.Wait()
		close(stored)
	}()
	select {
	case <-stored:
	case <-dctx.Done():
	}
	e.d.finish(dctx)
	return ctx.Err()
}

// Stats returns the exporter's counters.
func (e *Exporter) Stats() Stats { return e.stats.snapshot() }
