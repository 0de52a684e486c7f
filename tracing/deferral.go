package tracing

import (
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"

	"github.com/charmtrace/charmtrace/charmhooks"
)

// Attributes that make deferral visible. A handler call that re-runs a deferred event
// is marked juju.deferred=true (its juju.event names the event it re-runs, not the one
// dispatched); these say the other half: which call deferred, and what the dispatch did
// with the queue.
const (
	// AttrHandlerDeferred marks a handler call that returned charmhooks.ErrDefer: its
	// event is queued and re-run at the start of the next dispatch.
	AttrHandlerDeferred = attribute.Key("charm.handler.deferred")
	// AttrReemitted, on the root span, counts the deferred events re-run before the
	// dispatched event's own handlers.
	AttrReemitted = attribute.Key("juju.deferred.reemitted")
	// AttrPending, on the root span, counts the events left in the queue by the
	// dispatch: newly deferred ones and re-run ones that deferred again.
	AttrPending = attribute.Key("juju.deferred.pending")
)

// markDeferred marks the span of a handler call that deferred its event. The status
// stays unset: deferring is not a failure.
func markDeferred(span trace.Span) {
	span.SetAttributes(AttrHandlerDeferred.Bool(true))
	span.AddEvent("deferred")
}

// recordQueue puts what the dispatch did with the deferral queue on the root span.
func recordQueue(root trace.Span, res charmhooks.Result) {
	root.SetAttributes(AttrReemitted.Int(res.Reemitted), AttrPending.Int(res.Deferred))
}
