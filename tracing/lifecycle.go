package tracing

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/charmtrace/charmtrace/charmhooks"
)

// osExit is os.Exit; tests replace it to see Main's status.
var osExit = os.Exit

// batchTimeout is how long a span may wait in memory before the batch is stored: a
// dispatch is short, and a kill loses at most this much.
const batchTimeout = time.Second

// shutdownMargin is what the provider's shutdown may take beyond the network budget: a
// hang guard, since the exporter ends its drain at the budget itself.
const shutdownMargin = 250 * time.Millisecond

// closeReserve is the part of the budget kept for what follows the last network work:
// the exporter's bookkeeping, the buffer's checkpoint and close, and the process's exit.
const closeReserve = 150 * time.Millisecond

// storeTimeout bounds storing the spans still in memory at the end of a dispatch: local
// disk work that takes milliseconds, given its own bound so the network budget cannot
// cut it short.
const storeTimeout = 5 * time.Second

// start opens the buffer (in the background, store.go) and installs the tracer
// provider. Any failure leaves tracing off for this dispatch with one warning; the charm
// runs all the same.
func (d *dispatch) start() {
	if d.jc.CharmDir == "" {
		d.startInMemory()
		return
	}
	// A dispatch that follows the relations first starts its drain once it has: it
	// must not send to a destination the event is about to change.
	d.store = d.openStore(!d.reconcilesFirst())
	meta, merr := readMetadata(d.jc.CharmDir)
	charmName := "[unknown]"
	if merr == nil && meta.Name != "" {
		charmName = meta.Name
	}
	res, err := newResource(d.jc, charmName, d.cfg.charmType, d.cfg.version)
	if err != nil {
		// A conflict with OTEL_RESOURCE_ATTRIBUTES' schema still yields a usable resource.
		d.warn(fmt.Sprintf("tracing: resource: %v", err))
	}
	var spanExp sdktrace.SpanExporter = storeExporter{d.store}
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
	d.tracer = d.tp.Tracer(ScopeName)
	d.retire = global.install(d.tp)
	if merr != nil {
		d.warn(fmt.Sprintf("tracing: cannot read the charm's metadata (%v); relations are not followed, spans stay buffered", merr))
	} else if err := d.cfg.checkEndpoints(meta); err != nil {
		d.warn(fmt.Sprintf("%v; relations are not followed, spans stay buffered", err))
	} else {
		d.meta = meta
	}
}

// startInMemory installs a provider whose spans go only to the configured processors:
// Wrap off a unit, with no charm directory to keep a buffer in (goopstest gives none).
func (d *dispatch) startInMemory() {
	opts := []sdktrace.TracerProviderOption{}
	if res, _ := newResource(d.jc, "[unknown]", d.cfg.charmType, d.cfg.version); res != nil {
		opts = append(opts, sdktrace.WithResource(res))
	}
	for _, p := range d.cfg.processors {
		opts = append(opts, sdktrace.WithSpanProcessor(p))
	}
	d.tp = sdktrace.NewTracerProvider(opts...)
	d.tracer = d.tp.Tracer(ScopeName)
	d.retire = global.install(d.tp)
}

// reconcile follows the tracing and CA relations to the destination.
func (d *dispatch) reconcile(ctx context.Context, tools *charmhooks.Tools) {
	if d.meta == nil || !d.await() {
		return
	}
	r := &reconciler{cfg: d.cfg, tools: tools, buf: d.buf, jc: d.jc, warn: d.warn, setDest: d.exp.SetDestination}
	if err := r.run(ctx); err != nil {
		d.warn(fmt.Sprintf("tracing: cannot follow the %s relation: %v", d.cfg.tracingEndpoint, err))
	}
}

// reconcileFirst follows the relations before the charm runs, then starts the drain the
// store left to it (see openStore).
func (d *dispatch) reconcileFirst(ctx context.Context, tools *charmhooks.Tools) {
	d.reconcile(ctx, tools)
	if d.await() {
		if err := startDrain(d.cfg, d.exp); err != nil {
			d.warn(err.Error())
		}
	}
}

// shutdown stores the last spans and sends what the budget allows, then closes the buffer.
func (d *dispatch) shutdown() {
	if d.tp == nil {
		return
	}
	// Store first: the spans still in memory reach the buffer whatever the network does.
	sctx, cancel := context.WithTimeout(context.Background(), storeTimeout)
	err := d.tp.ForceFlush(sctx)
	cancel()
	if errors.Is(err, context.DeadlineExceeded) { // (export errors were warned of as they came)
		d.warn(fmt.Sprintf("tracing: storing the last spans took over %v; they may be lost", storeTimeout))
	}
	// Then send what the rest of the budget allows (the exporter stops at the budget's
	// end on its own; this context only guards against a hang).
	ctx, cancel := context.WithDeadline(context.Background(), d.started.Add(d.cfg.budget+shutdownMargin))
	defer cancel()
	if err := d.tp.Shutdown(ctx); err != nil && !errors.Is(err, context.DeadlineExceeded) {
		d.warn(fmt.Sprintf("tracing: shutdown: %v", err))
	}
	d.retire()
	if !d.await() {
		return
	}
	d.reportDelivery()
	if err := d.buf.Close(); err != nil {
		d.warn(fmt.Sprintf("tracing: close buffer: %v", err))
	}
}
