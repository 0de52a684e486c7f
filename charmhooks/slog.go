package charmhooks

import (
	"context"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"sync"
	"unicode"

	"go.opentelemetry.io/otel/trace"
)

// Juju levels beyond slog's four.
const (
	// LevelTrace maps to juju-log TRACE.
	LevelTrace = slog.LevelDebug - 4
	// LevelCritical maps to juju-log CRITICAL.
	LevelCritical = slog.LevelError + 4
)

// JujuLevel returns the juju-log level of a slog level: below Debug is
// TRACE, then DEBUG, INFO, WARNING, ERROR, and from LevelCritical up
// CRITICAL.
func JujuLevel(l slog.Level) LogLevel {
	switch {
	case l < slog.LevelDebug:
		return LogTrace
	case l < slog.LevelInfo:
		return LogDebug
	case l < slog.LevelWarn:
		return LogInfo
	case l < slog.LevelError:
		return LogWarning
	case l < LevelCritical:
		return LogError
	}
	return LogCritical
}

// LogHandlerOptions configure NewLogHandler.
type LogHandlerOptions struct {
	// Level is the minimum level written (default slog.LevelDebug). Each
	// record costs a juju-log process, so keep it above TRACE in hot code.
	Level slog.Leveler
	// Fallback receives records that cannot go to juju-log (default
	// os.Stderr, which Juju also copies to the unit's log).
	Fallback io.Writer
	// Context gives the context a record is correlated with when the
	// record's own carries no span (Info rather than InfoContext). The
	// tracing package passes the running handler's. Nil: the record's only.
	Context func() context.Context
	// OmitTraceIDs turns off the trace_id=… span_id=… suffix (see
	// LogHandler).
	OmitTraceIDs bool
}

// LogHandler is a slog.Handler that writes each record with juju-log:
// "<message> key=value ...", at the Juju level of the record (see
// JujuLevel). Juju stamps the time and unit itself.
//
// While a sampled span is current, the line ends with that span's ids,
// " trace_id=<32 hex> span_id=<16 hex>": the form Grafana's Loki-to-Tempo
// derived fields match, so a log line links to its trace. The span is the
// record's context's (InfoContext), else the one LogHandlerOptions.Context
// gives. OmitTraceIDs turns this off.
//
// It can never recurse into itself: while one record is being written, a
// record that arrives meanwhile — from another goroutine, or from code the
// runner calls — goes to the fallback writer instead of a second juju-log,
// and so does a record whose juju-log call failed.
type LogHandler struct {
	core   *logCore
	attrs  string // pre-formatted " k=v" of WithAttrs
	prefix string // group prefix, "g1.g2."
}

type logCore struct {
	tools    *Tools
	level    slog.Leveler
	current  func() context.Context // nil: none
	omitIDs  bool
	busy     sync.Mutex
	fallback io.Writer
	fbMu     sync.Mutex
}

// NewLogHandler returns a handler that logs through r with juju-log. Give
// it the plain runner: logging is not traced.
func NewLogHandler(r Runner, opts *LogHandlerOptions) *LogHandler {
	c := &logCore{tools: NewTools(r), level: slog.LevelDebug, fallback: os.Stderr}
	if opts != nil {
		if opts.Level != nil {
			c.level = opts.Level
		}
		if opts.Fallback != nil {
			c.fallback = opts.Fallback
		}
		c.current, c.omitIDs = opts.Context, opts.OmitTraceIDs
	}
	return &LogHandler{core: c}
}

// Enabled reports whether records at l are written.
func (h *LogHandler) Enabled(_ context.Context, l slog.Level) bool {
	return l >= h.core.level.Level()
}

// Handle writes one record.
func (h *LogHandler) Handle(ctx context.Context, r slog.Record) error {
	var b strings.Builder
	b.WriteString(r.Message)
	b.WriteString(h.attrs)
	r.Attrs(func(a slog.Attr) bool {
		appendAttr(&b, h.prefix, a)
		return true
	})
	h.core.appendTraceIDs(&b, ctx)
	level := JujuLevel(r.Level)
	msg := b.String()

	c := h.core
	if !c.busy.TryLock() {
		c.writeFallback(level, msg, nil)
		return nil
	}
	defer c.busy.Unlock()
	if err := c.tools.Log(level, msg); err != nil {
		c.writeFallback(level, msg, err)
	}
	return nil
}

// appendTraceIDs ends the line with the ids of the current span. Only a
// sampled span's: an unsampled one never reaches a receiver, and its ids
// would link to nothing.
func (c *logCore) appendTraceIDs(b *strings.Builder, ctx context.Context) {
	if c.omitIDs {
		return
	}
	sc := trace.SpanContextFromContext(ctx)
	if !sc.IsValid() && c.current != nil {
		sc = trace.SpanContextFromContext(c.current())
	}
	if !sc.IsValid() || !sc.IsSampled() {
		return
	}
	tid, sid := sc.TraceID(), sc.SpanID()
	var buf [len(" trace_id=") + 32 + len(" span_id=") + 16]byte
	out := append(buf[:0], " trace_id="...)
	out = hex.AppendEncode(out, tid[:])
	out = append(out, " span_id="...)
	out = hex.AppendEncode(out, sid[:])
	b.Write(out)
}

func (c *logCore) writeFallback(level LogLevel, msg string, err error) {
	c.fbMu.Lock()
	defer c.fbMu.Unlock()
	if err != nil {
		fmt.Fprintf(c.fallback, "%s %s (juju-log failed: %v)\n", level, msg, err)
		return
	}
	fmt.Fprintf(c.fallback, "%s %s\n", level, msg)
}

// WithAttrs returns a handler that adds attrs to every record.
func (h *LogHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	if len(attrs) == 0 {
		return h
	}
	var b strings.Builder
	b.WriteString(h.attrs)
	for _, a := range attrs {
		appendAttr(&b, h.prefix, a)
	}
	return &LogHandler{core: h.core, attrs: b.String(), prefix: h.prefix}
}

// WithGroup returns a handler that qualifies later attribute keys with
// name.
func (h *LogHandler) WithGroup(name string) slog.Handler {
	if name == "" {
		return h
	}
	return &LogHandler{core: h.core, attrs: h.attrs, prefix: h.prefix + name + "."}
}

func appendAttr(b *strings.Builder, prefix string, a slog.Attr) {
	v := a.Value.Resolve()
	if v.Kind() == slog.KindGroup {
		if a.Key != "" {
			prefix += a.Key + "."
		}
		for _, ga := range v.Group() {
			appendAttr(b, prefix, ga)
		}
		return
	}
	if a.Equal(slog.Attr{}) {
		return
	}
	b.WriteByte(' ')
	b.WriteString(prefix)
	b.WriteString(a.Key)
	b.WriteByte('=')
	b.WriteString(quoteIfNeeded(v.String()))
}

func quoteIfNeeded(s string) string {
	if s == "" {
		return `""`
	}
	for _, r := range s {
		if unicode.IsSpace(r) || r == '"' || r == '=' || !unicode.IsPrint(r) {
			return strconv.Quote(s)
		}
	}
	return s
}
