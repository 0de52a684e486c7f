package charmhooks_test

import (
	"context"
	"testing"

	"go.opentelemetry.io/otel/trace"

	"github.com/charmtrace/charmtrace/charmhooks"
	"github.com/charmtrace/charmtrace/internal/fakejuju"
)

// TestToolsWithContextNestsUnderTheCallersSpan: a call made through
// tools.WithContext(ctx) is the child of the span in ctx; a context-free call keeps the
// runner's own parent (here the "handler" span WithContext's provider returns), and
// both views share the is-leader cache.
func TestToolsWithContextNestsUnderTheCallersSpan(t *testing.T) {
	rec, tracer := newRecorder(t)
	hctx, handler := tracer.Start(context.Background(), "handler")
	fake := fakejuju.NewRunner(relationState(), nil)
	tools := charmhooks.NewTools(charmhooks.NewTracedRunner(fake, tracer,
		charmhooks.WithContext(func() context.Context { return hctx })))

	uctx, user := tracer.Start(hctx, "user span")
	bound := tools.WithContext(uctx)
	if _, err := bound.RelationGetApp("charm-tracing:7", "tempo"); err != nil {
		t.Fatal(err)
	}
	if err := bound.StateSet(map[string]string{"k": "v"}); err != nil { // stdin still used
		t.Fatal(err)
	}
	if _, err := bound.IsLeader(); err != nil {
		t.Fatal(err)
	}
	user.End()
	if _, err := tools.IsLeader(); err != nil { // cached: no second call
		t.Fatal(err)
	}
	if err := tools.ConfigGet(&map[string]any{}); err != nil {
		t.Fatal(err)
	}
	handler.End()

	parents := map[string]trace.SpanID{}
	for _, s := range rec.Ended() {
		parents[s.Name()] = s.Parent().SpanID()
	}
	for name, want := range map[string]trace.SpanID{
		"relation-get": user.SpanContext().SpanID(),
		"state-set":    user.SpanContext().SpanID(),
		"is-leader":    user.SpanContext().SpanID(),
		"config-get":   handler.SpanContext().SpanID(),
	} {
		if got, ok := parents[name]; !ok || got != want {
			t.Errorf("%s parent = %v (found %v), want %v", name, got, ok, want)
		}
	}
	n := 0
	for _, c := range fake.Calls() {
		if c.Tool == "is-leader" {
			n++
		}
		if c.Tool == "state-set" && c.StdinBytes == 0 {
			t.Error("state-set through the bound view did not use standard input")
		}
	}
	if n != 1 {
		t.Errorf("is-leader ran %d times, want 1 (the views share the cache)", n)
	}
}

// TestToolsWithContextOverAnUntracedRunner: a runner that cannot take a context leaves
// the tools as they are.
func TestToolsWithContextOverAnUntracedRunner(t *testing.T) {
	tools := charmhooks.NewTools(fakejuju.NewRunner(relationState(), nil))
	if tools.WithContext(context.Background()) != tools {
		t.Fatal("WithContext over an untraced runner returned a new view")
	}
}
