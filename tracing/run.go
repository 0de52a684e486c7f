package tracing

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"runtime/debug"
	"sync"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"

	"github.com/charmtrace/charmtrace/buffer"
	"github.com/charmtrace/charmtrace/charmhooks"
	"github.com/charmtrace/charmtrace/exporter"
	"github.com/charmtrace/charmtrace/security"
)

// BufferFile is the trace buffer's name in the charm directory.
const BufferFile = ".tracing-data.db"

// ScopeName is the instrumentation scope of the spans charmtrace itself makes.
const ScopeName = "github.com/charmtrace/charmtrace"

// Exit statuses Run returns besides the charm's own 0 and 1.
const (
	ExitPanic = 2 // a handler panicked (the status the Go runtime gives an unrecovered panic)
)

// Main runs one dispatch of a charm and exits the process with its status. It is the
// whole of a charm's main function:
//
//	func main() { tracing.Main(setup) }
func Main(setup SetupFunc, opts ...Option) {
	osExit(Run(setup, opts...))
}

// Run runs one dispatch of a charm as a trace and returns the exit status: 0 when the
// charm succeeded, 1 when setup or a handler returned an error, ExitPanic when one
// panicked. Tracing never changes that status: whatever fails inside tracing degrades to
// "buffer only" or "tracing off" with one warning in the unit's log.
func Run(setup SetupFunc, opts ...Option) int {
	cfg := newConfig(opts)
	jc, err := charmhooks.ReadContext(cfg.getenv)
	if err != nil {
		fmt.Fprintf(cfg.stderr, "charm: %v\n", err)
		return 1
	}
	d := newDispatch(cfg, jc)
	return d.run(setup)
}

// dispatch is one run of the charm: the pieces of tracing it set up, and their teardown.
type dispatch struct {
	cfg  *config
	jc   *charmhooks.Context
	base charmhooks.Runner // hook tools, untraced
	logs *charmhooks.Tools // juju-log, untraced
	sec  *security.Logger

	tp      *sdktrace.TracerProvider // nil when tracing is off
	store   *store                   // the buffer and exporter while they open (store.go)
	buf     *buffer.Buffer           // set by await
	exp     *exporter.Exporter
	tracer  trace.Tracer
	retire  func()         // takes tp out of the global provider's live dispatches
	started time.Time      // the budget counts from here
	meta    *charmMetadata // nil when the relations cannot be followed

	mu     sync.Mutex // warn is called from the SDK's export goroutine too
	warned map[string]bool
}

func newDispatch(cfg *config, jc *charmhooks.Context) *dispatch {
	base := cfg.runner
	if base == nil {
		base = &charmhooks.ExecRunner{}
	}
	d := &dispatch{cfg: cfg, jc: jc, base: base, logs: charmhooks.NewTools(base), warned: map[string]bool{}, started: time.Now()}
	sink := security.JujuLog(base)
	if cfg.offUnit {
		sink = func(_ context.Context, _, msg string) error {
			_, err := fmt.Fprintln(cfg.stderr, msg)
			return err
		}
	}
	d.sec = security.New(jc.ModelUUID, jc.UnitName, sink, security.WithStderr(cfg.stderr))
	return d
}

// warn writes msg to the unit's log at WARNING, once per dispatch.
func (d *dispatch) warn(msg string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.warned[msg] {
		return
	}
	d.warned[msg] = true
	if d.cfg.offUnit {
		fmt.Fprintln(d.cfg.stderr, msg)
		return
	}
	if err := d.logs.Log(charmhooks.LogWarning, msg); err != nil {
		fmt.Fprintln(d.cfg.stderr, msg)
	}
}

// debug writes msg to the unit's log at DEBUG; off a unit, where no one reads a debug
// log for jhack, it writes nothing.
func (d *dispatch) debug(msg string) {
	if d.cfg.offUnit {
		return
	}
	if err := d.logs.Log(charmhooks.LogDebug, msg); err != nil {
		fmt.Fprintln(d.cfg.stderr, msg)
	}
}

