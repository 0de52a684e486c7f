package tracing

import (
	"context"
	"testing"

	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/charmtrace/charmtrace/charmhooks"
)

func hasEvent(s sdktrace.ReadOnlySpan, name string) bool {
	for _, e := range s.Events() {
		if e.Name == name {
			return true
		}
	}
	return false
}

func TestDeferralIsVisibleAndARerunIsNotADispatch(t *testing.T) {
	u := newUnit(t)
	defers := true
	setup := func(c *Charm) error {
		c.Router.Handle("start", func(context.Context, charmhooks.Event) error {
			if defers {
				return charmhooks.ErrDefer
			}
			return nil
		}, charmhooks.HandlerName("onStart"))
		c.Router.Handle("update-status", func(context.Context, charmhooks.Event) error { return nil },
			charmhooks.HandlerName("onStatus"))
		return nil
	}

	// Dispatch 1: start, whose handler defers.
	if status := u.dispatch("start", nil, setup); status != 0 {
		t.Fatalf("status %d", status)
	}
	first := u.rec.Ended()
	root := spanNamed(t, first, "start")
	h := spanNamed(t, first, "start: onStart")
	if attr(h, "charm.handler.deferred") != "true" || !hasEvent(h, "deferred") || attr(h, "juju.deferred") != "false" {
		t.Fatalf("deferring handler span: deferred=%q rerun=%q events=%v",
			attr(h, "charm.handler.deferred"), attr(h, "juju.deferred"), h.Events())
	}
	if h.Status().Code != codes.Unset || root.Status().Code != codes.Unset {
		t.Fatal("deferring was recorded as a failure")
	}
	if attr(root, "juju.deferred.pending") != "1" || attr(root, "juju.deferred.reemitted") != "0" {
		t.Fatalf("start root: pending=%q reemitted=%q", attr(root, "juju.deferred.pending"), attr(root, "juju.deferred.reemitted"))
	}

	// Dispatch 2: update-status, which re-runs the deferred start first.
	defers = false
	if status := u.dispatch("update-status", nil, setup); status != 0 {
		t.Fatalf("status %d", status)
	}
	second := u.rec.Ended()
	root2 := spanNamed(t, second, "update-status")
	rerun := spanNamed(t, second, "start: onStart")
	if attr(rerun, "juju.deferred") != "true" || attr(rerun, "charm.handler.deferred") != "" || attr(rerun, "juju.event") != "start" {
		t.Fatalf("re-run span: rerun=%q deferred=%q event=%q",
			attr(rerun, "juju.deferred"), attr(rerun, "charm.handler.deferred"), attr(rerun, "juju.event"))
	}
	if attr(root2, "juju.deferred.reemitted") != "1" || attr(root2, "juju.deferred.pending") != "0" {
		t.Fatalf("update-status root: reemitted=%q pending=%q", attr(root2, "juju.deferred.reemitted"), attr(root2, "juju.deferred.pending"))
	}

	// What tells a dispatch of start from a re-run of it: the root span (the one with
	// juju.dispatch_path) names the dispatched event; a re-run is a handler span with
	// juju.deferred=true.
	var dispatchesOfStart, rerunsOfStart int
	for _, s := range append(first, second...) {
		switch {
		case attr(s, "juju.dispatch_path") != "" && attr(s, "juju.event") == "start":
			dispatchesOfStart++
		case attr(s, "juju.event") == "start" && attr(s, "juju.deferred") == "true":
			rerunsOfStart++
		}
	}
	if dispatchesOfStart != 1 || rerunsOfStart != 1 {
		t.Fatalf("%d dispatches of start and %d re-runs, want 1 and 1", dispatchesOfStart, rerunsOfStart)
	}
}
