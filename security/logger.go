package security

import (
	"context"
	"fmt"
	"io"
	"os"
	"strconv"
	"sync"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"
)

// OWASP levels of the events this package emits.
const (
	levelWarn     = "WARN"
	levelCritical = "CRITICAL"
)

// Logger emits security events for one unit. It is safe for concurrent use.
type Logger struct {
	unit, modelUUID string
	appID           string
	sink            Sink
	stderr          io.Writer
	now             func() time.Time

	// mu guards the two flags and serialises stderr writes.
	mu sync.Mutex
	// sinkFailed is set by the first failed sink call: the sink is never
	// called again, so a broken juju-log cannot feed itself events.
	sinkFailed bool
	// inSink is set while the sink runs: an event raised meanwhile (by the
	// sink itself, say a failing juju-log reported as authz_fail) must not
	// re-enter it.
	inSink bool
}

type config struct {
	stderr io.Writer
	now    func() time.Time
}

// Option configures New.
type Option func(*config)

// WithStderr sets where events go that the sink cannot take (default
// os.Stderr).
func WithStderr(w io.Writer) Option {
	return func(c *config) { c.stderr = w }
}

// WithClock sets the clock of the datetime field (default time.Now).
func WithClock(now func() time.Time) Option {
	return func(c *config) { c.now = now }
}

// New returns a Logger for unit unitName (e.g. "myapp/0") of the model
// modelUUID, sending events through sink. A nil sink sends every event to
// stderr.
func New(modelUUID, unitName string, sink Sink, opts ...Option) *Logger {
	cfg := config{stderr: os.Stderr, now: time.Now}
	for _, o := range opts {
		o(&cfg)
	}
	return &Logger{
		unit:      unitName,
		modelUUID: modelUUID,
		appID:     modelUUID + "-" + unitName,
		sink:      sink,
		stderr:    cfg.stderr,
		now:       cfg.now,
	}
}

// SysCrash records that the dispatch failed with err and nobody handled it.
// Only err's type is recorded (see errorType). A nil err records nothing.
func (l *Logger) SysCrash(ctx context.Context, err error) {
	if err == nil {
		return
	}
	t := errorType(err)
	l.emit(ctx, levelWarn, "sys_crash", t, "Uncaught error of type "+t+" in charm code.")
}

// SysCrashPanic records that charm code panicked with value (as returned by
// recover). Only the value's type is recorded.
func (l *Logger) SysCrashPanic(ctx context.Context, value any) {
	t := fmt.Sprintf("%T", value)
	if err, ok := value.(error); ok {
		t = errorType(err)
	}
	l.emit(ctx, levelWarn, "sys_crash", t, "Panic with a value of type "+t+" in charm code.")
}

// SysRestart records that the unit is about to reboot. Call it before
// running juju-reboot. The event data is the process's uid.
func (l *Logger) SysRestart(ctx context.Context) {
	l.emit(ctx, levelWarn, "sys_restart", strconv.Itoa(os.Getuid()),
		fmt.Sprintf("Rebooting unit %q in model %q.", l.unit, l.modelUUID))
}

// SysMonitorDisabled records that the charm stopped the health check named
// check. The event data is "<uid>,<check>".
func (l *Logger) SysMonitorDisabled(ctx context.Context, check string) {
	l.emit(ctx, levelWarn, "sys_monitor_disabled", strconv.Itoa(os.Getuid())+","+check, "Stopped check "+strconv.Quote(check)+".")
}

// AuthzFail records that the hook tool named tool failed with exit code
// exitCode and an authorisation error. asLeader is the leadership the
// caller already knows (e.g. a cached is-leader): working it out here
// would run another hook tool from inside error handling.
func (l *Logger) AuthzFail(ctx context.Context, tool string, exitCode int, asLeader bool) {
	leader := ""
	if asLeader {
		leader = " (as leader)"
	}
	l.emit(ctx, levelCritical, "authz_fail", tool,
		fmt.Sprintf("Hook command %q%s failed with code %d.", tool, leader, exitCode))
}

// emit adds the event to the span in ctx and sends it to the sink, or to
// stderr when the sink is busy, broken or missing.
func (l *Logger) emit(ctx context.Context, level, kind, data, description string) {
	event := kind + ":" + data
	trace.SpanFromContext(ctx).AddEvent(kind, trace.WithAttributes(
		attribute.String("security.level", level),
		attribute.String("security.event", event),
		attribute.String("security.description", description),
	))
	msg := eventJSON(l.now(), level, l.appID, event, description)

	l.mu.Lock()
	switch {
	case l.sink == nil:
		l.toStderr("no juju-log sink", msg)
		l.mu.Unlock()
		return
	case l.sinkFailed:
		l.toStderr("juju-log failed earlier", msg)
		l.mu.Unlock()
		return
	case l.inSink:
		l.toStderr("raised while juju-log was running", msg)
		l.mu.Unlock()
		return
	}
	l.inSink = true
	l.mu.Unlock()

	err := l.send(ctx, msg)

	l.mu.Lock()
	defer l.mu.Unlock()
	l.inSink = false
	if err != nil {
		l.sinkFailed = true
		l.toStderr("juju-log failed: "+err.Error(), msg)
	}
}

// send calls the sink, turning a panic into an error: a security event must
// never be what brings a dispatch down.
func (l *Logger) send(ctx context.Context, msg string) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("sink panicked with a value of type %T", r)
		}
	}()
	return l.sink(ctx, jujuLogLevel, msg)
}

// toStderr writes an event that could not go to the sink; l.mu is held.
// A failing stderr leaves nowhere else to go, so its error is dropped.
func (l *Logger) toStderr(why, msg string) {
	_, _ = fmt.Fprintf(l.stderr, "charmtrace: security event not sent to juju-log (%s): %s\n", why, msg)
}
