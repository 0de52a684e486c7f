package pebble

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"

	"github.com/canonical/pebble/client"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"github.com/charmtrace/charmtrace/security"
)

// SocketDir is where Juju mounts the Pebble sockets of a sidecar charm's workload
// containers in the charm container.
const SocketDir = "/charm/containers"

// ScopeName is the instrumentation scope of the spans this package makes.
const ScopeName = "github.com/charmtrace/charmtrace/pebble"

// SocketPath returns the Pebble socket of container under dir (SocketDir on a unit).
func SocketPath(dir, container string) string {
	return filepath.Join(dir, container, "pebble.socket")
}

// Client is a traced Pebble client for one workload container. Its methods are those of
// the canonical client, each a span. It is safe for concurrent use as far as the
// canonical client is.
type Client struct {
	raw       *client.Client
	err       error // why raw could not be built; every call returns it
	container string
	socket    string
	tracer    trace.Tracer
	parent    func() context.Context
	sec       *security.Logger
}

type config struct {
	socketDir string
	tp        trace.TracerProvider
	parent    func() context.Context
	sec       *security.Logger
}

// Option configures New.
type Option func(*config)

// WithSocketDir looks for the container's socket under dir instead of SocketDir (tests,
// and fakes such as pebbletest).
func WithSocketDir(dir string) Option { return func(c *config) { c.socketDir = dir } }

// WithTracerProvider makes the spans with tp instead of the global provider.
func WithTracerProvider(tp trace.TracerProvider) Option { return func(c *config) { c.tp = tp } }

// WithParent sets where a call's parent span comes from when the call is not made
// through WithContext: tracing passes the running handler's context, falling back to
// the dispatch's root span. Default: no parent.
func WithParent(fn func() context.Context) Option { return func(c *config) { c.parent = fn } }

// WithSecurityLogger makes StopChecks emit a sys_monitor_disabled event for each check
// it stopped.
func WithSecurityLogger(l *security.Logger) Option { return func(c *config) { c.sec = l } }

// New returns a client for container's Pebble. It does not connect: the first call
// does, and fails with a *client.SocketNotFoundError if the socket is missing.
func New(container string, opts ...Option) *Client {
	cfg := config{socketDir: SocketDir}
	for _, o := range opts {
		o(&cfg)
	}
	if cfg.tp == nil {
		cfg.tp = otel.GetTracerProvider()
	}
	if cfg.parent == nil {
		cfg.parent = context.Background
	}
	socket := SocketPath(cfg.socketDir, container)
	raw, err := client.New(&client.Config{Socket: socket})
	if err != nil {
		err = fmt.Errorf("pebble: client for container %q: %w", container, err)
	}
	return &Client{raw: raw, err: err, container: container, socket: socket,
		tracer: cfg.tp.Tracer(ScopeName), parent: cfg.parent, sec: cfg.sec}
}

// WithContext returns a view of c whose calls are children of the span in ctx. It only
// places spans: the canonical client takes no context, so ctx cannot cancel a call.
func (c *Client) WithContext(ctx context.Context) *Client {
	if ctx == nil {
		return c
	}
	view := *c
	view.parent = func() context.Context { return ctx }
	return &view
}

// Container returns the name of the container the client talks to.
func (c *Client) Container() string { return c.container }

// Raw returns the canonical client, for the methods Client does not wrap. Calls through
// it make no spans.
func (c *Client) Raw() *client.Client { return c.raw }

// call runs fn in a span "pebble <method>" with the container attributes and attrs. fn
// may add attributes that are known only after the call (a change id). A failure is
// recorded by type, status code and kind, never by message.
func (c *Client) call(method string, attrs []attribute.KeyValue, fn func(ctx context.Context, span trace.Span) error) error {
	ctx, span := c.tracer.Start(c.parent(), "pebble "+method, trace.WithSpanKind(trace.SpanKindClient),
		trace.WithAttributes(AttrContainer.String(c.container), AttrSocket.String(c.socket), AttrMethod.String(method)),
		trace.WithAttributes(attrs...))
	defer span.End()
	err := c.err
	if err == nil {
		err = fn(ctx, span)
	}
	if err != nil {
		recordError(span, method, err)
	}
	return err
}

// recordError marks span failed with what is safe to know about err.
func recordError(span trace.Span, method string, err error) {
	span.SetAttributes(AttrErrorType.String(errorType(err)))
	var apiErr *client.Error
	if errors.As(err, &apiErr) {
		if apiErr.StatusCode != 0 {
			span.SetAttributes(AttrStatusCode.Int(apiErr.StatusCode))
		}
		if apiErr.Kind != "" {
			span.SetAttributes(AttrErrorKind.String(apiErr.Kind))
		}
	}
	var exitErr *client.ExitError
	if errors.As(err, &exitErr) {
		span.SetAttributes(AttrExitCode.Int(exitErr.ExitCode()))
	}
	// Not err.Error(): Pebble's messages quote paths and, for exec, the command.
	span.SetStatus(codes.Error, "pebble "+method+" failed")
}

// errorType names the most telling type in err's chain: a Pebble error type if there is
// one, else the innermost error's type.
func errorType(err error) string {
	var (
		apiErr  *client.Error
		exitErr *client.ExitError
		conn    client.ConnectionError
		noSock  *client.SocketNotFoundError
	)
	switch {
	case errors.As(err, &apiErr):
		return "*client.Error"
	case errors.As(err, &exitErr):
		return "*client.ExitError"
	case errors.As(err, &noSock):
		return "*client.SocketNotFoundError"
	case errors.As(err, &conn):
		return "client.ConnectionError"
	}
	for {
		next := errors.Unwrap(err)
		if next == nil {
			return fmt.Sprintf("%T", err)
		}
		err = next
	}
}
