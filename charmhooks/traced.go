package charmhooks

import (
	"context"
	"encoding/json"
	"errors"
	"sort"
	"strings"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"
)

// Span attributes of hook-tool calls. Values of the call (relation data,
// secret content, action results, messages) and its output are never
// recorded: only names.
const (
	AttrTool     = attribute.Key("juju.hook_tool.name")  // the tool
	AttrFlags    = attribute.Key("juju.hook_tool.flags") // flag names, e.g. ["--format","-r","--app"]
	AttrArgCount = attribute.Key("juju.hook_tool.argc")  // number of arguments
	AttrKeys     = attribute.Key("juju.hook_tool.keys")  // data keys written or read, sorted
	AttrRelation = attribute.Key("juju.relation.id")     // the -r relation's integer id
	AttrExitCode = attribute.Key("process.exit.code")    // the tool's exit status; -1 if it did not start
	AttrFailure  = attribute.Key("juju.hook_tool.error") // ToolError.Class of a failure
)

// TraceOption configures NewTracedRunner.
type TraceOption func(*traceConfig)

type traceConfig struct {
	parent    func() context.Context
	onFailure func(ctx context.Context, tool string, err error)
}

// WithContext sets where a call's parent span comes from. goops-style calls
// carry no context, so the runner asks parent at each call; pass
// Router.Current to parent tool spans to the running handler.
func WithContext(parent func() context.Context) TraceOption {
	return func(c *traceConfig) { c.parent = parent }
}

// WithFailureHook calls fn after every failed call (except juju-log), with
// the context of the call's span. The tracing package reports
// authorisation failures as security events from here.
func WithFailureHook(fn func(ctx context.Context, tool string, err error)) TraceOption {
	return func(c *traceConfig) { c.onFailure = fn }
}

// NewTracedRunner returns a Runner that gives every call of inner a span
// named after the tool (kind Client), with the attributes Attr*. juju-log
// calls pass through untraced: logging must not feed tracing, and tracing
// logs. The returned runner is a StdinRunner exactly when inner is one.
func NewTracedRunner(inner Runner, tracer trace.Tracer, opts ...TraceOption) Runner {
	t := &tracedRunner{inner: inner, tracer: tracer}
	for _, o := range opts {
		o(&t.cfg)
	}
	if s, ok := inner.(StdinRunner); ok {
		return &tracedStdinRunner{tracedRunner: t, inner: s}
	}
	return t
}

type tracedRunner struct {
	inner  Runner
	tracer trace.Tracer
	cfg    traceConfig
}

type tracedStdinRunner struct {
	*tracedRunner
	inner StdinRunner
}

func (t *tracedRunner) Run(name string, args ...string) ([]byte, error) {
	if name == "juju-log" {
		return t.inner.Run(name, args...)
	}
	return t.traced(name, args, nil, func() ([]byte, error) { return t.inner.Run(name, args...) })
}

func (t *tracedStdinRunner) RunWithStdin(stdin []byte, name string, args ...string) ([]byte, error) {
	if name == "juju-log" {
		return t.inner.RunWithStdin(stdin, name, args...)
	}
	return t.traced(name, args, stdin, func() ([]byte, error) { return t.inner.RunWithStdin(stdin, name, args...) })
}

// WithContext returns the runner with ctx as the parent of every call's span.
func (t *tracedRunner) WithContext(ctx context.Context) Runner {
	return t.bound(ctx)
}

// WithContext returns the runner with ctx as the parent of every call's span; it can
// still pass standard input.
func (t *tracedStdinRunner) WithContext(ctx context.Context) Runner {
	return &tracedStdinRunner{tracedRunner: t.bound(ctx), inner: t.inner}
}

func (t *tracedRunner) bound(ctx context.Context) *tracedRunner {
	b := *t
	b.cfg.parent = func() context.Context { return ctx }
	return &b
}

