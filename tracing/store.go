package tracing

import (
	"context"
	"fmt"
	"path/filepath"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/charmtrace/charmtrace/buffer"
	"github.com/charmtrace/charmtrace/exporter"
)

// A dispatch is a fresh process, and the first SQLite connection of a process is the
// largest single cost tracing adds to it: about 3 ms here to initialise SQLite, open the
// file and read its schema, most of it CPU. Nothing the charm does needs the buffer, so it
// is opened on a goroutine of its own while the provider is set up and the charm runs;
// the dispatch waits for it only where it needs it (following the relations, raising the
// dispatch's priority, storing the spans at the end).

// store is the dispatch's buffer and exporter, opened in the background.
type store struct {
	done     chan struct{} // closed when the fields below are set
	buf      *buffer.Buffer
	exp      *exporter.Exporter
	warnings []string // for the dispatch to log from its own goroutine, in order
}

// openStore starts opening the buffer and its exporter, and the drain of the backlog to
// the stored destination when drain is set. Warnings are kept for await: logging them
// from here would interleave them with the charm's own hook-tool calls.
func (d *dispatch) openStore(drain bool) *store {
	s := &store{done: make(chan struct{})}
	go exporter.Warm() // beside the open, on the other core: the first batch waits for neither
	go func() {
		defer close(s.done)
		// Every wait for a lock another process holds on the buffer (a sqlite3 shell, a
		// juju exec) ends where the network work ends, closeReserve before the budget:
		// SQLite's busy wait does not watch a context, and a busy timeout per write
		// would add up across the dispatch's writes.
		bufOpts := append([]buffer.Option{buffer.WithDeadline(d.started.Add(d.cfg.budget - closeReserve)), buffer.WithLogKept()}, d.cfg.bufferOpts...)
		buf, err := buffer.Open(filepath.Join(d.jc.CharmDir, BufferFile), bufOpts...)
		if err != nil {
			s.warnings = append(s.warnings, fmt.Sprintf("tracing off for this dispatch: %v", err))
			return
		}
		for _, w := range buf.Warnings() {
			s.warnings = append(s.warnings, "tracing: "+w)
		}
		// The budget counts from the start of the dispatch: the background drain while
		// the charm runs and the final one share it, and closing still fits.
		deadline := d.started.Add(d.cfg.budget - closeReserve)
		if d.cfg.noSend {
			deadline = d.started // passed already: the final drain sends nothing
		}
		exp, err := exporter.New(buf, exporter.WithShutdownBudget(d.cfg.budget), exporter.WithDeadline(deadline))
		if err != nil {
			buf.Close()
			s.warnings = append(s.warnings, fmt.Sprintf("tracing off for this dispatch: %v", err))
			return
		}
		s.buf, s.exp = buf, exp
		if drain {
			if err := startDrain(d.cfg, exp); err != nil {
				s.warnings = append(s.warnings, err.Error())
			}
		}
	}()
	return s
}

// startDrain sends the backlog in the background while the charm works, if a destination
// is known.
func startDrain(cfg *config, exp *exporter.Exporter) error {
	if cfg.noSend {
		return nil
	}
	if err := exp.Start(context.Background()); err != nil {
		return fmt.Errorf("tracing: cannot start sending: %v", err)
	}
	return nil
}

// await waits for the buffer to be open and logs what opening it warned of, once. It
// reports whether the dispatch has a buffer (d.buf and d.exp set).
func (d *dispatch) await() bool {
	if d.store == nil {
		return d.buf != nil
	}
	s := d.store
	<-s.done
	d.store = nil
	for _, w := range s.warnings {
		d.warn(w)
	}
	d.buf, d.exp = s.buf, s.exp
	return d.buf != nil
}

// storeExporter is the provider's exporter while the buffer opens: the SDK calls it on its
// own goroutine, which waits for the buffer there. Without a buffer (the open failed and
// was warned of) spans are dropped quietly: that is "tracing off" for this dispatch.
type storeExporter struct{ s *store }

func (e storeExporter) ExportSpans(ctx context.Context, spans []sdktrace.ReadOnlySpan) error {
	select {
	case <-e.s.done:
	case <-ctx.Done():
		return ctx.Err()
	}
	if e.s.exp == nil {
		return nil
	}
	return e.s.exp.ExportSpans(ctx, spans)
}

func (e storeExporter) Shutdown(ctx context.Context) error {
	select {
	case <-e.s.done:
	case <-ctx.Done():
		return ctx.Err()
	}
	if e.s.exp == nil {
		return nil
	}
	return e.s.exp.Shutdown(ctx)
}
