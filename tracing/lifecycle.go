package tracing

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"go.opentelemetry.io/otel"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/charmtrace/charmtrace/buffer"
	"github.com/charmtrace/charmtrace/charmhooks"
	"github.com/charmtrace/charmtrace/exporter"
)

// osExit is os.Exit; tests replace it to see Main's status.
var osExit = os.Exit

// batchTimeout is how long a span may wait in memory before the batch is stored: a
// dispatch is short, and a kill loses at most this much.
const batchTimeout = time.Second

// shutdownMargin is what the provider's shutdown may take beyond the network budget.
const shutdownMargin = 250 * time.Millisecond

// start opens the buffer and installs the tracer provider. Any failure leaves tracing
// off for this dispatch with one warning; the charm runs all the same.
func (d *dispatch) start() {
	meta, merr := readMetadata(d.jc.CharmDir)
	charmName := "[unknown]"
	if merr == nil && meta.Name != "" {
		charmName = meta.Name
	}
	buf, err := buffer.Open(filepath.Join(d.jc.CharmDir, BufferFile), d.cfg.bufferOpts...)
	if err != nil {
		d.warn(fmt.Sprintf("tracing off for this dispatch: %v", err))
		return
	}
	for _, w := range buf.Warnings() {
		d.warn("tracing: " + w)
	}
	exp, err := exporter.New(buf, exporter.WithShutdownBudget(d.cfg.budget))
	if err != nil {
		buf.Close()
		d.warn(fmt.Sprintf("tracing off for this dispatch: %v", err))
		return
	}
	res, err := newResource(d.jc, charmName, d.cfg.charmType, d.cfg.version)
	if err != nil {
		// A conflict with OTEL_RESOURCE_ATTRIBUTES' schema still yields a usable resource.
		d.warn(fmt.Sprintf("tracing: resource: %v", err))
	}
	var spanExp sdktrace.SpanExporter = exp
	if d.cfg.wrapExporter != nil {
		spanExp = d.cfg.wrapExporter(spanExp)
	}
	opts := []sdktrace.TracerProviderOption{
		sdktrace.WithResource(res),
		sdktrace.WithBatcher(&guardedExporter{next: spanExp, warn: d.warn}, sdktrace.WithBatchTimeout(batchTimeout)),
	}
	for _, p := range d.cfg.processors {
		opts = append(opts, sdktrace.WithSpanProcessor(p))
	}
	d.tp = sdktrace.NewTracerProvider(opts...)
	d.buf, d.exp = buf, exp
	d.tracer = d.tp.Tracer(ScopeName)
	otel.SetTracerProvider(d.tp)
	if merr != nil {
		d.warn(fmt.Sprintf("tracing: cannot read the charm's metadata (%v); relations are not followed, spans stay buffered", merr))
	} else if err := d.cfg.checkEndpoints(meta); err != nil {
		d.warn(fmt.Sprintf("%v; relations are not followed, spans stay buffered", err))
		d.meta = nil
	} else {
		d.meta = meta
	}
	// Send the backlog while the charm works, if a destination is already known.
	if err := exp.Start(context.Background()); err != nil {
		d.warn(fmt.Sprintf("tracing: cannot start sending: %v", err))
	}
}

// reconcile follows the tracing and CA relations to the destination.
func (d *dispatch) reconcile(ctx context.Context, tools *charmhooks.Tools) {
	if d.meta == nil {
		return
	}
	r := &reconciler{cfg: d.cfg, tools: tools, buf: d.buf, jc: d.jc, warn: d.warn, setDest: d.exp.SetDestination}
	if err := r.run(ctx); err != nil {
		d.warn(fmt.Sprintf("tracing: cannot follow the %s relation: %v", d.cfg.tracingEndpoint, err))
	}
}

// shutdown stores the last spans and sends what the budget allows, then closes the buffer.
func (d *dispatch) shutdown() {
	if d.tp == nil {
		return
	}
	// The exporter ends its own drain at the budget; the margin lets it finish its
	// bookkeeping instead of being cut off by this context.
	ctx, cancel := context.WithTimeout(context.Background(), d.cfg.budget+shutdownMargin)
	defer cancel()
	if err := d.tp.Shutdown(ctx); err != nil {
		d.warn(fmt.Sprintf("tracing: shutdown: %v", err))
	}
	if err := d.buf.Close(); err != nil {
		d.warn(fmt.Sprintf("tracing: close buffer: %v", err))
	}
}