func (d *dispatch) run(setup SetupFunc) (status int) {
	router := charmhooks.NewRouter()
	ctx, root, runner := d.begin(router.Current)
	if d.tp != nil {
		router.Use(handlerSpans(d.tracer))
	}
	tools := charmhooks.NewTools(runner)
	early := d.reconcilesFirst()
	if early {
		d.reconcileFirst(ctx, tools)
	}
	status = d.runCharm(ctx, root, router, tools, setup)
	if !early {
		d.reconcile(ctx, tools)
	}
	root.End()
	d.shutdown()
	return status
}

// begin starts tracing (unless disabled), the root span and the jhack log lines, and
// returns the dispatch's context and the hook-tool runner to use: traced, with its parent
// taken from inner() while a handler runs and from the root span otherwise.
func (d *dispatch) begin(inner func() context.Context) (context.Context, trace.Span, charmhooks.Runner) {
	if !d.cfg.disabled && d.cfg.getenv(DisableEnv) != "1" {
		d.start()
	}
	tracer := d.tracer
	if tracer == nil {
		tracer = noop.NewTracerProvider().Tracer(ScopeName)
	}
	ctx, opts := context.Background(), []trace.SpanStartOption(nil)
	if d.tp != nil {
		parent := readParent(d.jc)
		if line := parent.debugLine(); line != "" {
			d.debug(line)
		}
		ctx, opts = parent.rootOptions(ctx)
	}
	ctx, root := tracer.Start(ctx, rootSpanName(d.jc.Event), append(opts, trace.WithSpanKind(trace.SpanKindServer),
		trace.WithAttributes(eventAttributes(d.jc)...))...)
	if d.tp != nil && !d.cfg.noJhackLine {
		// jhack pairs the trace id with the next "Emitting" line of the unit: both at
		// DEBUG, in this order.
		d.debug(fmt.Sprintf("Starting root trace with id='%s'.", root.SpanContext().TraceID()))
	}
	d.debug(fmt.Sprintf("Emitting Juju event %s.", d.jc.Event.SnakeName()))
	root.AddEvent(d.jc.Event.Name)
	if d.tp == nil {
		return ctx, root, d.base
	}
	return ctx, root, charmhooks.NewTracedRunner(d.base, tracer,
		charmhooks.WithContext(currentContext(inner, ctx)), charmhooks.WithFailureHook(d.toolFailed))
}

// runCharm runs setup and the router, turning an error or a panic into the exit status
// and recording it on the root span and as a sys_crash security event.
func (d *dispatch) runCharm(ctx context.Context, root trace.Span, router *charmhooks.Router, tools *charmhooks.Tools, setup SetupFunc) (status int) {
	defer func() {
		if v := recover(); v != nil {
			recordFailure(root, "panic", v)
			d.markFailed(ctx)
			d.sec.SysCrashPanic(ctx, v)
			// The Go runtime would print the value and stack and exit 2; do the same,
			// after tracing has had its chance to store the trace.
			fmt.Fprintf(d.cfg.stderr, "panic: %v\n\n%s", v, debug.Stack())
			status = ExitPanic
		}
	}()
	store := &lazyState{path: filepath.Join(d.jc.CharmDir, ".unit-state.db")}
	c := &Charm{Context: d.jc, Router: router, Tools: tools, state: store, pebble: d.pebbleOptions(ctx, router),
		Logger: d.logger(ctx, router)}
	err := setup(c)
	if err == nil {
		var res charmhooks.Result
		res, err = router.Dispatch(ctx, d.jc.Event, charmhooks.WithDeferStore(store))
		recordQueue(root, res)
		if err == nil && res.Handled && d.await() {
			if merr := d.buf.MarkObserved(ctx); merr != nil {
				d.warn(fmt.Sprintf("tracing: cannot raise this dispatch's priority: %v", merr))
			}
		}
	}
	if err == nil {
		err = store.commit()
	} else {
		store.rollback()
	}
	if err != nil {
		recordFailure(root, "dispatch failed", err)
		d.markFailed(ctx)
		d.sec.SysCrash(ctx, innermost(err))
		fmt.Fprintf(d.cfg.stderr, "charm: %v\n", err)
		return 1
	}
	return 0
}

