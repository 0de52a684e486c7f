package tracing

import (
	"context"
	"log/slog"

	"github.com/charmtrace/charmtrace/charmhooks"
	"github.com/charmtrace/charmtrace/pebble"
	"github.com/charmtrace/charmtrace/state"
)

// Charm is what a charm's setup function receives: where to register its handlers and
// the tools to act with. Hook-tool calls through Tools are traced; Logger writes to the
// unit's log (juju debug-log) and is never traced, but each line it writes while a span
// is current ends with that span's trace_id=… span_id=… (see WithoutLogTraceIDs).
type Charm struct {
	Context *charmhooks.Context
	Router  *charmhooks.Router
	Tools   *charmhooks.Tools
	Logger  *slog.Logger

	state  *lazyState
	pebble []pebble.Option // see Pebble
}

// State returns the dispatch's transaction on the unit state database
// ($JUJU_CHARM_DIR/.unit-state.db), opening it on first use. What a handler stores there
// is committed only if the dispatch succeeds.
func (c *Charm) State(ctx context.Context) (*state.Dispatch, error) {
	return c.state.open(ctx, true)
}

// SetupFunc registers a charm's handlers on c.Router. It runs once per dispatch, before
// the event is routed; an error fails the dispatch like a handler error.
type SetupFunc func(c *Charm) error