func (t *tracedRunner) traced(name string, args []string, stdin []byte, call func() ([]byte, error)) ([]byte, error) {
	ctx := context.Background()
	if t.cfg.parent != nil {
		ctx = t.cfg.parent()
	}
	ctx, span := t.tracer.Start(ctx, name, trace.WithSpanKind(trace.SpanKindClient))
	defer span.End()
	recording := span.IsRecording()
	var keys []string
	if recording {
		var attrs []attribute.KeyValue
		attrs, keys = describeCall(name, args, stdin)
		span.SetAttributes(attrs...)
	}

	out, err := call()
	if err == nil {
		if recording {
			span.SetAttributes(AttrExitCode.Int(0))
			if read := keysRead(name, out); len(read) > 0 {
				for _, k := range read {
					keys = appendUnique(keys, k)
				}
				sort.Strings(keys)
				span.SetAttributes(AttrKeys.StringSlice(keys))
			}
		}
		return out, nil
	}
	if recording {
		code, class := -1, "failed"
		var te *ToolError
		if errors.As(err, &te) {
			code, class = te.ExitCode, te.Class()
		}
		span.SetAttributes(AttrExitCode.Int(code), AttrFailure.String(class))
		// Not err.Error(): Juju's stderr may quote an argument.
		span.SetStatus(codes.Error, name+" failed: "+class)
	}
	if t.cfg.onFailure != nil {
		t.cfg.onFailure(ctx, name, err)
	}
	return out, err
}

// valueFlags are the hook-tool flags that take a value, so that the value
// is not mistaken for a positional argument.
var valueFlags = map[string]bool{
	"-r": true, "--relation": true, "--format": true, "-l": true, "--log-level": true,
	"--file": true, "--label": true, "--description": true, "--expire": true, "--rotate": true,
	"--owner": true, "--unit": true, "--revision": true, "--endpoints": true, "-s": true,
}

// Tools whose first positional argument is a key name (a safe name).
var keyArgTools = map[string]bool{
	"relation-get": true, "state-get": true, "state-delete": true, "config-get": true, "action-get": true,
	"resource-get": true, "storage-list": true,
}

// Tools whose positional key=value (or key#file=path) arguments carry data.
var dataArgTools = map[string]bool{
	"relation-set": true, "state-set": true, "action-set": true, "secret-add": true, "secret-set": true,
	"storage-add": true, // <storage name>=<count>
}

// describeCall returns the span attributes of a call, names only, and the data keys
// among them.
func describeCall(name string, args []string, stdin []byte) ([]attribute.KeyValue, []string) {
	var flags, keys []string
	relation := -1
	stdinMap := false
	firstPositional := true
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			break // free text follows (log or status message)
		}
		if len(a) > 1 && a[0] == '-' {
			flag, value, hasValue := strings.Cut(a, "=")
			takesValue := valueFlags[flag] || (flag == "--app" && name == "secret-revoke")
			if takesValue && !hasValue && i+1 < len(args) {
				i++
				value, hasValue = args[i], true
			}
			flags = appendUnique(flags, flag)
			if hasValue && (flag == "-r" || flag == "--relation") {
				if id, err := ParseRelationID(value); err == nil {
					relation = id
				}
			}
			if flag == "--file" && value == "-" {
				stdinMap = true
			}
			continue
		}
		switch {
		case dataArgTools[name]:
			if k, _, ok := strings.Cut(a, "="); ok {
				k, _, _ = strings.Cut(k, "#")
				keys = appendUnique(keys, k)
			}
		case keyArgTools[name] && firstPositional && a != "-":
			keys = append(keys, a)
		}
		firstPositional = false
	}
	if stdinMap && len(stdin) > 0 {
		var m map[string]json.RawMessage
		if json.Unmarshal(stdin, &m) == nil {
			for k := range m {
				keys = appendUnique(keys, k)
			}
		}
	}
	attrs := make([]attribute.KeyValue, 0, 5)
	attrs = append(attrs, AttrTool.String(name), AttrArgCount.Int(len(args)))
	if len(flags) > 0 {
		attrs = append(attrs, AttrFlags.StringSlice(flags))
	}
	if relation >= 0 {
		attrs = append(attrs, AttrRelation.Int(relation))
	}
	if len(keys) > 0 {
		sort.Strings(keys)
		attrs = append(attrs, AttrKeys.StringSlice(keys))
	}
	return attrs, keys
}

func appendUnique(s []string, v string) []string {
	for _, x := range s {
		if x == v {
			return s
		}
	}
	return append(s, v)
}