// toolFailed turns an authorisation failure of a hook tool into an authz_fail event.
func (d *dispatch) toolFailed(ctx context.Context, tool string, err error) {
	if !errors.Is(err, charmhooks.ErrUnauthorized) {
		return
	}
	code := 1
	var te *charmhooks.ToolError
	if errors.As(err, &te) {
		code = te.ExitCode
	}
	// The leadership of the unit is not asked here: is-leader could fail the same way.
	d.sec.AuthzFail(ctx, tool, code, false)
}

func rootSpanName(e charmhooks.Event) string {
	if e.Kind == charmhooks.KindAction {
		return "action " + e.Name
	}
	return e.Name
}

func eventAttributes(jc *charmhooks.Context) []attribute.KeyValue {
	e := jc.Event
	attrs := []attribute.KeyValue{
		attribute.String("juju.event", e.Name),
		attribute.String("juju.event.kind", string(e.Kind)),
		attribute.String("juju.dispatch_path", jc.DispatchPath),
	}
	if jc.JujuVersion != "" {
		attrs = append(attrs, attribute.String("juju.version", jc.JujuVersion))
	}
	if ref := e.RelationRef(); ref != "" {
		attrs = append(attrs, attribute.String("juju.relation", ref), attribute.String("juju.remote_app", e.RemoteApp))
		if e.RemoteUnit != "" {
			attrs = append(attrs, attribute.String("juju.remote_unit", e.RemoteUnit))
		}
	}
	if e.ActionID != "" {
		attrs = append(attrs, attribute.String("juju.action_id", e.ActionID))
	}
	if e.SecretID != "" {
		attrs = append(attrs, attribute.String("juju.secret_id", e.SecretID))
	}
	if e.Workload != "" {
		attrs = append(attrs, attribute.String("juju.workload", e.Workload))
	}
	return attrs
}

// handlerSpans makes each handler call a span, child of the dispatch's root span.
func handlerSpans(tracer trace.Tracer) charmhooks.Middleware {
	return func(next charmhooks.Handler, info charmhooks.HandlerInfo) charmhooks.Handler {
		return func(ctx context.Context, e charmhooks.Event) (err error) {
			if info.Deferred {
				trace.SpanFromContext(ctx).AddEvent(e.Name, trace.WithAttributes(attribute.Bool("juju.deferred", true)))
			}
			ctx, span := tracer.Start(ctx, e.Name+": "+info.Handler, trace.WithAttributes(
				attribute.String("juju.event", info.Event),
				attribute.String("juju.event.kind", string(info.Kind)),
				attribute.String("charm.handler", info.Handler),
				attribute.Bool("juju.deferred", info.Deferred)))
			defer func() {
				if v := recover(); v != nil {
					recordFailure(span, "panic", v)
					span.End()
					panic(v)
				}
				if errors.Is(err, charmhooks.ErrDefer) {
					markDeferred(span)
				} else if err != nil {
					recordFailure(span, "handler failed", err)
				}
				span.End()
			}()
			return next(ctx, e)
		}
	}
}

// recordFailure marks span failed with an exception event that names the Go type of the
// error or panic value. The message is left out on purpose: errors from hook tools and
// charm code can quote data (a password in a failed relation-set), and spans leave the unit.
func recordFailure(span trace.Span, status string, v any) {
	if err, ok := v.(error); ok {
		v = innermost(err)
	}
	typ := fmt.Sprintf("%T", v)
	span.SetStatus(codes.Error, status)
	span.AddEvent("exception", trace.WithAttributes(
		attribute.String("exception.type", typ),
		attribute.Bool("exception.escaped", status == "panic")))
}

// innermost follows a chain of wrapped errors to its cause, whose type says more than a
// *charmhooks.HandlerError or an fmt wrapper does.
func innermost(err error) error {
	for {
		next := errors.Unwrap(err)
		if next == nil {
			return err
		}
		err = next
	}
}
