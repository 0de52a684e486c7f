package tracing

import (
	"io"
	"os"
	"time"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/charmtrace/charmtrace/buffer"
	"github.com/charmtrace/charmtrace/charmhooks"
	"github.com/charmtrace/charmtrace/pebble"
)

// Default relation endpoint names, the ones ops[tracing] charms use.
const (
	DefaultTracingEndpoint = "charm-tracing"
	DefaultCAEndpoint      = "receive-ca-cert"
)

// DefaultBudget bounds all network work of one dispatch.
const DefaultBudget = 5 * time.Second

// DisableEnv is the environment variable that turns tracing off when set to "1".
const DisableEnv = "CHARMTRACE_DISABLE"

type config struct {
	tracingEndpoint string
	caEndpoint      string // "" when the CA comes from WithCA or the system roots
	fixedCA         string
	budget          time.Duration
	disabled        bool
	charmType       string
	version         string
	getenv          func(string) string
	runner          charmhooks.Runner
	bufferOpts      []buffer.Option
	processors      []sdktrace.SpanProcessor
	seam            *runnerSeam                       // Wrap only
	pebbleSocketDir string                            // "" for Juju's /charm/containers
	pebbleInstall   func(func(string) *pebble.Client) // Wrap only
	envGetter       func() func(string) string
	// offUnit: Wrap runs where hook tools reach no unit agent (no JUJU_CONTEXT_ID, as
	// under goopstest): tracing's own lines go to stderr, not through the charm's runner.
	offUnit bool
	noSend  bool
	// wrapExporter lets tests put a faulty exporter in the pipeline.
	wrapExporter  func(sdktrace.SpanExporter) sdktrace.SpanExporter
	stderr        io.Writer
	noLogTraceIDs bool // WithoutLogTraceIDs (logs.go)
	noJhackLine   bool // WithoutJhackLine
}

func newConfig(opts []Option) *config {
	c := &config{
		tracingEndpoint: DefaultTracingEndpoint,
		caEndpoint:      DefaultCAEndpoint,
		budget:          DefaultBudget,
		charmType:       "go",
		getenv:          os.Getenv,
		stderr:          os.Stderr,
	}
	for _, o := range opts {
		o(c)
	}
	return c
}

// Option configures Run, Main and Wrap.
type Option func(*config)

// WithTracingRelation names the charm's tracing (v2) requires endpoint. Default
// "charm-tracing".
func WithTracingRelation(endpoint string) Option {
	return func(c *config) { c.tracingEndpoint = endpoint }
}

// WithCARelation names the charm's certificate_transfer requires endpoint that supplies
// the CA of an https receiver. Default "receive-ca-cert".
func WithCARelation(endpoint string) Option {
	return func(c *config) { c.caEndpoint = endpoint }
}

// WithCA makes an https receiver be verified against this PEM bundle instead of a CA
// relation. With neither, the system roots are used.
func WithCA(pem string) Option {
	return func(c *config) { c.caEndpoint, c.fixedCA = "", pem }
}

// WithoutCARelation verifies an https receiver against the system roots.
func WithoutCARelation() Option {
	return func(c *config) { c.caEndpoint, c.fixedCA = "", "" }
}

// WithBudget bounds all network work of a dispatch: what is not sent by then stays
// buffered for the next one. Default 5 s.
func WithBudget(d time.Duration) Option {
	return func(c *config) {
		if d > 0 {
			c.budget = d
		}
	}
}

// WithDisabled turns tracing off: the charm runs with a no-op tracer provider and the
// buffer is never opened. Setting CHARMTRACE_DISABLE=1 does the same.
func WithDisabled() Option { return func(c *config) { c.disabled = true } }

// WithCharmType sets the charm_type resource attribute (ops puts the charm class name
// there). Default "go".
func WithCharmType(name string) Option { return func(c *config) { c.charmType = name } }

// WithServiceVersion sets the service.version resource attribute.
func WithServiceVersion(v string) Option { return func(c *config) { c.version = v } }

// WithBufferOptions passes options (such as a cap) to the trace buffer.
func WithBufferOptions(opts ...buffer.Option) Option {
	return func(c *config) { c.bufferOpts = append(c.bufferOpts, opts...) }
}

// WithRunner sets the runner hook tools go through, before tracing decorates it.
// Default: the tools on PATH. Tests pass a fake.
func WithRunner(r charmhooks.Runner) Option { return func(c *config) { c.runner = r } }

// WithGetenv reads the Juju environment through getenv instead of os.Getenv.
func WithGetenv(getenv func(string) string) Option { return func(c *config) { c.getenv = getenv } }

// WithSpanProcessor adds a span processor beside the buffering exporter, for instance a
// tracetest.SpanRecorder in a charm's tests.
func WithSpanProcessor(p sdktrace.SpanProcessor) Option {
	return func(c *config) { c.processors = append(c.processors, p) }
}

// WithoutSending stores spans in the buffer and follows the relations to a destination,
// as on a unit, but never sends: the rows stay for the test to read. Package charmtest
// runs every dispatch so.
func WithoutSending() Option { return func(c *config) { c.noSend = true } }

// WithStderr sets where Run writes what the charm process would print on standard error:
// a failed dispatch's error, a panic's stack, tracing's warnings when no unit log is
// reachable. Default os.Stderr.
func WithStderr(w io.Writer) Option { return func(c *config) { c.stderr = w } }

// WithoutJhackLine leaves out the "Starting root trace with id='<trace id>'." line that
// tracing otherwise logs at DEBUG on every dispatch, for jhack (jhack tail -t) to pair a
// trace with the event's "Emitting Juju event" line. The line is a juju-log call, a
// process that talks to the unit agent: a charm whose operators do not use jhack saves it,
// and tracing then adds no hook-tool call to a routine dispatch.
func WithoutJhackLine() Option { return func(c *config) { c.noJhackLine = true } }
