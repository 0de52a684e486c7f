package charmhooks_test

import (
	"context"
	"errors"
	"reflect"
	"testing"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/charmtrace/charmtrace/charmhooks"
	"github.com/charmtrace/charmtrace/internal/fakejuju"
)

func newRecorder(t testing.TB) (*tracetest.SpanRecorder, trace.Tracer) {
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	t.Cleanup(func() { tp.Shutdown(context.Background()) })
	return rec, tp.Tracer("charmhooks-test")
}

func attrs(s sdktrace.ReadOnlySpan) map[attribute.Key]attribute.Value {
	m := map[attribute.Key]attribute.Value{}
	for _, kv := range s.Attributes() {
		m[kv.Key] = kv.Value
	}
	return m
}

func TestTracedRunnerSpans(t *testing.T) {
	rec, tracer := newRecorder(t)
	fake := fakejuju.NewRunner(relationState(), nil)
	runner := charmhooks.NewTracedRunner(fake, tracer)
	tools := charmhooks.NewTools(runner)

	if _, err := tools.RelationGetApp("charm-tracing:7", "tempo"); err != nil {
		t.Fatal(err)
	}
	if err := tools.RelationSetApp("charm-tracing:7", map[string]string{"receivers": `["otlp_http"]`, "a-key": "x"}); err != nil {
		t.Fatal(err)
	}
	if err := tools.Log(charmhooks.LogInfo, "not traced"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := tools.StateGet("counter"); err != nil {
		t.Fatal(err)
	}

	spans := rec.Ended()
	if len(spans) != 3 {
		t.Fatalf("%d spans, want 3 (juju-log is not traced)", len(spans))
	}
	want := []map[attribute.Key]attribute.Value{
		{
			charmhooks.AttrTool: attribute.StringValue("relation-get"), charmhooks.AttrArgCount: attribute.IntValue(6),
			charmhooks.AttrFlags:    attribute.StringSliceValue([]string{"--format", "-r", "--app"}),
			charmhooks.AttrRelation: attribute.IntValue(7), charmhooks.AttrExitCode: attribute.IntValue(0),
			charmhooks.AttrKeys: attribute.StringSliceValue([]string{"receivers"}), // read from the output
		},
		{
			charmhooks.AttrTool: attribute.StringValue("relation-set"), charmhooks.AttrArgCount: attribute.IntValue(5),
			charmhooks.AttrFlags:    attribute.StringSliceValue([]string{"-r", "--app", "--file"}),
			charmhooks.AttrRelation: attribute.IntValue(7), charmhooks.AttrKeys: attribute.StringSliceValue([]string{"a-key", "receivers"}),
			charmhooks.AttrExitCode: attribute.IntValue(0),
		},
		{
			charmhooks.AttrTool: attribute.StringValue("state-get"), charmhooks.AttrArgCount: attribute.IntValue(2),
			charmhooks.AttrFlags: attribute.StringSliceValue([]string{"--format"}), charmhooks.AttrKeys: attribute.StringSliceValue([]string{"counter"}),
			charmhooks.AttrExitCode: attribute.IntValue(0),
		},
	}
	for i, s := range spans {
		if s.Name() != want[i][charmhooks.AttrTool].AsString() || s.SpanKind() != trace.SpanKindClient {
			t.Errorf("span %d: name %q kind %v", i, s.Name(), s.SpanKind())
		}
		if got := attrs(s); !reflect.DeepEqual(got, want[i]) {
			t.Errorf("span %s attributes\n got %v\nwant %v", s.Name(), got, want[i])
		}
		if s.Status().Code != codes.Unset {
			t.Errorf("span %s status %v", s.Name(), s.Status())
		}
	}
}

func TestTracedRunnerFailure(t *testing.T) {
	rec, tracer := newRecorder(t)
	st := relationState()
	st.Leader = false
	type failure struct {
		tool   string
		err    error
		inSpan bool
	}
	var failures []failure
	runner := charmhooks.NewTracedRunner(fakejuju.NewRunner(st, nil), tracer,
		charmhooks.WithFailureHook(func(ctx context.Context, tool string, err error) {
			failures = append(failures, failure{tool, err, trace.SpanFromContext(ctx).SpanContext().IsValid()})
		}))
	tools := charmhooks.NewTools(runner)
	err := tools.RelationSetApp("charm-tracing:7", map[string]string{"k": "v"})
	if !errors.Is(err, charmhooks.ErrUnauthorized) {
		t.Fatalf("err = %v", err)
	}
	_, err = tools.RelationUnits("charm-tracing:99")
	if !errors.Is(err, charmhooks.ErrRelationNotFound) {
		t.Fatalf("err = %v", err)
	}

	spans := rec.Ended()
	if len(spans) != 2 {
		t.Fatalf("%d spans", len(spans))
	}
	for i, want := range []struct {
		code  int
		class string
	}{{1, "unauthorized"}, {2, "relation_not_found"}} {
		a := attrs(spans[i])
		if a[charmhooks.AttrExitCode].AsInt64() != int64(want.code) || a[charmhooks.AttrFailure].AsString() != want.class {
			t.Errorf("span %s: exit %v class %v", spans[i].Name(), a[charmhooks.AttrExitCode], a[charmhooks.AttrFailure])
		}
		if spans[i].Status().Code != codes.Error || spans[i].Status().Description != spans[i].Name()+" failed: "+want.class {
			t.Errorf("span %s status %+v", spans[i].Name(), spans[i].Status())
		}
	}
	if len(failures) != 2 || failures[0].tool != "relation-set" || failures[1].tool != "relation-list" ||
		!failures[0].inSpan || !errors.Is(failures[0].err, charmhooks.ErrUnauthorized) {
		t.Errorf("failure hook calls = %+v", failures)
	}

	// juju-log failures never reach the hook (it would log about itself)
	// and make no span.
	failures = nil
	if _, err := runner.Run("juju-log"); err == nil {
		t.Fatal("juju-log with no message succeeded")
	}
	if len(failures) != 0 || len(rec.Ended()) != 2 {
		t.Errorf("a failed juju-log reached the hook (%d) or made a span (%d)", len(failures), len(rec.Ended()))
	}
}

// TestTracedRunnerParent checks that tool spans are children of the handler
// span when the parent comes from Router.Current.
func TestTracedRunnerParent(t *testing.T) {
	rec, tracer := newRecorder(t)
	router := charmhooks.NewRouter()
	router.Use(func(next charmhooks.Handler, info charmhooks.HandlerInfo) charmhooks.Handler {
		return func(ctx context.Context, e charmhooks.Event) error {
			ctx, span := tracer.Start(ctx, info.Event+": "+info.Handler)
			defer span.End()
			return next(ctx, e)
		}
	})
	tools := charmhooks.NewTools(charmhooks.NewTracedRunner(fakejuju.NewRunner(&fakejuju.State{Unit: "a/0"}, nil), tracer,
		charmhooks.WithContext(router.Current)))
	router.Handle("start", func(context.Context, charmhooks.Event) error {
		_, err := tools.IsLeader()
		return err
	}, charmhooks.HandlerName("onStart"))

	ctx, root := tracer.Start(context.Background(), "dispatch")
	if _, err := router.Dispatch(ctx, charmhooks.Event{Name: "start", Kind: charmhooks.KindLifecycle}); err != nil {
		t.Fatal(err)
	}
	tools.StatusSet(charmhooks.StatusActive, "") // outside a handler: child of nothing current
	root.End()

	byName := map[string]sdktrace.ReadOnlySpan{}
	for _, s := range rec.Ended() {
		byName[s.Name()] = s
	}
	handler, tool := byName["start: onStart"], byName["is-leader"]
	if handler == nil || tool == nil {
		t.Fatalf("spans: %v", byName)
	}
	if tool.Parent().SpanID() != handler.SpanContext().SpanID() {
		t.Error("tool span is not a child of the handler span")
	}
	if handler.Parent().SpanID() != root.SpanContext().SpanID() {
		t.Error("handler span is not a child of the dispatch span")
	}
	if byName["status-set"].Parent().IsValid() {
		t.Error("a call outside Dispatch got a parent")
	}
}

// goopsStyle is a runner without stdin, like goops' own.
type goopsStyle struct{ inner charmhooks.Runner }

func (g goopsStyle) Run(name string, args ...string) ([]byte, error) {
	return g.inner.Run(name, args...)
}

func TestTracedRunnerWithoutStdin(t *testing.T) {
	rec, tracer := newRecorder(t)
	fake := fakejuju.NewRunner(relationState(), nil)
	runner := charmhooks.NewTracedRunner(goopsStyle{fake}, tracer)
	if _, ok := runner.(charmhooks.StdinRunner); ok {
		t.Fatal("traced runner claims stdin over a runner without it")
	}
	// goops' argument style: -r=<id>, key=value.
	if _, err := runner.Run("relation-set", "-r=7", "--app", "url=http://x", "token=abc"); err != nil {
		t.Fatal(err)
	}
	// Tools falls back to a private temp file for data.
	tmp := t.TempDir()
	if err := charmhooks.NewTools(runner, charmhooks.WithTempDir(tmp)).StateSet(map[string]string{"k": "v"}); err != nil {
		t.Fatal(err)
	}
	assertEmptyDir(t, tmp)
	if v := fake.State().UnitState["k"]; v != "v" {
		t.Errorf("state-set through a file: %q", v)
	}
	a := attrs(rec.Ended()[0])
	if got := a[charmhooks.AttrKeys].AsStringSlice(); !reflect.DeepEqual(got, []string{"token", "url"}) {
		t.Errorf("keys = %q", got)
	}
	if a[charmhooks.AttrRelation].AsInt64() != 7 {
		t.Errorf("relation = %v", a[charmhooks.AttrRelation])
	}
}
